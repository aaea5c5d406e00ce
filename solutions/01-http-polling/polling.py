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
    if value is None or value == "":
        return 0
    if not value.isascii() or not value.isdigit():  # isdigit() alone accepts "²"
        raise ValueError(f"after must be a whole number >= 0, not {value!r}")
    return int(value)


def messages_after(messages: list[Message], cursor: int) -> list[Message]:
    """The messages whose id is greater than ``cursor``, oldest first, in a new list.

    ``messages`` is oldest first; each has ``.id`` (1, 2, 3, ...), ``.author`` and ``.text``.
    Ids only grow, so "after the last id I saw" is exactly "what I have not seen".
    """
    return [message for message in messages if message.id > cursor]


def _answer(messages: list[Message], cursor: int) -> JsonResponse:
    new_cursor = messages[-1].id if messages else cursor
    return JsonResponse({"messages": [m.as_dict() for m in messages], "cursor": new_cursor})


def _bad_request(error: str) -> JsonResponse:
    return JsonResponse({"error": error}, status=400)


def poll_view(request) -> JsonResponse:
    """Short poll: answer at once with the messages after ``?after=``.

    Answer ``{"messages": [m.as_dict(), ...], "cursor": N}`` where ``N`` is the id of the last
    message in the answer, or the client's own cursor when there is nothing new.
    An ``after`` that ``parse_cursor`` refuses gets HTTP 400 with ``{"error": "..."}``.
    ``board.messages()`` gives every message, oldest first.
    """
    try:
        cursor = parse_cursor(request.GET.get("after"))
    except ValueError as err:
        return _bad_request(str(err))
    return _answer(messages_after(board.messages(), cursor), cursor)


def wait_for_messages(store: Board, cursor: int, timeout: float) -> list[Message]:
    """Block until ``store`` has a message after ``cursor`` or ``timeout`` seconds pass.

    Return the messages after ``cursor`` (an empty list after a timeout).
    ``store.changed`` is a ``threading.Condition`` that ``store.post()`` notifies, and
    ``store.last_id()`` is the newest message's id. Do not sleep in a loop: wait on the
    condition. Waiting costs no CPU, the answer leaves within moments of a new message, and
    ``wait_for`` re-checks its predicate after every wake-up, so a message posted between the
    check and the wait is never missed.
    """
    with store.changed:
        store.changed.wait_for(lambda: store.last_id() > cursor, timeout=timeout)
    return messages_after(store.messages(), cursor)


def long_poll_view(request) -> JsonResponse:
    """Long poll: wait up to ``?timeout=`` seconds (default 25, at most 30) for news.

    Same answer as ``poll_view``. A bad ``after``, or a ``timeout`` that is not a number
    between 0 and ``MAX_TIMEOUT`` (``nan`` and ``inf`` included), gets HTTP 400 with
    ``{"error": "..."}``.
    """
    try:
        cursor = parse_cursor(request.GET.get("after"))
    except ValueError as err:
        return _bad_request(str(err))
    try:
        timeout = float(request.GET.get("timeout", DEFAULT_TIMEOUT))
    except ValueError:
        return _bad_request("timeout must be a number of seconds")
    if not 0 <= timeout <= MAX_TIMEOUT:  # also refuses nan and inf
        return _bad_request(f"timeout must be between 0 and {MAX_TIMEOUT:g} seconds")
    # This thread is now parked for up to `timeout` seconds: one WSGI worker per waiting client.
    return _answer(wait_for_messages(board, cursor, timeout), cursor)
