"""The chat room of the uWSGI exercise: a message log shared by the threads of ONE process.

Each WebSocket lives in its own uWSGI worker thread, and uWSGI's ``websocket_send()`` can only
write to the socket of the request *this* thread is handling. So one thread cannot push a
message into another's socket: every connection's loop must come here and fetch what is new,
with a cursor, exactly like lesson 01's polling clients. ``wait_for_news`` blocks on a
``threading.Condition`` so that waiting costs no CPU and wakes up as soon as someone posts.

Every uWSGI *process* has its own ``room``: with ``--processes 2`` there are two rooms that
never hear of each other (lesson 05's problem).

The room also knows who is *in* it: a thread that has asked for ``last_id()`` (or read the room
another way) is a member until the scaffolding calls ``leave()`` for it when its ``chat()``
returns. ``on_join`` (set by ``uwsgi_app.py``) reports each join, so the checker can wait until a
member really holds its cursor before it sends, instead of guessing with a clock.
"""

from __future__ import annotations

import threading

HISTORY = 1000


class Room:
    def __init__(self) -> None:
        self.changed = threading.Condition()
        self._messages: list[tuple[int, str]] = []
        self._last_id = 0
        self._members: set[int] = set()  # idents of the threads in the room
        self.on_join = None  # called with (members, last_id) when a thread first reads the room

    def _present(self) -> None:
        """Note that the calling thread is in the room (call with ``self.changed`` held)."""
        ident = threading.get_ident()
        if ident not in self._members:
            self._members.add(ident)
            if self.on_join is not None:
                self.on_join(len(self._members), self._last_id)

    def leave(self) -> None:
        """The calling thread's conversation is over (the scaffolding calls it after ``chat()``)."""
        with self.changed:
            self._members.discard(threading.get_ident())

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
            self._present()
            return self._last_id

    def after(self, cursor: int) -> list[tuple[int, str]]:
        """The ``(id, text)`` pairs posted after ``cursor``, oldest first."""
        with self.changed:
            self._present()
            return [m for m in self._messages if m[0] > cursor]

    def wait_for_news(self, cursor: int, timeout: float) -> bool:
        """Block until something was posted after ``cursor`` or ``timeout`` seconds pass; True if news."""
        with self.changed:
            self._present()
            return self.changed.wait_for(lambda: self._last_id > cursor, timeout=timeout)

    def clear(self) -> None:
        with self.changed:
            self._messages.clear()
            self._last_id = 0
            self._members.clear()


room = Room()  # one per process
