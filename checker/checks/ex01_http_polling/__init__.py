"""Checks for lesson 01 (HTTP polling), from the inside out.

Rings (``lessons/01-http-polling/lesson.toml``):

- **functions** (``functions.py``): ``parse_cursor`` and ``messages_after``, called directly.
- **server** (``server.py``): both endpoints over real HTTP, on the board started by the
  lesson's launcher in this grading process (Django's threaded WSGI server: one thread per
  request, as in production). The board counts its reads and its waits on ``store.changed``,
  which is how a ``sleep()`` loop in ``wait_for_messages`` is told apart from a real wait.
- **browser** (``browser.py``): ``poll_client.js`` in headless Chromium. Each browser check
  first asks the server what the page will ask, and sends the learner to the server-side
  checks when those answers are wrong.
"""

from checker.checks import register

from .browser import check_browser_long_poll, check_browser_short_poll
from .functions import check_messages_after, check_parse_cursor
from .server import check_long_poll_timeout, check_long_poll_wakes, check_poll_endpoint

CHECKS = register(
    check_parse_cursor, check_messages_after,
    check_poll_endpoint, check_long_poll_wakes, check_long_poll_timeout,
    check_browser_short_poll, check_browser_long_poll,
)
