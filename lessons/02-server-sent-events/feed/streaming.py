"""Scaffolding around the learner's stream: its tuning knobs and a count of open streams.

``stream_options(request)`` reads three optional query parameters so that the checker (and
you, in the demo) can make everything short: ``?heartbeat=0.2&lifetime=2&retry=100``.

``track()`` wraps the learner's streaming content to count how many streams are open right
now. Each one holds a whole WSGI worker thread for as long as it is open: that number is
what lesson 04 (ASGI) is about.
"""

from __future__ import annotations

import math
import threading
import time
from dataclasses import dataclass, field

DEFAULT_HEARTBEAT = 15.0   # seconds of silence before a comment line; below typical 30-60 s proxy idle limits
DEFAULT_LIFETIME = 300.0   # seconds before the server ends a stream; the browser reconnects by itself
DEFAULT_RETRY = 2000       # milliseconds the browser waits before reconnecting


@dataclass(frozen=True)
class StreamOptions:
    heartbeat: float = DEFAULT_HEARTBEAT
    lifetime: float = DEFAULT_LIFETIME
    retry: int = DEFAULT_RETRY


def _number(raw: str | None, default: float, low: float, high: float) -> float:
    try:
        value = float(raw) if raw not in (None, "") else default
    except ValueError:
        return default
    if not math.isfinite(value):
        return default
    return min(max(value, low), high)


def stream_options(request) -> StreamOptions:
    """``?heartbeat=`` (s), ``?lifetime=`` (s) and ``?retry=`` (ms), clamped to sane ranges; defaults otherwise."""
    get = request.GET.get
    return StreamOptions(
        heartbeat=_number(get("heartbeat"), DEFAULT_HEARTBEAT, 0.05, 60.0),
        lifetime=_number(get("lifetime"), DEFAULT_LIFETIME, 0.1, 3600.0),
        retry=int(_number(get("retry"), DEFAULT_RETRY, 0, 60_000)),
    )


@dataclass
class Connection:
    at: float
    last_event_id: str | None  # the Last-Event-ID header the browser sent, if any
    status: int = 0


@dataclass
class StreamStats:
    lock: threading.Lock = field(default_factory=threading.Lock)
    connections: list[Connection] = field(default_factory=list)
    open: int = 0
    peak_open: int = 0
    chunks: int = 0  # pieces of text sent on all streams

    def connected(self, last_event_id: str | None) -> Connection:
        connection = Connection(time.monotonic(), last_event_id)
        with self.lock:
            self.connections.append(connection)
        return connection

    def reset(self) -> None:
        with self.lock:
            self.connections.clear()
            self.peak_open = self.open
            self.chunks = 0

    def open_now(self) -> int:
        with self.lock:
            return self.open

    def as_dict(self) -> dict:
        with self.lock:
            return {
                "open_streams": self.open,
                "peak_open_streams": self.peak_open,
                "connections": len(self.connections),
                "reconnections_with_last_event_id": sum(1 for c in self.connections if c.last_event_id is not None),
                "last_event_ids": [c.last_event_id for c in self.connections[-5:]],
            }


stats = StreamStats()


def track(content, feed):
    """Yield what ``content`` yields, counting the stream as open meanwhile.

    Also ends the stream after ``feed.drop_connections()``: the demo's way to cut every
    connection from the server side and watch the browsers come back with Last-Event-ID.
    """
    generation = feed.generation
    with stats.lock:
        stats.open += 1
        stats.peak_open = max(stats.peak_open, stats.open)
    try:
        for chunk in content:
            if feed.generation != generation:
                return  # dropped: the response ends here, the server closes the connection
            with stats.lock:
                stats.chunks += 1
            yield chunk
    finally:
        close = getattr(content, "close", None)
        if close is not None:
            close()
        with stats.lock:
            stats.open -= 1
