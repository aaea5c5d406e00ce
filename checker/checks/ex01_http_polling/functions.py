"""Ring "functions": ``parse_cursor`` and ``messages_after``, called directly."""

from __future__ import annotations

from checker import expect
from checker.api import CheckFailed, Context

#: Not whole numbers >= 0 in ASCII digits. "٣" (Arabic-Indic three) and "²" pass str.isdigit();
#: int() turns "٣" into 3 and accepts spaces and signs, so neither alone is enough.
NOT_CURSORS = ["abc", "-1", "1.5", "1e3", "٣", "²", " 7", "7 ", "+7"]


def check_parse_cursor(ctx: Context) -> None:
    polling = ctx.import_learner("polling")
    cases = [(None, 0), ("", 0), ("0", 0), ("7", 7), ("120", 120)]
    expect.returns(ctx, polling.parse_cursor, "parse_cursor", cases, exact_type=int)
    expect.refuses(ctx, polling.parse_cursor, "parse_cursor", NOT_CURSORS,
                   "only whole numbers >= 0 written with the digits 0-9 are cursors; str.isdigit() also "
                   "accepts digits of other scripts, and int() accepts spaces and a sign")


def check_messages_after(ctx: Context) -> None:
    polling = ctx.import_learner("polling")
    from board.store import Message

    messages = [Message(i, "a", f"m{i}") for i in range(1, 6)]
    original = list(messages)
    for cursor, expected in [(0, [1, 2, 3, 4, 5]), (2, [3, 4, 5]), (4, [5]), (5, []), (9, [])]:
        ctx.step(f"messages_after(messages 1..5, {cursor})")
        got = polling.messages_after(messages, cursor)
        ids = [m.id for m in got] if isinstance(got, list) else got
        if ids != expected:
            raise CheckFailed(f"messages_after(messages 1..5, cursor={cursor}) gave {ids!r:.200}; expected {expected} "
                              "(only the messages with an id greater than the cursor, oldest first).")
    if messages != original:
        raise CheckFailed("messages_after changed the list it was given; build a new list instead.")
