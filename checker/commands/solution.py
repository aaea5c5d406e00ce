"""``python -m checker solution NN``: the reference solution beside your code, once yours passes.

As rustlings does, the solution is shown only after the exercise passes (your last run said so),
as a diff against your file: what you did differently is what there is to learn. ``--force``
shows it anyway, with a warning: reading the answer before trying is how a workshop is wasted.

The handout's scaffolding comments (``# Your job: ...``, ``# TODO: ...``: comment lines of the
stub, as git holds it, that the reference does not have) are left out of your side of the diff, so
a solved file shows your code against the reference, not the TODOs you did not bother to delete.
"""

from __future__ import annotations

import argparse
import difflib

from checker import cli
from checker.commands.reset import pristine
from workshop import paths

COMMENT_PREFIXES = ("#", "//")


def run(argv: list[str]) -> int:
    parser = cli.lesson_parser("solution", __doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--force", action="store_true", help="show it even though the exercise does not pass yet")
    args = parser.parse_args(argv)
    lesson, target = cli.lesson_and_target(args)
    last = cli.load_results(target).get(lesson.id, {})
    if not cli.complete(last):
        if not args.force:
            state = f"its last run: {last['status']}" if last else "it has not been graded yet"
            if last.get("status") == "pass":
                state = f"{len(last['skipped'])} of its checks were skipped on this machine: {', '.join(last['skipped'])}"
            print(f"Exercise {lesson.id} does not pass yet ({state}). Keep going: `python -m checker {lesson.id}` "
                  f"grades it, `python -m checker hint {lesson.id}` helps.\nThe solution is shown once it passes "
                  "(or with --force, if you really must).")
            return 1
        print("Warning: the exercise does not pass yet. Reading the answer now skips the part where you learn; "
              "try one more hint first.\n")
    mine, reference = lesson.exercise_dir(target), lesson.exercise_dir(paths.SOLUTIONS)
    for name in lesson.graded_files:
        ours = (mine / name).read_text(encoding="utf-8").splitlines(keepends=True) if (mine / name).exists() else []
        theirs = (reference / name).read_text(encoding="utf-8").splitlines(keepends=True)
        stub = pristine(f"exercises/{lesson.slug}/{name}")
        ours, dropped = without_scaffolding(ours, scaffolding(stub.decode("utf-8") if stub else "", theirs))
        diff = list(difflib.unified_diff(ours, theirs, f"yours: {cli.label(mine / name)}",
                                         f"reference: {cli.label(reference / name)}"))
        if dropped:
            print(f"{name}: {dropped} comment line(s) of the handout's TODO scaffolding left out of your side.")
        print("".join(diff) if diff else f"{name}: the same as the reference.\n")
    return 0


def scaffolding(stub: str, reference: list[str]) -> set[str]:
    """The stub's comment lines (stripped) that the reference does not have: the TODO scaffolding."""
    kept = {line.strip() for line in reference}
    return {line.strip() for line in stub.splitlines()
            if line.strip().startswith(COMMENT_PREFIXES) and line.strip() not in kept}


def without_scaffolding(lines: list[str], comments: set[str]) -> tuple[list[str], int]:
    """``lines`` without the scaffolding ``comments`` (and the blank line that set one apart); how many went."""
    kept: list[str] = []
    dropped, after_dropped = 0, False
    for line in lines:
        if line.strip() in comments:
            dropped, after_dropped = dropped + 1, True
            continue
        if after_dropped and not line.strip() and (not kept or not kept[-1].strip()):
            after_dropped = False  # a comment that stood between two blank lines leaves one of them
            continue
        after_dropped = False
        kept.append(line)
    return kept, dropped
