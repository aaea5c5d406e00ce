"""Benchmark for lesson 07: how fast does a Celery job's progress reach a WebSocket client?

Starts lesson 07's launcher (a real Redis, a real Celery worker ``--pool=solo`` and real Daphne) with
the reference solution (or ``--exercise-dir``), then runs ``--jobs`` jobs one after the other. For
each: POST /jobs/ (timed: the request only enqueues), connect a ``websockets`` client to the job,
and time from the POST to the first event of the worker (``running``, done=0: the task started),
and between consecutive progress events. It measures; it never asserts.

    python bench/07_task_progress.py                 # 20 jobs of 5 pages, 0.05 s per page
    python bench/07_task_progress.py --jobs 50 --steps 10 --step-seconds 0.02
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import platform
import statistics
import sys
import time
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO_ROOT))

from checker import launchers  # noqa: E402
from checker.probes import jobs  # noqa: E402
from workshop import paths  # noqa: E402
from workshop.launch import Ports  # noqa: E402

SLUG = "07-task-queues"
LIMIT = 10.0  # seconds for one request or one job: generous, the numbers are what matters


def timings(posted: jobs.Posted, seen: list[tuple[float, dict]]) -> tuple[float | None, list[float], float]:
    """(POST -> first 'running' event, gaps between progress events, POST -> done) in seconds."""
    first, gaps, last = None, [], None
    for now, state in seen:
        if state["status"] == "queued":
            continue
        if first is None and state["status"] == "running" and state["done"] == 0:
            first = now - posted.posted_at
        if last is not None:
            gaps.append(now - last)
        last = now
    return first, gaps, (last or posted.posted_at) - posted.posted_at


def ms(values, q=None) -> str:
    if not values:
        return "-"
    values = sorted(values)
    value = statistics.median(values) if q is None else values[min(len(values) - 1, int(q * len(values)))]
    return f"{value * 1000:.1f} ms"


def parse_args(description: str, jobs_help: str = "jobs to run") -> argparse.Namespace:
    """The options of lesson 07's benchmarks (this one and ``07_worker_vs_celery.py``)."""
    parser = argparse.ArgumentParser(description=description)
    parser.add_argument("--jobs", type=int, default=20, help=jobs_help)
    parser.add_argument("--steps", type=int, default=5)
    parser.add_argument("--step-seconds", type=float, default=0.05)
    parser.add_argument("--exercise-dir", type=Path, default=paths.exercise_dir(paths.SOLUTIONS, SLUG))
    return parser.parse_args()


@contextlib.contextmanager
def launched(args: argparse.Namespace):
    """Lesson 07's servers for ``args.exercise_dir``: (Daphne's base URL, a CSRF token, seconds to start)."""
    launcher = launchers.load(paths.lesson_dir(SLUG))
    t0 = time.perf_counter()
    with launcher.launch(args.exercise_dir, Ports.free("http"), step_seconds=args.step_seconds,
                         access_log=False) as site:
        startup = time.perf_counter() - t0
        base = site.url("http")
        yield base, jobs.csrf_token(base, timeout=LIMIT), startup


def main() -> int:
    args = parse_args(__doc__.splitlines()[0])
    with launched(args) as (base, token, startup):
        post_times, firsts, gaps, totals = [], [], [], []
        for _ in range(args.jobs):
            posted = jobs.post_job(base, args.steps, token=token, timeout=LIMIT)
            first, job_gaps, total = timings(posted, asyncio.run(jobs.watch(base, posted.job, timeout=LIMIT)))
            post_times.append(posted.seconds)
            totals.append(total)
            gaps += job_gaps
            if first is not None:
                firsts.append(first)
    print(f"lesson 07 task progress · {platform.python_implementation()} {platform.python_version()} · "
          f"{args.jobs} jobs × {args.steps} pages × {args.step_seconds} s")
    print(f"  Redis + Celery worker (solo) + Daphne ready in {startup:.2f} s")
    print(f"  POST /jobs/ (enqueue, answer 202):      median {ms(post_times)}, p95 {ms(post_times, .95)}")
    print(f"  POST -> first 'running' event (ws):     median {ms(firsts)}, p95 {ms(firsts, .95)} "
          f"(seen live in {len(firsts)}/{args.jobs} jobs)")
    print(f"  gap between progress events:           median {ms(gaps)}, p95 {ms(gaps, .95)} "
          f"(page time {args.step_seconds * 1000:.0f} ms)")
    print(f"  POST -> done:                          median {ms(totals)} "
          f"(pages alone: {args.steps * args.step_seconds * 1000:.0f} ms)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
