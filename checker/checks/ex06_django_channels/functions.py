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


def hostile_inputs(consumers) -> list[tuple[str, str, str]]:
    """(frame, what it is, what stops it): frames a valid chat never sends, each one an attack."""
    frame_limit = getattr(consumers, "MAX_FRAME", 8000)
    ok = '{"type": "message", "text": "hi"'
    return [
        ("[" * 100_000 + "]" * 100_000, "JSON arrays nested 100,000 deep",
         "a size guard before json.loads (MAX_FRAME)"),
        (ok + ', "x": ' + "[" * 3000 + "]" * 3000 + "}", "a short frame with arrays nested 3,000 deep",
         "a depth guard before json.loads (MAX_DEPTH): json.loads recurses once per level and raises "
         "RecursionError, which `except ValueError` does not catch"),
        (ok + "}" + " " * (frame_limit * 4), f"a valid message followed by {frame_limit * 4:,} spaces",
         "a size guard before json.loads: refuse a frame longer than MAX_FRAME characters, however valid"),
        (ok + ', "pad": "' + "x" * 1_000_000 + '"}', "a valid message with a 1,000,000-character extra field",
         "a size guard before json.loads (MAX_FRAME)"),
    ]


def check_hostile_input(ctx: Context) -> None:
    consumers = ctx.import_learner("consumers")
    for name in ("MAX_FRAME", "MAX_DEPTH"):
        if not isinstance(getattr(consumers, name, None), int):
            raise CheckFailed(f"consumers.{name} is missing: keep the constants MAX_FRAME and MAX_DEPTH from the "
                              "exercise file (parse_message's guards use them).")
    brackets = "[[[ {{{ " * 8 + "]]] }}}"
    ctx.step("parse_message of a message whose text holds brackets (text, not nesting)")
    got = consumers.parse_message(json.dumps({"type": "message", "text": brackets}))
    if got != brackets.strip():
        raise CheckFailed(f"parse_message refused or changed a message whose text is {brackets!r}: brackets inside a "
                          "JSON string are text, not nesting (skip strings when you measure the depth).")
    for raw, what, guard in hostile_inputs(consumers):
        ctx.step(f"parse_message of {what}")
        try:
            got = consumers.parse_message(raw)
        except consumers.InvalidMessage:
            continue
        except NotImplementedError:
            raise
        except RecursionError:
            raise CheckFailed(f"parse_message of {what} raised RecursionError: the consumer would crash (close 1011, "
                              f"a traceback in the server's log). It needs {guard}.") from None
        except Exception as exc:  # noqa: BLE001 - the learner's function raised the wrong thing
            raise CheckFailed(f"parse_message of {what} raised {type(exc).__name__}: {exc!s:.120}; raise "
                              f"InvalidMessage instead. It needs {guard}.{where(ctx, exc)}") from None
        raise CheckFailed(f"parse_message accepted {what} (returned {got!r:.40}): it needs {guard}.")
