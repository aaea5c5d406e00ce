"""How fast is the learner's feedback loop? ``python bench/checker_speed.py [--repeat N]``.

Times ``python -m checker NN --target solutions`` for each exercise (browser checks included)
and ``python -m checker --target solutions`` for all of them, as a learner runs them, and
prints the best and median wall-clock times. Goals on a 2-core laptop: 2 s or less for one
exercise, 20 s or less for all. Nothing is asserted: this measures and prints.
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

from checker import catalog  # noqa: E402


def timed(args: list[str]) -> tuple[float, int]:
    started = time.perf_counter()
    done = subprocess.run([sys.executable, "-m", "checker", *args, "--target", "solutions", "--json"], cwd=ROOT,
                          capture_output=True)
    return time.perf_counter() - started, done.returncode


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    rows = [(f"{e.id} {e.title}", [e.id]) for e in catalog.load()] + [("all exercises", [])]
    print(f"{'what':<40} {'best s':>7} {'median s':>9}  exit")
    for label, selector in rows:
        runs = [timed(selector) for _ in range(args.repeat)]
        times = [t for t, _ in runs]
        print(f"{label:<40} {min(times):>7.2f} {statistics.median(times):>9.2f}  {runs[-1][1]}", flush=True)


if __name__ == "__main__":
    main()
