"""``python -m checker room DIR``: grade a whole room of learner folders, for instructors.

It runs every learner's code as the user who runs it: use a throwaway user or a container.
``python -m checker room serve`` is the live version: a dashboard learners report to
(``checker.live``); its CSV export has the same shape, built by ``csv_header``/``csv_row``.
"""

from __future__ import annotations

import argparse
import csv
from pathlib import Path

from checker import catalog, cli, runner, variants
from checker.pipeline import Status


def csv_header(lessons) -> list[str]:
    return ["learner", *(f"{e.id} ({e.max_score})" for e in lessons), "total", "complete"]


def csv_row(learner: str, scores: list[int], passed: int) -> list:
    """One learner's row: a score per exercise, their total, and ``passed/exercises``."""
    return [learner, *scores, sum(scores), f"{passed}/{len(scores)}"]


def run(argv: list[str]) -> int:
    if argv[:1] == ["serve"]:  # a learner folder called "serve" is still reachable as ./serve
        from checker.live import server

        return server.run(argv[1:])
    parser = argparse.ArgumentParser(
        prog="python -m checker room",
        description="Grade a whole room: every sub-folder of DIR is one learner's checkout (or exercises tree). "
                    "This runs every learner's code as your user: run it as a throwaway user or in a container.")
    parser.add_argument("room", metavar="DIR")
    parser.add_argument("exercises", nargs="*", metavar="NN", help="only these exercises (default: all)")
    parser.add_argument("--csv", type=Path, help="write learner, exercise scores and total to this CSV file")
    parser.add_argument("--variant", help="grade this variant for everyone (default: each checkout's own pick, "
                                          "from its .workshop/ folder, else the first variant)")
    args = parser.parse_args(argv)
    room = Path(args.room)
    if not room.is_dir():
        raise cli.UsageError(f"{args.room}: no such folder (it should hold one folder per learner).")
    chosen = cli.select(catalog.load(), args.exercises)
    learners = sorted(p for p in room.iterdir() if p.is_dir() and not p.name.startswith("."))
    if not learners:
        raise cli.UsageError(f"{args.room} holds no learner folders.")
    header = csv_header(chosen)
    rows = []
    print("  ".join(header), flush=True)
    for folder in learners:
        target = folder / "exercises" if (folder / "exercises").is_dir() else folder
        # A learner's checkout remembers which variant they picked (05: python or node) in .workshop/.
        lessons = variants.apply(chosen, folder / ".workshop", args.variant)
        results = runner.grade_many(lessons, target.resolve())
        row = csv_row(folder.name, [r.score for r in results], sum(r.status is Status.PASS for r in results))
        rows.append(row)
        print("  ".join(str(value) for value in row), flush=True)
    if args.csv:
        with open(args.csv, "w", newline="") as out:
            writer = csv.writer(out)
            writer.writerow(header)
            writer.writerows(rows)
        print(f"\nWrote {args.csv}")
    return 0
