"""Benchmark for lesson 07: how fast does a Celery job's progress reach a WebSocket client?

Starts a real Redis, a real Celery worker (``--pool=solo``) and real Daphne serving lesson 07 with
the reference solution (or ``--exercise-dir``), then runs ``--jobs`` jobs one after the other. For
each: POST /jobs/ (timed: the request only enqueues), connect a ``websockets`` client to the job,
and time from the POST to the first event of the worker (``running``, done=0: the task started),
and between consecutive progress events. It measures; it never asserts.

    python bench/task_progress.py                 # 20 jobs of 5 pages, 0.05 s per page
    python bench/task_progress.py --jobs 50 --steps 10 --step-seconds 0.02
"""

from __future__ import annotations

import argparse
import asyncio
import json
import platform
import statistics
import sys
import time
import urllib.request
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parent.parent
LESSON_DIR = REPO_ROOT / "lessons" / "07-task-queues"
sys.path[:0] = [str(LESSON_DIR), str(REPO_ROOT)]

from jobsite.launch import Worker, daphne_argv, lesson_env  # noqa: E402
from workshop import net, procs  # noqa: E402
from workshop.redis_server import RedisServer  # noqa: E402


def post_job(base: str, token: str, steps: int) -> tuple[str, float, float]:
    request = urllib.request.Request(base + "/jobs/", data=f"steps={steps}".encode(), method="POST", headers={
        "Content-Type": "application/x-www-form-urlencoded", "X-CSRFToken": token, "Cookie": f"csrftoken={token}"})
    started = time.perf_counter()
    with urllib.request.urlopen(request, timeout=5) as answer:
        job = json.loads(answer.read())["job"]
    return job, started, time.perf_counter() - started


async def watch(port: int, job: str, posted_at: float) -> tuple[float | None, list[float], float]:
    """(POST -> first 'running' event, gaps between progress events, POST -> done) in seconds."""
    from websockets.asyncio.client import connect

    first, gaps, last = None, [], None
    async with connect(f"ws://127.0.0.1:{port}/ws/jobs/{job}/", origin=f"http://127.0.0.1:{port}") as ws:
        while True:
            state = json.loads(await asyncio.wait_for(ws.recv(), 10))
            now = time.perf_counter()
            if state["status"] == "queued":
                continue
            if first is None and state["status"] == "running" and state["done"] == 0:
                first = now - posted_at
            if last is not None:
                gaps.append(now - last)
            last = now
            if state["status"] in ("done", "failed"):
                return first, gaps, now - posted_at


def ms(values, q=None) -> str:
    if not values:
        return "-"
    values = sorted(values)
    value = statistics.median(values) if q is None else values[min(len(values) - 1, int(q * len(values)))]
    return f"{value * 1000:.1f} ms"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--jobs", type=int, default=20)
    parser.add_argument("--steps", type=int, default=5)
    parser.add_argument("--step-seconds", type=float, default=0.05)
    parser.add_argument("--exercise-dir", type=Path, default=REPO_ROOT / "solutions" / "07-task-queues")
    args = parser.parse_args()
    with RedisServer() as redis:
        env = lesson_env(args.exercise_dir, redis.url, step_seconds=args.step_seconds)
        port = net.free_port()
        t0 = time.perf_counter()
        with Worker(env) as worker, procs.ServerProcess(daphne_argv(port, access_log=False), port, env=env,
                                                         cwd=str(LESSON_DIR), ready_timeout=20):
            startup = time.perf_counter() - t0
            base = f"http://127.0.0.1:{port}"
            with urllib.request.urlopen(base + "/", timeout=5) as page:
                cookie = next(c for c in page.headers.get_all("Set-Cookie") if c.startswith("csrftoken="))
            token = cookie.split(";")[0].split("=", 1)[1]
            post_times, firsts, gaps, totals = [], [], [], []
            for _ in range(args.jobs):
                job, posted_at, took = post_job(base, token, args.steps)
                first, job_gaps, total = asyncio.run(watch(port, job, posted_at))
                post_times.append(took)
                totals.append(total)
                gaps += job_gaps
                if first is not None:
                    firsts.append(first)
            del worker
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
