"""Checks for lesson 04 (WSGI's limits), from the inside out:

1. ``functions`` (``functions.py``): ``predicted_wait`` (the queueing arithmetic of a fixed pool,
   pinned at every pool-size boundary) and ``is_websocket_request`` (whole tokens, not
   substrings), called directly.
2. ``server``: ``probe`` against the lesson's fixed-pool WSGI server in this process, judged by the
   server's own request log (``probe.py``); ``echo`` and ``chat`` on the real ``uwsgi`` binary,
   started by the lesson's launcher, talked to with ``websockets`` clients (``uwsgi.py``).
3. ``browser``: the uWSGI page in headless Chromium (``browser.py``).

The offloading part (``offload.py``, rings 2 and 3) runs Redis and the lesson's two uWSGI
instances, Django handing marked requests to a gevent instance, with SSE, websockets and
Chromium clients.

Each uWSGI check starts its own uWSGI (a thread count of its own), so a worker leaked by one
check cannot break another; the learner's failures inside uWSGI are read back from its log.
"""

from checker.checks import register

from .browser import check_browser_chat, check_browser_echo
from .functions import check_predicted_wait, check_websocket_request
from .offload import check_browser_offload, check_offload_handoff, check_offload_sse, check_offload_websocket
from .probe import check_probe
from .uwsgi import check_uwsgi_chat, check_uwsgi_echo

CHECKS = register(
    check_predicted_wait, check_websocket_request, check_probe, check_uwsgi_echo, check_uwsgi_chat,
    check_offload_handoff, check_offload_sse, check_offload_websocket, check_browser_echo, check_browser_chat,
    check_browser_offload,
)
