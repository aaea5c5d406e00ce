"""Does a correct solution ever fail? ``python bench/solutions_repeat.py [--times 20] [--variant V] [NN ...]``.

Grades every reference solution (full grading, browser included) again and again and prints each
false failure: a check that failed on code known to be right. A learner who sees a correct
solution fail stops trusting the checker, so the figure to reach is 0. Nothing is asserted.
"""

from __future__ import annotations

import argparse
import collections
import json
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("exercises", nargs="*", metavar="NN")
    parser.add_argument("--times", type=int, default=20)
    parser.add_argument("--variant", help="grade this variant where an exercise has several (05: node)")
    args = parser.parse_args()
    failures: collections.Counter = collections.Counter()
    started = time.monotonic()
    for run in range(1, args.times + 1):
        variant = ["--variant", args.variant] if args.variant else []
        done = subprocess.run([sys.executable, "-m", "checker", *args.exercises, "--target", "solutions", "--json",
                               *variant], cwd=ROOT, capture_output=True, text=True)
        document = json.loads(done.stdout)
        bad = [(e["id"], c) for e in document["exercises"] for c in e["checks"] if c["status"] != "pass"]
        for lesson_id, check in bad:
            failures[f"{lesson_id}/{check['name']}"] += 1
            first = check["message"].splitlines()[0] if check["message"] else ""
            print(f"run {run}: {lesson_id}/{check['name']} {check['status']}: {first}", flush=True)
        print(f"run {run}/{args.times}: {document['score']}/{document['max_score']}", flush=True)
    total = sum(failures.values())
    print(f"\n{total} false failure(s) in {args.times} gradings of the references "
          f"({time.monotonic() - started:.0f} s).")
    for name, count in failures.most_common():
        print(f"  {name}: {count}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
