"""Checks for lesson 06 (Django Channels), ring by ring from the inside out:

1. ``functions``: ``group_name`` and ``parse_message`` as plain functions, and ``parse_message``
   against hostile frames (``functions.py``).
2. ``consumer``: the consumer alone through Channels' ``WebsocketCommunicator``, no sockets, the
   in-memory layer of this process, ``scope["user"]`` set by the check (``consumer.py``); then the
   learner's ``routing.application`` with the Origin, Host and session cookie a browser sends
   (``routing.py``), and attacked: look-alike origins, paths that match no route (``origins.py``).
3. ``server``: real Daphne processes started by the lesson's launcher, with ``websockets``
   clients; two of them sharing a real Redis (``server.py``, ``servers.py``).
4. ``browser``: two Chromium pages chatting (``browser.py``); a page on another loopback port
   trying to use the victim's cookie (``crossport.py``).

Shared: ``support.py`` (the classic Channels errors and how they are named, Django and the
database of this grading process) and ``chat.py`` (one participant over the communicator).
"""

from checker.checks import register

from .browser import check_browser_two_tabs
from .consumer import (check_bad_input, check_broadcast, check_connect_accepts, check_connect_refuses,
                       check_disconnect, check_history)
from .crossport import check_cross_port_page
from .functions import check_hostile_input, check_plain_functions
from .origins import check_bad_paths, check_lookalike_origins
from .routing import check_routing
from .server import check_daphne_clients, check_redis_layer

CHECKS = register(
    check_plain_functions, check_hostile_input,
    check_connect_accepts, check_connect_refuses, check_history, check_broadcast, check_bad_input,
    check_disconnect, check_routing, check_lookalike_origins, check_bad_paths,
    check_daphne_clients, check_redis_layer,
    check_browser_two_tabs, check_cross_port_page,
)
