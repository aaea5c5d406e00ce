"""The board's messages: an in-memory, thread-safe list with a condition variable.

Why not the ORM? Long polling needs a way for a waiting request to be *woken up* when a
message arrives. Inside one process a ``threading.Condition`` does exactly that, and it
keeps the lesson about HTTP rather than about databases. Across several processes a
condition variable is useless: that is why lesson 05 brings in Redis pub/sub.

The board also counts how it is used (``reads``: calls to ``messages()`` and ``last_id()``;
``changed.waits``: waits on the condition), so the checker can tell a request that waits on
the condition from one that sleeps in a loop and asks again and again.
"""

from __future__ import annotations

import itertools
import threading
import time
from dataclasses import dataclass, field


class WatchedCondition(threading.Condition):
    """A ``threading.Condition`` that counts its waits (``wait_for`` waits through ``wait`` too)."""

    def __init__(self) -> None:
        super().__init__()
        self.waits = 0

    def wait(self, timeout: float | None = None) -> bool:
        self.waits += 1  # the lock is held here: wait() may only be called with it
        return super().wait(timeout)


@dataclass(frozen=True)
class Message:
    id: int
    author: str
    text: str
    created: float = field(default_factory=time.time)

    def as_dict(self) -> dict:
        return {"id": self.id, "author": self.author, "text": self.text, "created": self.created}


class Board:
    """Messages with ids 1, 2, 3, ... in the order they were posted."""

    def __init__(self) -> None:
        self.changed = WatchedCondition()  # notified after every post
        self._messages: list[Message] = []
        self._ids = itertools.count(1)
        self.reads = 0  # calls to messages() and last_id(), for the checker

    def post(self, author: str, text: str) -> Message:
        with self.changed:
            message = Message(next(self._ids), author, text)
            self._messages.append(message)
            self.changed.notify_all()  # wake every long-poll request waiting in wait_for_messages
        return message

    def messages(self) -> list[Message]:
        """A copy of every message, oldest first."""
        with self.changed:
            self.reads += 1
            return list(self._messages)

    def last_id(self) -> int:
        with self.changed:
            self.reads += 1
            return self._messages[-1].id if self._messages else 0

    def clear(self) -> None:
        with self.changed:
            self._messages.clear()
            self._ids = itertools.count(1)
            self.reads = self.changed.waits = 0


board = Board()
