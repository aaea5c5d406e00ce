"""Lesson 01: short and long polling for the message board.

Two endpoints let a browser ask "anything new since message N?":

* ``GET /api/messages?after=N`` (short poll) answers at once, with whatever is new.
* ``GET /api/messages/wait?after=N&timeout=S`` (long poll) holds the request open until
  something new arrives or ``S`` seconds pass, then answers.

Both answer ``{"messages": [...], "cursor": M}`` where ``M`` is the id of the last message
the client has now seen; the client sends it back as ``after`` next time. That cursor is
what makes polling exact: nothing is delivered twice, nothing is skipped.

Check this file with ``python -m checker 01``; try it in a browser with
``python -m checker serve 01``.
"""

# Your job: replace each `raise NotImplementedError` below.

from __future__ import annotations

from django.http import JsonResponse

from board.store import Board, Message, board

DEFAULT_TIMEOUT = 25.0  # below the 30 s many proxies allow an idle request
MAX_TIMEOUT = 30.0


def parse_cursor(value: str | None) -> int:
    """The ``after`` query parameter as a message id: missing or empty means 0 (from the start).

    Raise ``ValueError`` for anything that is not a whole number >= 0 written with the digits
    0-9 ("abc", "-1", "1.5", " 7", "+7", "٣"). ``int()`` alone accepts spaces and signs, and
    ``str.isdigit()`` accepts digits of other scripts ("٣", "²").
    """
    # TODO: return 0 for None or "", the number for "7", and raise ValueError otherwise.
    raise NotImplementedError


def messages_after(messages: list[Message], cursor: int) -> list[Message]:
    """The messages whose id is greater than ``cursor``, oldest first, in a new list.

    ``messages`` is oldest first; each has ``.id`` (1, 2, 3, ...), ``.author`` and ``.text``.
    Ids only grow, so "after the last id I saw" is exactly "what I have not seen".
    """
    # TODO: keep only the messages the client has not seen yet.
    raise NotImplementedError


def poll_view(request) -> JsonResponse:
    """Short poll: answer at once with the messages after ``?after=``.

    Answer ``{"messages": [m.as_dict(), ...], "cursor": N}`` where ``N`` is the id of the last
    message in the answer, or the client's own cursor when there is nothing new.
    An ``after`` that ``parse_cursor`` refuses gets HTTP 400 with ``{"error": "..."}``.
    ``board.messages()`` gives every message, oldest first.
    """
    # TODO: parse the cursor, pick the new messages, answer with JsonResponse.
    raise NotImplementedError


def wait_for_messages(store: Board, cursor: int, timeout: float) -> list[Message]:
    """Block until ``store`` has a message after ``cursor`` or ``timeout`` seconds pass.

    Return the messages after ``cursor`` (an empty list after a timeout).
    ``store.changed`` is a ``threading.Condition`` that ``store.post()`` notifies, and
    ``store.last_id()`` is the newest message's id. Do not sleep in a loop: wait on the
    condition. Waiting costs no CPU, the answer leaves within moments of a new message, and
    ``wait_for`` re-checks its predicate after every wake-up, so a message posted between the
    check and the wait is never missed.
    """
    # TODO: with store.changed: wait (with a timeout) until there is something after the cursor.
    raise NotImplementedError


def long_poll_view(request) -> JsonResponse:
    """Long poll: wait up to ``?timeout=`` seconds (default 25, at most 30) for news.

    Same answer as ``poll_view``. A bad ``after``, or a ``timeout`` that is not a number
    between 0 and ``MAX_TIMEOUT`` (``nan`` and ``inf`` included), gets HTTP 400 with
    ``{"error": "..."}``.
    """
    # TODO: parse after and timeout, call wait_for_messages(board, ...), answer like poll_view.
    raise NotImplementedError
