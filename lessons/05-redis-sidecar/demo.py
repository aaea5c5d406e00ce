"""Run lesson 05's newsroom with the learner's code: ``python -m checker serve 05``.

Three processes, as in production: a real Redis, Django (threaded WSGI, in this process) on
--port for pages and writes, and the learner's asyncio sidecar on --sidecar-port (a free port
unless given; the banner prints it) for the WebSockets.

Direct use::

    python lessons/05-redis-sidecar/demo.py --exercise-dir exercises/05-redis-sidecar --port 8000 --sidecar-port 8001
    python lessons/05-redis-sidecar/demo.py --variant node   # node/server.js with your sidecar.js

``python -m checker serve 05`` passes the variant you picked (``python -m checker pick 05 node``).

Ctrl-C (or SIGTERM) stops all three (exit code 0).
"""

from __future__ import annotations

import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path[:0] = [str(HERE), str(HERE.parent.parent)]  # the lesson (launch, newsroom) and the repository

from launch import launch  # noqa: E402
from workshop import demo, paths  # noqa: E402
from workshop.launch import Ports, supervise  # noqa: E402

SLUG = HERE.name


def main(argv: list[str] | None = None) -> int:
    parser = demo.argument_parser(HERE, __doc__.splitlines()[0], "publish.py and sidecar.py")
    parser.set_defaults(exercise_dir=paths.learner_exercise_dir(SLUG))
    parser.add_argument("--sidecar-port", type=int, default=0, help="the sidecar's port (default: a free one)")
    parser.add_argument("--variant", choices=("python", "node"), default="python",
                        help="which sidecar to run: sidecar.py (python) or sidecar.js in Node.js (node)")
    parser.add_argument("--node", action="store_const", dest="variant", const="node", help="the same as --variant node")
    args = parser.parse_args(argv)
    args.node = args.variant == "node"
    exercise_dir = args.exercise_dir.resolve()
    ports = [args.port] + ([args.sidecar_port] if args.sidecar_port else [])
    refused = demo.cannot_start(args.host, ports, exercise_dir, ("publish", "sidecar"), "the newsroom")
    if refused is not None:
        return refused
    if args.node:
        from checker.probes import node as node_probe

        problem = (node_probe.install_advice() if node_probe.find_node() is None
                   else node_probe.packages_missing(HERE / "node"))
        if problem:
            print(f"Cannot start the Node.js sidecar: {problem}", file=sys.stderr)
            return demo.EXIT_START_FAILED
    file = "sidecar.js" if args.node else "sidecar.py"
    site = launch(exercise_dir, Ports(args.host, http=args.port, sidecar=args.sidecar_port), access_log=True,
                  sidecar="node" if args.node else "python")

    class Banner:  # the sidecar's port, Redis and the log file are known once they run
        def __str__(self) -> str:
            redis_port = site.extras["redis_url"].rsplit(":", 1)[1].split("/")[0]
            return "\n".join([
                f"Newsroom (lesson 05) on {site.url('http')}/   [Django, plain WSGI: pages and writes]",
                f"  sidecar (your {file}):  {site.url('sidecar', 'ws')}/ws/<room>?token=...   "
                + ("[Node.js + ws + redis]" if args.node else "[asyncio + websockets]"),
                f"  sidecar log (its 'Lesson 05:' lines name your bugs): {site.services['sidecar'].log_path}",
                f"  Redis:                      {site.extras['redis_url']}   [pub/sub between the two]",
                f"  your code: {paths.relative(exercise_dir)}/publish.py and {file}",
                f"  Enter a name, open a room in two tabs, post in one. Watch it with: redis-cli -p {redis_port} monitor",
                f"  After editing publish.py or {file}, stop (Ctrl-C) and start again.",
            ])

    return supervise(site, Banner())


if __name__ == "__main__":
    sys.exit(main())
