"""Printing results for people: a table per exercise, the first problem with its hint, progress.

Colours and symbols are used only when the output is a terminal that can show them
(``NO_COLOR`` turns colours off, ``FORCE_COLOR`` on), so logs and CI output stay clean.
"""

from __future__ import annotations

import os
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


def exercise_block(result: ExerciseResult, target_label: str, style: Style) -> str:
    lines = []
    header = f"{result.id}  {result.title}"
    lines.append(style.paint(header, "bold") + style.paint(f"   ({target_label}/{result.slug})", "dim"))
    width = max(len(c.title) for c in result.checks)
    for check in result.checks:
        status = str(check.status)
        mark = style.paint(f"{style.symbol(status)} {status:<7}", status)
        lines.append(f"    {mark} {check.score:>3}/{check.points:<3} {check.title:<{width}}")
    passed = sum(c.status is Status.PASS for c in result.checks)
    summary = (f"{passed}/{len(result.checks)} checks passed, {result.score}/{result.max_score} points: "
               f"{result.status}")
    lines.append("    " + style.paint(summary, str(result.status)))
    problem = next((c for c in result.checks if c.status.is_problem), None)
    if problem is not None:
        lines.append(f"    First problem, {problem.title} ({problem.status}):")
        lines.append(_indent(problem.message))
        if problem.hint:
            lines.append("    " + style.paint("Hint: ", "bold") + problem.hint)
    skipped = [c for c in result.checks if c.status is Status.SKIP]
    if skipped:
        lines.append(f"    {len(skipped)} check(s) skipped:")
        lines.append(_indent(skipped[0].message))
    return "\n".join(lines)


def overall(results: list[ExerciseResult], style: Style, target_label: str) -> str:
    done = sum(r.status is Status.PASS for r in results)
    score = sum(r.score for r in results)
    maximum = sum(r.max_score for r in results)
    line = f"Progress: {done}/{len(results)} exercises complete, {score}/{maximum} points."
    todo = next((r for r in results if r.status is not Status.PASS), None)
    if todo is None:
        advice = "Everything passes. Well done! Try `python -m checker serve NN` to play with your code."
    else:
        advice = (f"Next: work on {todo.id} ({todo.title}) in {target_label}/{todo.slug}/, then run "
                  f"`python -m checker {todo.id}` again. Stuck? `python -m checker hint {todo.id}`.")
    return style.paint(line, "bold") + "\n" + advice

