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
    lines = []
    if id is not None:
        id = str(id)
        if any(bad in id for bad in ("\n", "\r", "\0")):  # would end the line early, or be ignored (NUL)
            raise ValueError(f"an event id must not contain a line break or NUL: {id!r}")
        lines.append(f"id: {id}")
    if event is not None:
        if "\n" in event or "\r" in event:
            raise ValueError(f"an event type must not contain a line break: {event!r}")
        lines.append(f"event: {event}")
    if retry is not None:
        if isinstance(retry, bool) or not isinstance(retry, int) or retry < 0:
            raise ValueError(f"retry must be a whole number of milliseconds >= 0, not {retry!r}")
        lines.append(f"retry: {retry}")
    if data is not None:
        # One data: line per line of text; the browser joins them back with "\n".
        lines.extend(f"data: {line}" for line in LINE_BREAK.split(data))
    if not lines:
        raise ValueError("give at least one of data, event, id and retry")
    return "\n".join(lines) + "\n\n"


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
    lines = LINE_BREAK.split(text)
    return "".join(f": {line}\n" if line else ":\n" for line in lines) + "\n"


def parse_last_event_id(value: str | None) -> int:
    """The ``Last-Event-ID`` request header as an event id: missing or empty means 0.

    ``"7"`` means 7. Raise ``ValueError`` for anything that is not a whole number >= 0 written
    with the digits 0-9 ("abc", "-1", "1.5", " 7", "+7", "٣"): our ids are 1, 2, 3, ..., so the
    browser only ever echoes those. ``int()`` alone accepts spaces, signs and other scripts'
    digits, and ``str.isdigit()`` accepts "²" and "٣".
    """
    if value is None or value == "":
        return 0
    if not value.isascii() or not value.isdigit():  # isdigit() alone accepts "²"
        raise ValueError(f"Last-Event-ID must be a whole number >= 0, not {value!r}")
    return int(value)


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
    deadline = time.monotonic() + lifetime
    # Something goes out at once: the server sends the headers with the first piece of body,
    # and the browser fires "open" when they arrive.
    yield format_event(retry=retry)
    while not store.closed:
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            return  # the browser reconnects after `retry` ms, with Last-Event-ID
        events = store.wait_for_events(last_id, timeout=min(heartbeat, remaining))
        for event in events:
            yield format_event(data=event.data, event=event.event, id=event.id)
            last_id = event.id  # only now: a frame we never yielded was never sent
        if not events and not store.closed and time.monotonic() < deadline:
            # Idle: a comment keeps proxies from timing out, and writing it is how we
            # notice a browser that went away (the write fails and Django closes us).
            yield comment("keep-alive")


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
    if feed.closed:
        return HttpResponse(status=204)  # the one answer that tells EventSource to stop reconnecting
    try:
        last_id = parse_last_event_id(request.headers.get("Last-Event-ID"))
    except ValueError as err:
        return HttpResponse(str(err), status=400, content_type="text/plain; charset=utf-8")
    options = stream_options(request)
    stream = event_stream(feed, last_id, heartbeat=options.heartbeat, lifetime=options.lifetime,
                          retry=options.retry)
    response = StreamingHttpResponse(stream, content_type="text/event-stream")
    response["Cache-Control"] = "no-cache"  # never answer a later request from a cache
    response["X-Accel-Buffering"] = "no"    # nginx: pass each frame on at once
    return response
