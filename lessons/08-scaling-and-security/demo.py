"""Run lesson 08's cluster: Redis, several Daphne processes and a load balancer on one port.

``python -m checker serve 08`` runs it with your code. Direct use::

    python lessons/08-scaling-and-security/demo.py --port 8000 --backends 3
    python lessons/08-scaling-and-security/demo.py --memory    # in-memory layer: watch broadcasts break

Open the printed URL in two browsers (or a normal and a private window), enter two names and
chat: the page says which Daphne served it and which one holds its WebSocket. Ctrl-C stops
everything (exit code 0). Each Daphne's log is in the folder printed at start.
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
REPO_ROOT = HERE.parent.parent
sys.path[:0] = [str(HERE), str(REPO_ROOT)]

from cluster import Cluster  # noqa: E402
from workshop import demo, paths  # noqa: E402

EXIT_START_FAILED = demo.EXIT_START_FAILED


def main(argv: list[str] | None = None) -> int:
    parser = demo.argument_parser(HERE, __doc__.splitlines()[0], "security.py and consumers.py")
    parser.add_argument("--backends", type=int, default=2, choices=range(1, 6), help="Daphne processes (default 2)")
    parser.add_argument("--memory", action="store_true",
                        help="give each Daphne its own in-memory channel layer (broadcasts stop crossing processes)")
    args = parser.parse_args(argv)
    exercise_dir = args.exercise_dir.resolve()
    refused = demo.cannot_start(args.host, [args.port], exercise_dir, ("security", "consumers"), "lesson 08")
    if refused is not None:
        return refused
    demo.stop_on_signals()
    cluster = Cluster(exercise_dir, backends=args.backends, host=args.host, port=args.port,
                      layer="memory" if args.memory else "redis")
    try:
        try:
            cluster.start()
        except RuntimeError as exc:
            print(str(exc), file=sys.stderr)
            return EXIT_START_FAILED
        layer = "in-memory layers (one per process: broadcasts do NOT cross)" if args.memory else \
            f"Redis channel layer ({cluster.redis_url})"
        lines = [f"Lesson 08 on {cluster.url}   [round-robin balancer -> {args.backends} Daphne, {layer}]"]
        lines += [f"  {s.name}: http://{args.host}:{s.port}/  (log: {s.log_path})" for s in cluster.backends]
        lines += [f"  your code: {paths.relative(exercise_dir)}/security.py and consumers.py",
                  "  Open the URL in two browsers, enter two names, chat; the page shows each socket's backend.",
                  "  After editing your files, stop (Ctrl-C) and start again."]
        print("\n".join(lines), flush=True)
        while True:
            for server in cluster.backends:
                code = server.proc.poll()
                if code is not None:
                    print(f"{server.name} exited with code {code}; stopping.\n{server.log_tail()}", file=sys.stderr)
                    return EXIT_START_FAILED
            time.sleep(0.5)
    except KeyboardInterrupt:
        print("\nStopped. Bye!", flush=True)
        return 0
    finally:
        cluster.stop()


if __name__ == "__main__":
    sys.exit(main())
