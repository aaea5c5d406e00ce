"""The chat room of the uWSGI exercise: a message log shared by the threads of ONE process.

Each WebSocket lives in its own uWSGI worker thread, and uWSGI's ``websocket_send()`` can only
write to the socket of the request *this* thread is handling. So one thread cannot push a
message into another's socket: every connection's loop must come here and fetch what is new,
with a cursor, exactly like lesson 01's polling clients. ``wait_for_news`` blocks on a
``threading.Condition`` so that waiting costs no CPU and wakes up as soon as someone posts.

Every uWSGI *process* has its own ``room``: with ``--processes 2`` there are two rooms that
never hear of each other (lesson 05's problem).
"""

from __future__ import annotations

import threading

HISTORY = 1000


class Room:
    def __init__(self) -> None:
        self.changed = threading.Condition()
        self._messages: list[tuple[int, str]] = []
        self._last_id = 0

    def post(self, text: str) -> int:
        """Append a message; return its id (1, 2, 3, ...)."""
        with self.changed:
            self._last_id += 1
            self._messages.append((self._last_id, text))
            del self._messages[:-HISTORY]
            self.changed.notify_all()
            return self._last_id

    def last_id(self) -> int:
        with self.changed:
            return self._last_id

    def after(self, cursor: int) -> list[tuple[int, str]]:
        """The ``(id, text)`` pairs posted after ``cursor``, oldest first."""
        with self.changed:
            return [m for m in self._messages if m[0] > cursor]

    def wait_for_news(self, cursor: int, timeout: float) -> bool:
        """Block until something was posted after ``cursor`` or ``timeout`` seconds pass; True if news."""
        with self.changed:
            return self.changed.wait_for(lambda: self._last_id > cursor, timeout=timeout)

    def clear(self) -> None:
        with self.changed:
            self._messages.clear()
            self._last_id = 0


room = Room()  # one per process
