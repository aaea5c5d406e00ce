"""Checks for lesson 02 (Server-Sent Events), from the inside out.

Rings (``lessons/02-server-sent-events/lesson.toml``):

- **functions** (``frames.py``): ``format_event`` and ``parse_last_event_id``, called
  directly; frames are read back with a parser that follows the HTML standard
  (``checker.probes.sse``), so a frame passes only if a browser reads it right.
- **server** (``stream.py``, ``closing.py``): the stream over a raw socket, on the feed the
  lesson's launcher starts in this grading process: the first frame, live events,
  heartbeats (and ``comment``), replay after ``Last-Event-ID``, and every way a stream ends
  (its lifetime, idle or busy; the client leaving; the feed closing).
- **browser** (``browser.py``): Chromium's ``EventSource``, once directly and once through a
  TCP proxy (``checker.probes.tcp_proxy``) that cuts the connection mid-stream.
"""

from checker.checks import register

from .browser import check_browser_feed, check_browser_resume
from .closing import check_clean_close, check_feed_closed
from .frames import check_format_event, check_parse_last_event_id
from .stream import check_heartbeat, check_live_events, check_replay, check_stream_opens

CHECKS = register(
    check_format_event, check_parse_last_event_id,
    check_stream_opens, check_live_events, check_heartbeat, check_replay, check_clean_close, check_feed_closed,
    check_browser_feed, check_browser_resume,
)
