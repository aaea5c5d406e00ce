"""Benchmark for lesson 07: the same job run by a Celery worker and by Channels' worker (``runworker``).

Starts lesson 07's launcher once (a real Redis, a Celery worker ``--pool=solo``, Channels' worker
for the channel ``jobs-worker`` and Daphne) with the reference solution (or ``--exercise-dir``),
then runs ``--jobs`` jobs per engine, one at a time, alternating the engines so both see the same
machine. For each job: POST /jobs/ (with ``engine=celery`` or ``engine=channels``), connect a
``websockets`` client, and time from the POST to the first progress event after a page
(``done=1``: the job started, rendered one page and its event came back through the group) and to
``done``. The 0/N event is often sent before the WebSocket has connected, so it is not timed.
It measures; it never asserts.

    python bench/07_worker_vs_celery.py                  # 20 jobs per engine of 5 pages, 0.05 s per page
    python bench/07_worker_vs_celery.py --jobs 50 --steps 3 --step-seconds 0.02
"""

from __future__ import annotations

import asyncio
import importlib.util
import platform
import sys
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO_ROOT))

from checker.probes import jobs  # noqa: E402

LIMIT = 10.0  # seconds for one request or one job: generous, the numbers are what matters
ENGINES = ("celery", "channels")


def _progress_bench():
    """``bench/07_task_progress.py`` (its options, launch and ``ms`` formatter), loaded by path: its name
    starts with a digit."""
    spec = importlib.util.spec_from_file_location("bench07_task_progress", Path(__file__).with_name("07_task_progress.py"))
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def timings(posted: jobs.Posted, seen: list[tuple[float, dict]]) -> tuple[float | None, float | None]:
    """(POST -> first event with done >= 1, POST -> 'done') in seconds; None for what never came."""
    first = next((now - posted.posted_at for now, state in seen if state.get("done", 0) >= 1), None)
    done = next((now - posted.posted_at for now, state in seen if state.get("status") == "done"), None)
    return first, done


def main() -> int:
    progress = _progress_bench()
    args, ms = progress.parse_args(__doc__.splitlines()[0], "jobs per engine"), progress.ms
    results = {engine: {"post": [], "first": [], "done": [], "missing": 0} for engine in ENGINES}
    with progress.launched(args) as (base, token, startup):
        for _ in range(args.jobs):
            for engine in ENGINES:
                posted = jobs.post_job(base, args.steps, token=token, engine=engine, timeout=LIMIT)
                first, done = timings(posted, asyncio.run(jobs.watch(base, posted.job, timeout=LIMIT)))
                row = results[engine]
                row["post"].append(posted.seconds)
                if first is None or done is None:
                    row["missing"] += 1
                    continue
                row["first"].append(first)
                row["done"].append(done)
    pages = args.steps * args.step_seconds * 1000
    print(f"lesson 07 Celery worker vs Channels' worker · {platform.python_implementation()} "
          f"{platform.python_version()} · {args.jobs} jobs per engine × {args.steps} pages × {args.step_seconds} s")
    print(f"  Redis + Celery worker (solo) + runworker + Daphne ready in {startup:.2f} s")
    print(f"  median / p95         {'POST (202)':>22}  {'POST -> first page event':>26}  {'POST -> done':>22}  unseen")
    for engine in ENGINES:
        row = results[engine]
        cells = [f"{ms(row[k])} / {ms(row[k], .95)}" for k in ("post", "first", "done")]
        print(f"  {engine:19}  {cells[0]:>22}  {cells[1]:>26}  {cells[2]:>22}  {row['missing']}")
    print(f"  (the pages alone take {pages:.0f} ms; 'unseen': jobs not watched to the end within {LIMIT:g} s)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
