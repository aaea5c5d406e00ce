"""Ring 1, plain functions: ``group_name`` and ``parse_message`` called directly, no Channels machinery."""

from __future__ import annotations

import json

from checker.api import CheckFailed, Context

from .support import classic, where

VALID = [
    ('{"type": "message", "text": "hello"}', "hello"),
    ('{"type": "message", "text": "  padded  "}', "padded"),
    ('{"text": "ünïcode 👋", "type": "message", "extra": 1}', "ünïcode 👋"),
]


def invalid_inputs(limit: int) -> list[tuple[object, str]]:
    return [
        (None, "a binary frame (text_data is None)"),
        ("hello", "text that is not JSON"),
        ("[1, 2, 3]", "a JSON array"),
        ('"hello"', "a JSON string"),
        ('{"text": "hi"}', "no type"),
        ('{"type": "shout", "text": "hi"}', "another type"),
        ('{"type": "message"}', "no text"),
        ('{"type": "message", "text": 42}', "a number as text"),
        ('{"type": "message", "text": null}', "null as text"),
        ('{"type": "message", "text": "   "}', "only spaces"),
        (json.dumps({"type": "message", "text": "x" * (limit + 1)}), f"{limit + 1} characters"),
    ]


def check_plain_functions(ctx: Context) -> None:
    consumers = ctx.import_learner("consumers")
    from channels.layers import InMemoryChannelLayer

    ctx.step("group_name('lobby') and group_name('python')")
    names = {room: consumers.group_name(room) for room in ("lobby", "python", "django")}
    for room, name in names.items():
        try:
            InMemoryChannelLayer().require_valid_group_name(name)
        except TypeError:
            raise CheckFailed(f"group_name({room!r}) returned {name!r}: {classic('name must be a valid unicode string')}"
                              ) from None
    if len(set(names.values())) != len(names):
        raise CheckFailed(f"group_name gave {names}; each room needs a group of its own.")
    limit = consumers.MAX_LENGTH
    for raw, expected in VALID + [(json.dumps({"type": "message", "text": "y" * limit}), "y" * limit)]:
        ctx.step(f"parse_message({raw!r:.60})")
        got = consumers.parse_message(raw)
        if got != expected:
            raise CheckFailed(f"parse_message({raw!r:.80}) returned {got!r:.80}; expected {expected!r:.80} "
                              "(the text, stripped of surrounding spaces).")
    for raw, what in invalid_inputs(limit):
        ctx.step(f"parse_message({raw!r:.60}) ({what})")
        try:
            got = consumers.parse_message(raw)
        except consumers.InvalidMessage as problem:
            if not str(problem).strip():
                raise CheckFailed(f"parse_message raised InvalidMessage() without a message for {what}; say what is "
                                  "wrong (the browser shows it): InvalidMessage('\"text\" is missing').") from None
            continue
        except Exception as exc:  # noqa: BLE001 - the learner's function raised the wrong thing
            raise CheckFailed(f"parse_message({raw!r:.80}) ({what}) raised {type(exc).__name__}: {exc}; it should raise "
                              f"InvalidMessage with a reason, so the consumer can answer with an error instead of "
                              f"crashing.{where(ctx, exc)}") from None
        raise CheckFailed(f"parse_message({raw!r:.80}) returned {got!r:.60}, but that is {what}: raise "
                          "InvalidMessage(\"...\") instead.")
