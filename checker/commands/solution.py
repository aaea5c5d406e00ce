"""``python -m checker solution NN``: the reference solution beside your code, once yours passes.

As rustlings does, the solution is shown only after the exercise passes (your last run said so),
as a diff against your file: what you did differently is what there is to learn. ``--force``
shows it anyway, with a warning: reading the answer before trying is how a workshop is wasted.
"""

from __future__ import annotations

import argparse
import difflib

from checker import cli
from workshop import paths


def run(argv: list[str]) -> int:
    parser = cli.lesson_parser("solution", __doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--force", action="store_true", help="show it even though the exercise does not pass yet")
    args = parser.parse_args(argv)
    lesson, target = cli.lesson_and_target(args)
    last = cli.load_results(target).get(lesson.id, {})
    if last.get("status") != "pass":
        if not args.force:
            state = f"its last run: {last['status']}" if last else "it has not been graded yet"
            print(f"Exercise {lesson.id} does not pass yet ({state}). Keep going: `python -m checker {lesson.id}` "
                  f"grades it, `python -m checker hint {lesson.id}` helps.\nThe solution is shown once it passes "
                  "(or with --force, if you really must).")
            return 1
        print("Warning: the exercise does not pass yet. Reading the answer now skips the part where you learn; "
              "try one more hint first.\n")
    mine, reference = lesson.exercise_dir(target), lesson.exercise_dir(paths.SOLUTIONS)
    for name in lesson.files:
        ours = (mine / name).read_text(encoding="utf-8").splitlines(keepends=True) if (mine / name).exists() else []
        theirs = (reference / name).read_text(encoding="utf-8").splitlines(keepends=True)
        diff = list(difflib.unified_diff(ours, theirs, f"yours: {cli.label(mine / name)}",
                                         f"reference: {cli.label(reference / name)}"))
        print("".join(diff) if diff else f"{name}: the same as the reference.\n")
    return 0
