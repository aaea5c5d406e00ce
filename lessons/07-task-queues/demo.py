"""Run lesson 07 with the learner's code: ``python -m checker serve 07``: Redis, Daphne and a Celery worker.

Direct use::

    python lessons/07-task-queues/demo.py --exercise-dir solutions/07-task-queues --port 8000
    python lessons/07-task-queues/demo.py --pool solo       # one job at a time: watch the others wait in "queued"

Three real processes, all on 127.0.0.1: a Redis server (broker, channel layer, job state),
Daphne serving the page and the WebSockets, and a Celery worker running the jobs. Their logs
(Daphne's handshakes, the worker's "Task ... received/succeeded" lines and any traceback)
appear in this terminal. Ctrl-C stops all three (exit code 0).
"""

from __future__ import annotations

import argparse
import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
REPO_ROOT = HERE.parent.parent
sys.path[:0] = [str(HERE), str(REPO_ROOT)]  # the lesson (jobsite) and the repository (workshop)

from jobsite.launch import daphne_argv, lesson_env, worker_argv  # noqa: E402
from workshop import demo, net, paths, procs  # noqa: E402

EXIT_START_FAILED = demo.EXIT_START_FAILED
LEARNER_FILES = ("tasks", "consumers", "views")


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = demo.argument_parser(HERE, __doc__.splitlines()[0], "tasks.py, consumers.py and views.py")
    parser.add_argument("--pool", choices=["threads", "solo"], default="threads",
                        help="the worker's pool: threads (2 jobs at once, the default) or solo (one at a time)")
    parser.add_argument("--step-seconds", type=float, default=0.5, help="seconds per report page (default 0.5)")
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    exercise_dir = args.exercise_dir.resolve()
    refused = demo.cannot_start(args.host, [args.port], exercise_dir, LEARNER_FILES, "lesson 07")
    if refused is not None:
        return refused
    demo.stop_on_signals()
    from workshop.redis_server import RedisServer

    redis = None
    children: list[subprocess.Popen] = []
    try:
        redis = RedisServer().start()
        env = lesson_env(exercise_dir, redis.url, step_seconds=args.step_seconds)
        worker = procs.spawn(worker_argv(args.pool, concurrency=2), env=env, cwd=str(HERE), stdin=subprocess.DEVNULL)
        children.append(worker)
        daphne = procs.spawn(daphne_argv(args.port, args.host), env=env, cwd=str(HERE), stdin=subprocess.DEVNULL)
        children.append(daphne)
        if not net.wait_for_port(args.port, args.host, timeout=20, alive=lambda: daphne.poll() is None):
            print(f"Daphne did not start on {args.host}:{args.port} (see its output above).", file=sys.stderr)
            return EXIT_START_FAILED
        print("\n".join([
            f"Report jobs (lesson 07) on http://{args.host}:{args.port}/   [Daphne + Celery worker ({args.pool} pool)]",
            f"  Redis (broker, channel layer, job state): {redis.url}",
            f"  your code: {paths.relative(exercise_dir)}/tasks.py, consumers.py and views.py",
            "  Start a job, reload the page halfway, open the same ?job= URL in a second tab, try 'fail at'.",
            "  After editing your files, stop (Ctrl-C) and start again: the worker does not reload code.",
        ]), flush=True)
        while True:
            for proc, name in zip(children, ("the Celery worker", "Daphne")):
                if proc.poll() is not None:
                    print(f"{name} (pid {proc.pid}) exited with code {proc.returncode}; stopping.", file=sys.stderr)
                    return EXIT_START_FAILED
            try:
                daphne.wait(timeout=0.5)
            except subprocess.TimeoutExpired:
                pass
    except KeyboardInterrupt:
        print("\nStopped. Bye!", flush=True)
        return 0
    finally:
        for proc in reversed(children):
            procs.stop_tree(proc, grace=5.0)
        if redis is not None:
            redis.stop()


if __name__ == "__main__":
    sys.exit(main())
