"""Checks for lesson 05 (Redis-backed sidecar), from the inside out:

1. ``functions`` (``functions.py``): ``make_token``/``verify_token`` (Django's signing with the
   lesson's SECRET_KEY), ``publish_message`` against a real Redis observed by a real redis-py
   subscriber, and ``check_origin``, in this grading process.
2. ``server`` (``sidecar.py``, ``together.py``): the learner's sidecar as a real process, started
   with Django by the lesson's launcher, reaching Redis through a proxy the checks can slow down,
   talked to by ``websockets`` clients: refusals that cost nothing, the ready frame only once Redis
   confirmed the subscription, a token good for one socket only (``SET NX``), rooms kept apart,
   fan-out to 20 clients, one shared subscription per room for many sockets, nothing left behind
   (``PUBSUB NUMSUB``, ``CLIENT LIST``), and a POST to Django arriving on a socket. The sidecar's
   watchdog reports a blocking call in a coroutine; every one of these checks reports it first.
3. ``browser`` (``together.py``): two Chromium pages see each other's posts.
4. ``node`` (``node.py``): the same sidecar in JavaScript (``sidecar.js``): its functions called in
   ``node`` with tokens Django signed, then the ``server`` ring's checks, parametrized with the
   Node.js sidecar (``support.NODE``). Skipped with install advice when ``node`` is missing.
"""

from checker.checks import register

from .functions import check_origin, check_publish, check_tokens
from .node import (check_node_cleanup, check_node_fan_out, check_node_functions, check_node_push, check_node_refuses,
                   check_node_rooms, check_node_shared_connection, check_node_single_use)
from .sidecar import (check_cleanup, check_fan_out, check_push, check_rooms, check_shared_connection,
                      check_sidecar_refuses, check_single_use)
from .together import check_browser_two_pages, check_end_to_end

CHECKS = register(
    check_tokens, check_publish, check_origin, check_sidecar_refuses, check_single_use, check_push, check_rooms,
    check_fan_out, check_shared_connection, check_cleanup, check_end_to_end, check_browser_two_pages,
    check_node_functions, check_node_refuses, check_node_single_use, check_node_push, check_node_rooms,
    check_node_fan_out, check_node_shared_connection, check_node_cleanup,
)
