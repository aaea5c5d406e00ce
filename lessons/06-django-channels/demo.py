"""Run lesson 06's chat site under real Daphne with the learner's code: ``python -m checker serve 06``.

Direct use::

    python lessons/06-django-channels/demo.py --exercise-dir exercises/06-django-channels --port 8000
    python lessons/06-django-channels/demo.py --redis     # two Daphne processes sharing a real Redis

Log in with any name, open a room in two tabs (or two browsers) and chat. Daphne's log (every
handshake, every ``WebSocket REJECT``, every traceback from the consumer) appears in this
terminal. Ctrl-C stops everything (exit code 0).
"""

from __future__ import annotations

import sys
import threading
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent.parent))  # the repository: workshop, checker

from checker import launchers  # noqa: E402
from checker.probes import daphne  # noqa: E402
from workshop import demo, paths  # noqa: E402
from workshop.launch import Ports, supervise  # noqa: E402

SLUG = HERE.name


def parse_args(argv: list[str] | None = None):
    parser = demo.argument_parser(HERE, __doc__.splitlines()[0], "consumers.py and routing.py")
    parser.set_defaults(exercise_dir=paths.learner_exercise_dir(SLUG))
    parser.add_argument("--redis", action="store_true",
                        help="start a real Redis and a second Daphne process, both on the Redis channel layer")
    parser.add_argument("--second-port", type=int, default=0,
                        help="the second Daphne's port with --redis (default: a free port, printed)")
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    exercise_dir = args.exercise_dir.resolve()
    named = {"http": args.port, "second": args.second_port} if args.redis else {"http": args.port}
    refused = demo.cannot_start(args.host, [p for p in named.values() if p], exercise_dir,
                                ("consumers", "routing"), "the chat")
    if refused is not None:
        return refused
    ports = Ports(args.host, **named)
    site = launchers.load(HERE).launch(exercise_dir, ports, redis=args.redis, backends=2 if args.redis else 1)
    layer = "Redis channel layer" if args.redis else "in-memory channel layer"
    lines = [f"Chat (lesson 06) on {ports.url('http')}/   [Daphne, {layer}]",
             f"  your code: {paths.relative(exercise_dir)}/consumers.py and routing.py"]
    if args.redis:
        lines.append(f"  a second Daphne process on {ports.url('second')}/: open one tab on each; "
                     "messages cross via Redis.")
    lines += ["  Log in with any name, open a room in two tabs, chat. Try the bad-input buttons.",
              "  After editing consumers.py or routing.py, stop (Ctrl-C) and start again.",
              "  Daphne's log follows."]
    stop = threading.Event()
    site.callback(stop.set)  # the log follower ends with the launch
    real_start = site.start

    def start(running) -> None:
        real_start(running)
        daphne.follow(running.services.values(), stop=stop)

    site.start = start
    return supervise(site, "\n".join(lines))


if __name__ == "__main__":
    sys.exit(main())
