"""Run lesson 07 with the learner's code: ``python -m checker serve 07``: Redis, Daphne and two workers.

Direct use::

    python lessons/07-task-queues/demo.py --exercise-dir solutions/07-task-queues --port 8000
    python lessons/07-task-queues/demo.py --pool solo       # one job at a time: watch the others wait in "queued"

Four real processes, all on 127.0.0.1: a Redis server (broker, channel layer, job state),
Daphne serving the page and the WebSockets, a Celery worker and Channels' worker (``runworker
jobs-worker``) running the jobs (``launch.py``). Their logs (Daphne's handshakes, the workers'
lines and any traceback) appear in this terminal, each line prefixed with its server's name.
Ctrl-C stops them all (exit code 0).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path[:0] = [str(HERE), str(HERE.parent.parent)]  # the lesson (launch) and the repository (workshop)

from launch import launch  # noqa: E402
from workshop import demo, paths  # noqa: E402
from workshop.launch import Ports, supervise  # noqa: E402

SLUG = HERE.name
LEARNER_FILES = ("tasks", "consumers", "views", "workers")


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = demo.argument_parser(HERE, __doc__.splitlines()[0], "tasks.py, consumers.py, views.py and workers.py")
    parser.set_defaults(exercise_dir=paths.learner_exercise_dir(SLUG))
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
    site = launch(exercise_dir, Ports(args.host, http=args.port), pool=args.pool, concurrency=2,
                  step_seconds=args.step_seconds, echo=True)

    class Banner:  # the Redis URL and the log files are known once the servers run
        def __str__(self) -> str:
            return "\n".join([
                f"Report jobs (lesson 07) on {site.url('http')}/   [Daphne + Celery worker ({args.pool} pool)"
                " + Channels' worker (runworker jobs-worker)]",
                f"  Redis (broker, channel layer, job state): {site.extras['redis_url']}",
                f"  your code: {paths.relative(exercise_dir)}/tasks.py, consumers.py, views.py and workers.py",
                "  Start a job, reload the page halfway, open the same ?job= URL in a second tab, try 'fail at';"
                " then pick 'run by: Channels' worker'.",
                "  After editing your files, stop (Ctrl-C) and start again: the worker does not reload code.",
            ])

    return supervise(site, Banner())


if __name__ == "__main__":
    sys.exit(main())
