"""The feed's events: an in-memory, thread-safe history with a condition variable.

Every event gets the next id (1, 2, 3, ...). The history is what makes ``Last-Event-ID``
useful: a browser that reconnects says "the last one I saw was 7", and the stream replays
8, 9, ... from here before going live. A real server bounds that history (we keep the last
``HISTORY`` events) and must decide what to tell a client that fell further behind.
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass, field

HISTORY = 1000
EVENT_TYPES = ("message", "alert")
CLOSED_PAUSE = 0.05  # seconds a wait on an already-closed feed lasts: prompt, but never a tight loop


@dataclass(frozen=True)
class Event:
    id: int
    event: str  # the SSE event type: "message" (the browser's default) or "alert"
    data: str   # plain text; it may span several lines
    created: float = field(default_factory=time.time)

    def as_dict(self) -> dict:
        return {"id": self.id, "event": self.event, "data": self.data, "created": self.created}


class Feed:
    """Events with ids 1, 2, 3, ... in the order they were posted, and a switch to close the feed."""

    def __init__(self, history: int = HISTORY) -> None:
        self.changed = threading.Condition()  # notified after every post, close and drop
        self._history = history
        self._events: list[Event] = []
        self._next_id = 1
        self._closed = False
        self._generation = 0  # bumped by drop_connections()

    # -- writing -------------------------------------------------------------------
    def post(self, data: str, event: str = "message") -> Event:
        with self.changed:
            new = Event(self._next_id, event, data)
            self._next_id += 1
            self._events.append(new)
            del self._events[:-self._history]
            self.changed.notify_all()  # wake every stream waiting in wait_for_events
        return new

    def close(self) -> None:
        """Close the feed: open streams should end, and new ones get HTTP 204 (stop reconnecting)."""
        with self.changed:
            self._closed = True
            self.changed.notify_all()

    def reopen(self) -> None:
        with self.changed:
            self._closed = False
            self.changed.notify_all()

    def drop_connections(self) -> None:
        """Make every open stream end now (the demo's "drop the connection" button)."""
        with self.changed:
            self._generation += 1
            self.changed.notify_all()

    def clear(self) -> None:
        """Forget every event, restart ids at 1, reopen, and end the open streams (for checks)."""
        with self.changed:
            self._events.clear()
            self._next_id = 1
            self._closed = False
            self._generation += 1
            self.changed.notify_all()

    # -- reading -------------------------------------------------------------------
    @property
    def closed(self) -> bool:
        with self.changed:
            return self._closed

    @property
    def generation(self) -> int:
        with self.changed:
            return self._generation

    def last_id(self) -> int:
        with self.changed:
            return self._next_id - 1

    def events(self) -> list[Event]:
        """A copy of the history, oldest first."""
        with self.changed:
            return list(self._events)

    def events_after(self, last_id: int) -> list[Event]:
        """The events whose id is greater than ``last_id``, oldest first."""
        with self.changed:
            return [e for e in self._events if e.id > last_id]

    def wait_for_events(self, last_id: int, timeout: float) -> list[Event]:
        """Block until there is an event after ``last_id``, then return those events (oldest first).

        Returns an empty list when ``timeout`` seconds pass with nothing new (time for a
        heartbeat), and an empty list at once when the feed gets closed or the open streams
        are being dropped: check ``feed.closed`` after an empty answer.

        On a feed that is *already* closed it returns an empty list after ``CLOSED_PAUSE``:
        a stream that missed the close (it happened while the stream was writing) learns of
        it at its very next wait, whether it looks at ``feed.closed`` before or after waiting,
        and a stream that never looks does not spin in a tight loop.
        This is lesson 01's ``wait_for_messages``, now part of the scaffolding.
        """
        with self.changed:
            if self._closed:
                self.changed.wait(min(timeout, CLOSED_PAUSE))
                return []
            generation = self._generation
            self.changed.wait_for(
                lambda: self._next_id - 1 > last_id or self._generation != generation or self._closed,
                timeout=timeout,
            )
            if self._closed:
                return []
            return [e for e in self._events if e.id > last_id]


feed = Feed()
