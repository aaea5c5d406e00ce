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
    """One SSE frame: a ``field: value`` line per field given, then a blank line."""
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
    """A comment frame: every line starts with ``:``, so the browser ignores it."""
    lines = LINE_BREAK.split(text)
    return "".join(f": {line}\n" if line else ":\n" for line in lines) + "\n"


def parse_last_event_id(value: str | None) -> int:
    """The ``Last-Event-ID`` header as an event id: missing or empty means 0 (from the start)."""
    if value is None or value == "":
        return 0
    if not value.isascii() or not value.isdigit():  # isdigit() alone accepts "²"
        raise ValueError(f"Last-Event-ID must be a whole number >= 0, not {value!r}")
    return int(value)


def event_stream(store: Feed, last_id: int, *, heartbeat: float, lifetime: float, retry: int) -> Iterator[str]:
    """The body of one stream: retry, then every event after ``last_id``, live, with heartbeats."""
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
    """``GET /events``: 204 when the feed is closed, 400 for a bad Last-Event-ID, else the stream."""
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
