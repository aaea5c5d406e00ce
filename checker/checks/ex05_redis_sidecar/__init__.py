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

The learner picks the sidecar's language (``python -m checker pick 05 node``; the record's
``[[variant]]`` tables): the same checks, for the same points, grade ``sidecar.py`` or
``sidecar.js`` run by ``node node/server.js``, whose plain functions ``node.py`` calls in node.
Without ``node`` the Node.js variant's checks are skipped with install advice (failed under CI).
"""

from checker.checks import register

from .functions import check_origin, check_publish, check_tokens
from .sidecar import (check_cleanup, check_fan_out, check_push, check_rooms, check_shared_connection,
                      check_sidecar_refuses, check_single_use)
from .together import check_browser_two_pages, check_end_to_end

CHECKS = register(
    check_tokens, check_publish, check_origin, check_sidecar_refuses, check_single_use, check_push, check_rooms,
    check_fan_out, check_shared_connection, check_cleanup, check_end_to_end, check_browser_two_pages,
)
