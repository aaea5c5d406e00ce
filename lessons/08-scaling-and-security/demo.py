"""Run lesson 08's cluster: Redis, several Daphne processes and a load balancer on one port.

``python -m checker serve 08`` runs it with your code. Direct use::

    python lessons/08-scaling-and-security/demo.py --port 8000 --backends 3
    python lessons/08-scaling-and-security/demo.py --backend-port 8101 --backend-port 8102
    python lessons/08-scaling-and-security/demo.py --memory    # in-memory layer: watch broadcasts break

Open the printed URL in two browsers (or a normal and a private window), enter two names and
chat: the page says which Daphne served it and which one holds its WebSocket. The backends' logs
appear in this terminal, each line prefixed with its name. Ctrl-C stops everything (exit code 0).
"""

from __future__ import annotations

import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path[:0] = [str(HERE), str(HERE.parent.parent)]

from launch import backend_names, launch  # noqa: E402
from workshop import demo, paths  # noqa: E402
from workshop.launch import Ports, supervise  # noqa: E402

SLUG = HERE.name


def main(argv: list[str] | None = None) -> int:
    parser = demo.argument_parser(HERE, __doc__.splitlines()[0], "security.py, delivery.py and consumers.py")
    parser.set_defaults(exercise_dir=paths.learner_exercise_dir(SLUG))
    parser.add_argument("--backends", type=int, default=2, choices=range(1, 6), help="Daphne processes (default 2)")
    parser.add_argument("--backend-port", type=int, action="append", default=[], metavar="PORT",
                        help="port of the next backend (repeat it: first for backend 1; default: free ports)")
    parser.add_argument("--memory", action="store_true",
                        help="give each Daphne its own in-memory channel layer (broadcasts stop crossing processes)")
    args = parser.parse_args(argv)
    exercise_dir = args.exercise_dir.resolve()
    refused = demo.cannot_start(args.host, [args.port, *args.backend_port], exercise_dir, ("security", "delivery", "consumers"),
                                "lesson 08")
    if refused is not None:
        return refused
    ports = Ports(args.host, http=args.port, **dict(zip(backend_names(args.backends), args.backend_port)))
    site = launch(exercise_dir, ports, backends=args.backends, layer="memory" if args.memory else "redis", echo=True)

    class Banner:  # the Redis URL is known once the servers run
        def __str__(self) -> str:
            layer = ("in-memory layers (one per process: broadcasts do NOT cross)" if args.memory
                     else f"Redis channel layer ({site.extras['redis_url']})")
            return "\n".join([
                f"Lesson 08 on {site.url('http')}/   [round-robin balancer -> {args.backends} Daphne, {layer}]",
                *(f"  {name}: {server.url}/" for name, server in site.services.items()),
                f"  your code: {paths.relative(exercise_dir)}/security.py, delivery.py and consumers.py",
                "  Open the URL in two browsers, enter two names, chat; the page shows each socket's backend.",
                "  After editing your files, stop (Ctrl-C) and start again.",
            ])

    return supervise(site, Banner())


if __name__ == "__main__":
    sys.exit(main())
