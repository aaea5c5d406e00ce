"""Small assertions shared by several lessons' checks, with messages a learner can act on."""

from __future__ import annotations

from checker.api import CheckFailed, Context


def returns(ctx: Context, function, name: str, cases, *, exact_type: type | None = None) -> None:
    """``function(value) == expected`` for each ``(value, expected)`` in ``cases``."""
    for value, expected in cases:
        ctx.step(f"{name}({value!r})")
        got = function(value)
        if got != expected or (exact_type is not None and type(got) is not exact_type):
            raise CheckFailed(f"{name}({value!r}) returned {got!r}; expected {expected!r}.")


def refuses(ctx: Context, function, name: str, values, why: str) -> None:
    """``function(value)`` raises ``ValueError`` for each of ``values``; ``why`` says why it should."""
    for value in values:
        ctx.step(f"{name}({value!r})")
        try:
            got = function(value)
        except ValueError:
            continue
        raise CheckFailed(f"{name}({value!r}) returned {got!r}; it should raise ValueError ({why}).")


def see(lesson: str, section: str) -> str:
    """The pointer that ends a failure message: the lesson README's section, then the hint ladder.

    A message says what went wrong and what was expected; the recipe is the ladder's last rung.
    """
    return f"See \"{section}\" in the lesson README, or `python -m checker hint {lesson}` for the next hint."


def brief(items, shown: int = 8) -> str:
    """A list for a message, cut to its first ``shown`` items: ``[1, 2, 3, … and 997 more]``.

    A learner's loop can deliver thousands of items; a message must stay readable whatever it gets.
    """
    items = list(items)
    if len(items) <= shown:
        return repr(items)
    return "[" + ", ".join(repr(item) for item in items[:shown]) + f", … and {len(items) - shown} more]"
