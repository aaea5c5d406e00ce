"""Printing results for people: a table per exercise, the first problem with its hint, progress.

Colours and symbols are used only when the output is a terminal that can show them
(``NO_COLOR`` turns colours off, ``FORCE_COLOR`` on), so logs and CI output stay clean.
"""

from __future__ import annotations

import os
import re
import sys

from checker.pipeline import ExerciseResult, Status

COLOURS = {"waiting": "2", "pass": "32", "fail": "31", "error": "35", "timeout": "33", "skip": "36", "dim": "2", "bold": "1"}
SYMBOLS = {"waiting": "·", "pass": "✓", "fail": "✗", "error": "!", "timeout": "⏱", "skip": "-"}


class Style:
    def __init__(self, stream=sys.stdout):
        tty = hasattr(stream, "isatty") and stream.isatty()
        self.colour = (tty and "NO_COLOR" not in os.environ) or bool(os.environ.get("FORCE_COLOR"))
        encoding = (getattr(stream, "encoding", "") or "").lower()
        self.unicode = "utf" in encoding

    def paint(self, text: str, key: str) -> str:
        return f"\033[{COLOURS[key]}m{text}\033[0m" if self.colour else text

    def symbol(self, status: str) -> str:
        return SYMBOLS[status] if self.unicode else {"pass": "ok", "fail": "x", "error": "!", "timeout": "T",
                                                     "skip": "-", "waiting": "."}[status]


def _indent(text: str, prefix: str = "      ") -> str:
    return "\n".join(prefix + line if line else line for line in text.splitlines())


SENTENCE_END = re.compile(r"(?<!\.)\. ")
#: How many other failing checks the summary names, one line each, after the first problem.
MAX_ALSO_FAILING = 5


def first_sentence(message: str) -> str:
    """The first line of ``message``, cut after its first sentence: one line in the summary.

    Only a full stop ends a sentence here: "returned X; expected Y" keeps its second half,
    which is the part that says what to do.
    """
    line = message.strip().splitlines()[0] if message.strip() else ""
    end = SENTENCE_END.search(line)  # an ellipsis ("61 62 ... (65545 bytes)") does not end one
    if end:
        line = line[: end.start() + 1]
    return line if len(line) <= 160 else line[:157] + "..."


def _load_failure(problems) -> bool:
    """Every problem carries one message: the learner's files did not load (one error, said once)."""
    return len(problems) > 1 and len({c.message for c in problems}) == 1


def exercise_block(result: ExerciseResult, target_label: str, style: Style, variant_line: str = "") -> str:
    """``variant_line``: for an exercise done one of several ways, which one was graded (``cli.variant_line``)."""
    lines = []
    header = f"{result.id}  {result.title}"
    lines.append(style.paint(header, "bold") + style.paint(f"   ({target_label}/{result.slug})", "dim"))
    if variant_line:
        lines.append("    " + style.paint(variant_line, "dim"))
    width = max(len(c.title) for c in result.checks)
    for check in result.checks:
        status = str(check.status)
        mark = style.paint(f"{style.symbol(status)} {status:<7}", status)
        lines.append(f"    {mark} {check.score:>3}/{check.points:<3} {check.title:<{width}}")
    passed = sum(c.status is Status.PASS for c in result.checks)
    summary = (f"{passed}/{len(result.checks)} checks passed, {result.score}/{result.max_score} points: "
               f"{result.status}")
    lines.append("    " + style.paint(summary, str(result.status)))
    problems = [c for c in result.checks if c.status.is_problem]
    if problems and _load_failure(problems):
        lines.append("    " + style.paint("Your code does not load, so no check could run:", "bold"))
        lines.append(_indent(problems[0].message))
    elif problems:
        first = problems[0]
        lines.append(f"    First problem, {first.title} ({first.status}):")
        lines.append(_indent(first.message))
        if first.hint:
            lines.append("    " + style.paint("Hint: ", "bold") + first.hint)
        if len(problems) > 1:
            lines.append("    Also failing:")
            others = problems[1:]
            lines += [f"      - {c.name}: {first_sentence(c.message)}" for c in others[:MAX_ALSO_FAILING]]
            if len(others) > MAX_ALSO_FAILING:
                lines.append(f"      - and {len(others) - MAX_ALSO_FAILING} more (--json lists every message)")
        lines.append(f"    More help: `python -m checker hint {result.id}` (one step at a time).")
    waiting = [c for c in result.checks if c.status is Status.WAITING]
    if waiting:
        rings = sorted({c.ring for c in waiting}, key=[c.ring for c in result.checks].index)
        lines.append(style.paint(f"    {len(waiting)} check(s) of the ring(s) {', '.join(rings)} wait until the "
                                 "checks above pass (--full grades them anyway).", "dim"))
    skipped = [c for c in result.checks if c.status is Status.SKIP]
    if skipped:
        lines.append(f"    {len(skipped)} check(s) skipped:")
        lines.append(_indent(skipped[0].message))
    return "\n".join(lines)


def overall(results: list[ExerciseResult], style: Style, target_label: str) -> str:
    done = sum(r.complete for r in results)
    score = sum(r.score for r in results)
    maximum = sum(r.max_score for r in results)
    line = f"Progress: {done}/{len(results)} exercises complete, {score}/{maximum} points."
    todo = next((r for r in results if r.status is not Status.PASS), None)
    partial = [r for r in results if r.status is Status.PASS and not r.complete]
    if todo is None and partial:
        skipped = sum(c.status is Status.SKIP for r in partial for c in r.checks)
        advice = (f"Everything that could run here passes, but {skipped} check(s) of {', '.join(r.id for r in partial)} "
                  "were skipped on this machine (each says above what to install). The exercise counts as complete, "
                  "and its solution opens, once they have run and passed.")
    elif todo is None:
        number = results[0].id if len(results) == 1 else "NN"
        advice = (f"Everything passes. Well done! Try `python -m checker serve {number}` to play with your code, "
                  f"and `python -m checker solution {number}` to compare it with the reference.")
    else:
        advice = (f"Next: work on {todo.id} ({todo.title}) in {target_label}/{todo.slug}/, then run "
                  f"`python -m checker {todo.id}` again. Stuck? `python -m checker hint {todo.id}`.")
    return style.paint(line, "bold") + "\n" + advice

