"""Lesson 01: short and long polling for the message board.

Two endpoints let a browser ask "anything new since message N?":

* ``GET /api/messages?after=N`` (short poll) answers at once, with whatever is new.
* ``GET /api/messages/wait?after=N&timeout=S`` (long poll) holds the request open until
  something new arrives or ``S`` seconds pass, then answers.

Both answer ``{"messages": [...], "cursor": M}`` where ``M`` is the id of the last message
the client has now seen; the client sends it back as ``after`` next time. That cursor is
what makes polling exact: nothing is delivered twice, nothing is skipped.
"""

from __future__ import annotations

from django.http import JsonResponse

from board.store import Board, Message, board

DEFAULT_TIMEOUT = 25.0  # below the 30 s many proxies allow an idle request
MAX_TIMEOUT = 30.0


def parse_cursor(value: str | None) -> int:
    """The ``after`` query parameter as a message id: missing or empty means 0 (from the start).

    Raise ``ValueError`` for anything that is not a whole number >= 0 ("abc", "-1", "1.5").
    """
    if value is None or value == "":
        return 0
    if not value.isascii() or not value.isdigit():  # isdigit() alone accepts "²"
        raise ValueError(f"after must be a whole number >= 0, not {value!r}")
    return int(value)


def messages_after(messages: list[Message], cursor: int) -> list[Message]:
    """The messages whose id is greater than ``cursor``, oldest first.

    Ids only grow, so "after the last id I saw" is exactly "what I have not seen".
    """
    return [message for message in messages if message.id > cursor]


def _answer(messages: list[Message], cursor: int) -> JsonResponse:
    new_cursor = messages[-1].id if messages else cursor
    return JsonResponse({"messages": [m.as_dict() for m in messages], "cursor": new_cursor})


def _bad_request(error: str) -> JsonResponse:
    return JsonResponse({"error": error}, status=400)


def poll_view(request) -> JsonResponse:
    """Short poll: answer at once with the messages after ``?after=``."""
    try:
        cursor = parse_cursor(request.GET.get("after"))
    except ValueError as err:
        return _bad_request(str(err))
    return _answer(messages_after(board.messages(), cursor), cursor)


def wait_for_messages(store: Board, cursor: int, timeout: float) -> list[Message]:
    """Block until ``store`` has a message after ``cursor`` or ``timeout`` seconds pass.

    ``store.changed`` is a ``threading.Condition`` that ``store.post()`` notifies. Waiting on
    it costs no CPU, and ``wait_for`` re-checks the predicate after every wake-up, so a
    message posted between our check and our wait is never missed.
    """
    with store.changed:
        store.changed.wait_for(lambda: store.last_id() > cursor, timeout=timeout)
    return messages_after(store.messages(), cursor)


def long_poll_view(request) -> JsonResponse:
    """Long poll: wait up to ``?timeout=`` seconds (default 25, at most 30) for news."""
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
