"""How fast is the learner's feedback loop? ``python bench/checker_speed.py [--repeat N] [NN ...]``.

For each exercise, the median wall-clock seconds to the verdict of:

- **pristine**: ``python -m checker NN`` on the untouched stubs, as a learner runs it (staged: the
  first ring fails, so the verdict comes without starting servers or a browser);
- **full**: ``python -m checker NN --target solutions --full`` (every ring, browser included);
- **watch r1**: one save graded by ``python -m checker watch`` when the learner works on the
  first ring (the plain functions; the reference's first ring alone);
- **watch**: one save graded by ``python -m checker watch`` (warm Chromium and zygote, staged) on
  the whole reference, after the first grading;

then all exercises at once. The goals beside them are the ones set for the checker (2-core
machine): a first-ring verdict in 0.5 s, a full grade in 2 s, all exercises in 15 s, a watch
save of a plain-function ring in 1 s. Nothing is asserted: this measures and prints.
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from checker import catalog, runner, warm  # noqa: E402
from workshop import paths  # noqa: E402

GOALS = {"pristine": 0.5, "full": 2.0, "watch r1": 1.0, "all": 15.0}


def cli_seconds(*args: str, to_exit: bool = False) -> float:
    """Seconds from starting ``python -m checker`` (cold: no warm browser) to its first verdict printed.

    The first line after the "Grading ..." header is an exercise's result block: what the learner
    waits for. (The process then still waits for its workers to close their servers.) ``to_exit``:
    until the process ends instead (all exercises: the last verdict comes just before).
    """
    started = time.perf_counter()
    verdict = None
    with subprocess.Popen([sys.executable, "-m", "checker", *args], cwd=ROOT, text=True,
                          stdout=subprocess.PIPE, stderr=subprocess.DEVNULL) as proc:
        lines = 0
        for line in proc.stdout:
            lines += bool(line.strip())
            if lines == 2 and verdict is None and not to_exit:
                verdict = time.perf_counter() - started
    return verdict if verdict is not None else time.perf_counter() - started


def ring_seconds(lesson, first_ring_only: bool) -> float:
    """Grade the reference in this process (as watch does); optionally the first ring alone."""
    if first_ring_only:
        ring = lesson.rings[0].name
        lesson = type(lesson)(**{**lesson.__dict__, "checks": tuple(c for c in lesson.checks if c.ring == ring),
                                 "rings": lesson.rings[:1]})
    started = time.perf_counter()
    runner.grade(lesson, paths.SOLUTIONS, staged=True)
    return time.perf_counter() - started  # the verdict; the worker closes its servers in the background


def median(function, repeat: int) -> float:
    return statistics.median(function() for _ in range(repeat))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("exercises", nargs="*", metavar="NN")
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    lessons = catalog.load()
    chosen = [catalog.find(lessons, n) for n in args.exercises] if args.exercises else lessons
    columns = ["pristine", "full", "watch r1", "watch"]
    print(f"{'exercise':<34}" + "".join(f"{c:>10}" for c in columns))
    print(f"{'goal (s)':<34}" + "".join(f"{GOALS.get(c, ''):>10}" for c in columns), flush=True)
    for lesson in chosen:
        row = [median(lambda: cli_seconds(lesson.id), args.repeat),
               median(lambda: cli_seconds(lesson.id, "--target", "solutions", "--full"), args.repeat)]
        with warm.warm_environment(lesson, lesson.exercise_dir(paths.SOLUTIONS)):  # as `checker watch` does
            ring_seconds(lesson, False)  # the first save of a watch session pays for the warm-up
            row.append(median(lambda: ring_seconds(lesson, True), args.repeat))
            row.append(median(lambda: ring_seconds(lesson, False), args.repeat))
            runner.wait_reaped()
        print(f"{lesson.id + ' ' + lesson.title:<34}" + "".join(f"{v:>10.2f}" for v in row), flush=True)
    if not args.exercises:
        total = median(lambda: cli_seconds("--target", "solutions", "--full", to_exit=True), args.repeat)
        print(f"{'all exercises (full)':<34}{total:>10.2f}   goal {GOALS['all']:g}")


if __name__ == "__main__":
    main()
