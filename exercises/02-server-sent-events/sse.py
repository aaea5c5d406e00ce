"""Lesson 02: a live feed with Server-Sent Events (SSE).

``GET /events`` answers with ``Content-Type: text/event-stream`` and then never really
finishes: the server keeps writing small text frames to the open response, and the
browser's ``EventSource`` turns each frame into a JavaScript event. If the connection
breaks, the browser reconnects by itself and sends ``Last-Event-ID``: the id of the last
event it received. The stream then replays exactly what the browser missed.

A frame is a few ``field: value`` lines and a blank line::

    id: 7
    event: alert
    data: first line
    data: second line

A line that starts with ``:`` is a comment: the browser ignores it, which makes it the
perfect heartbeat to keep proxies from closing an idle connection.

Check this file with ``python -m checker 02``; watch it in a browser with
``python -m checker serve 02``, or raw with ``curl -N http://127.0.0.1:8000/events``.
"""

# Your job: replace each `raise NotImplementedError` below, top to bottom.

from __future__ import annotations

import re
import time
from collections.abc import Iterator

from django.http import HttpResponse, StreamingHttpResponse

from feed.store import Feed, feed
from feed.streaming import stream_options

LINE_BREAK = re.compile(r"\r\n|\r|\n")  # the three line endings an event stream may use


def format_event(data: str | None = None, event: str | None = None, id: str | int | None = None,
                 retry: int | None = None) -> str:
    """One SSE frame: a ``field: value`` line for each field that is not None, then a blank line.

    >>> format_event(data="hi", event="alert", id=7)
    'id: 7\\nevent: alert\\ndata: hi\\n\\n'
    >>> format_event(data="two\\nlines")
    'data: two\\ndata: lines\\n\\n'
    >>> format_event(retry=2000)
    'retry: 2000\\n\\n'

    * ``data`` may contain line breaks (``\\n``, ``\\r\\n`` or ``\\r``): write one ``data:``
      line per line of text (``LINE_BREAK.split(data)``); the browser joins them back with
      ``\\n``. A raw line break inside one ``data:`` line would end the line early, and a
      blank line would end the whole event.
    * ``id`` (a str or an int) is what the browser sends back as ``Last-Event-ID``. Raise
      ``ValueError`` if it contains ``\\n``, ``\\r`` or ``\\0`` (NUL): it cannot be sent intact.
    * ``event`` names the event type (``EventSource.addEventListener(type, ...)``); without
      it the browser fires "message". Raise ``ValueError`` if it contains ``\\n`` or ``\\r``.
    * ``retry`` is how many milliseconds the browser waits before reconnecting: a whole
      number >= 0, else raise ``ValueError``.
    * With no field at all there is no frame: raise ``ValueError``.
    * The order of the lines does not matter; the blank line at the end does.
    """
    # TODO: build the lines, then return "\n".join(lines) + "\n\n".
    raise NotImplementedError


def comment(text: str = "") -> str:
    """A comment frame, the heartbeat: every line starts with ``:``, then a blank line.

    >>> comment("keep-alive")
    ': keep-alive\\n\\n'
    >>> comment("two\\nlines")
    ': two\\n: lines\\n\\n'

    ``text`` may span several lines (``LINE_BREAK.split(text)``): each one gets its own ``:``.
    A line break written as is would start a line without ``:``, which the browser reads as a
    field (``comment("x\\ndata: boo")`` would dispatch an event).

    The browser ignores a comment completely, but every proxy on the way sees traffic, and the
    server finds out whether the browser is still there (writing to a closed connection fails).
    """
    # TODO: one ": ..." line per line of text, then a blank line.
    raise NotImplementedError


def parse_last_event_id(value: str | None) -> int:
    """The ``Last-Event-ID`` request header as an event id: missing or empty means 0.

    ``"7"`` means 7. Raise ``ValueError`` for anything that is not a whole number >= 0 written
    with the digits 0-9 ("abc", "-1", "1.5", " 7", "+7", "٣"): our ids are 1, 2, 3, ..., so the
    browser only ever echoes those. ``int()`` alone accepts spaces, signs and other scripts'
    digits, and ``str.isdigit()`` accepts "²" and "٣".
    """
    # TODO: like lesson 01's parse_cursor.
    raise NotImplementedError


def event_stream(store: Feed, last_id: int, *, heartbeat: float, lifetime: float, retry: int) -> Iterator[str]:
    """The body of one stream: a generator that yields frames (strings) while the stream is open.

    1. First, at once, ``format_event(retry=retry)``. The server sends the response headers
       with the first piece of body: until something is yielded the browser sees nothing.
    2. Then loop. ``store.wait_for_events(last_id, timeout)`` returns the events after
       ``last_id`` (oldest first) as soon as there are any: the first call is the replay
       of what a reconnecting browser missed, the next ones are live events. Yield
       ``format_event(data=e.data, event=e.event, id=e.id)`` for each and remember
       ``last_id = e.id``. Wait ``heartbeat`` seconds at most; an empty answer means it was
       quiet that long: yield ``comment("keep-alive")``.
    3. Stop (``return``) when ``store.closed`` is true: look at it on every turn of the loop,
       before the wait (``while not store.closed:``) or right after it. A wait returns [] at
       once when the feed gets closed, and promptly on a feed that is already closed.
    4. Stop, too, ``lifetime`` seconds after the start: compute the deadline once
       (``time.monotonic() + lifetime``) and check it on every turn of the loop, busy or idle
       (a stream with events every moment must end too), and never wait past it: wait at most
       ``min(heartbeat, deadline - time.monotonic())``. The browser reconnects by itself.

    When the browser goes away, the next write fails and Django closes this generator
    (``GeneratorExit`` at your ``yield``): there is nothing to clean up, just do not catch it.
    """
    # TODO: yield the retry frame, then loop as described above.
    raise NotImplementedError


def stream_view(request) -> HttpResponse:
    """``GET /events``: the event stream.

    * Feed closed (``feed.closed``)? Answer ``HttpResponse(status=204)``: "No Content" is how
      a server tells ``EventSource`` to stop reconnecting.
    * Read ``request.headers.get("Last-Event-ID")`` with ``parse_last_event_id``; a bad one
      gets ``HttpResponse(message, status=400)``.
    * ``options = stream_options(request)`` gives ``.heartbeat``, ``.lifetime`` and ``.retry``
      (from ``?heartbeat=&lifetime=&retry=``, which the checker makes short).
    * Answer ``StreamingHttpResponse(event_stream(feed, last_id, ...), content_type="text/event-stream")``
      with the header ``Cache-Control: no-cache``.
    """
    # TODO: 204, 400, or the streaming response.
    raise NotImplementedError
