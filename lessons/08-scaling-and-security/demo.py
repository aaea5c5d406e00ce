"""Run lesson 08's cluster: Redis, several Daphne processes and nginx (or the TCP balancer) on one port.

``python -m checker serve 08`` runs it with your code. Direct use::

    python lessons/08-scaling-and-security/demo.py --port 8000 --backends 3
    python lessons/08-scaling-and-security/demo.py --backend-port 8101 --backend-port 8102
    python lessons/08-scaling-and-security/demo.py --memory    # in-memory layer: watch broadcasts break
    python lessons/08-scaling-and-security/demo.py --balancer  # the TCP balancer instead of nginx

With nginx installed, the front is a real nginx with your proxy.conf (and TLS, self-signed, on
--https-port), and the Daphnes ping as your keepalive.ping_options says; its access and error
logs are printed with the banner's paths.

Open the printed URL in two browsers (or a normal and a private window), enter two names and
chat: the page says which Daphne served it and which one holds its WebSocket. The backends' logs
appear in this terminal, each line prefixed with its name. Ctrl-C stops everything (exit code 0).
"""

from __future__ import annotations

import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path[:0] = [str(HERE), str(HERE.parent.parent)]

from launch import READ_TIMEOUT, backend_names, front_kind, launch  # noqa: E402
from workshop import demo, paths  # noqa: E402
from workshop.launch import Ports, supervise  # noqa: E402

SLUG = HERE.name


def learner_ping(exercise_dir: Path) -> tuple[dict | None, str]:
    """Daphne's ping options from the learner's keepalive.py for nginx's read timeout, and a note
    for the banner (Daphne's defaults while ping_options is unwritten or fails)."""
    import importlib.util

    try:
        spec = importlib.util.spec_from_file_location("demo_keepalive", exercise_dir / "keepalive.py")
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
        ping = module.ping_options(READ_TIMEOUT)
        return ping, f"; Daphne pings as your keepalive.py says: {ping}"
    except Exception as err:  # noqa: BLE001 - the demo runs anyway, with Daphne's defaults
        return None, f"; Daphne's default pings (keepalive.py: {type(err).__name__})"


def main(argv: list[str] | None = None) -> int:
    parser = demo.argument_parser(HERE, __doc__.splitlines()[0], "security.py, delivery.py and consumers.py")
    parser.set_defaults(exercise_dir=paths.learner_exercise_dir(SLUG))
    parser.add_argument("--backends", type=int, default=2, choices=range(1, 6), help="Daphne processes (default 2)")
    parser.add_argument("--backend-port", type=int, action="append", default=[], metavar="PORT",
                        help="port of the next backend (repeat it: first for backend 1; default: free ports)")
    parser.add_argument("--memory", action="store_true",
                        help="give each Daphne its own in-memory channel layer (broadcasts stop crossing processes)")
    parser.add_argument("--https-port", type=int, default=0, help="nginx's TLS port (default: a free one)")
    parser.add_argument("--balancer", action="store_true", help="the asyncio TCP balancer in front, not nginx")
    args = parser.parse_args(argv)
    exercise_dir = args.exercise_dir.resolve()
    refused = demo.cannot_start(args.host, [args.port, *args.backend_port], exercise_dir, ("security", "delivery", "consumers"),
                                "lesson 08")
    if refused is not None:
        return refused
    ports = Ports(args.host, http=args.port, https=args.https_port,
                  **dict(zip(backend_names(args.backends), args.backend_port)))
    front = "balancer" if args.balancer else front_kind("auto")
    ping, ping_note = learner_ping(exercise_dir) if front == "nginx" else (None, "")
    site = launch(exercise_dir, ports, backends=args.backends, layer="memory" if args.memory else "redis", echo=True,
                  front=front, ping=ping)

    class Banner:  # the Redis URL is known once the servers run
        def __str__(self) -> str:
            layer = ("in-memory layers (one per process: broadcasts do NOT cross)" if args.memory
                     else f"Redis channel layer ({site.extras['redis_url']})")
            proxy = site.services.get("nginx")
            return "\n".join([
                f"Lesson 08 on {site.url('http')}/   [{'nginx' if proxy else 'TCP balancer'} -> {args.backends} Daphne, "
                f"{layer}]",
                *([f"  also {site.extras['https_origin']}/ (TLS ends at nginx; self-signed: accept the warning)",
                   f"  nginx's logs: {proxy.prefix}/access.log and error.log; your proxy part: proxy.conf{ping_note}"]
                  if proxy else ["  (no nginx found: the TCP balancer of balancer.py is in front)"]),
                *(f"  {name}: {server.url}/" for name, server in site.services.items() if name != "nginx"),
                f"  your code: {paths.relative(exercise_dir)}/security.py, delivery.py, consumers.py, proxy.conf, keepalive.py",
                "  Open the URL in two browsers, enter two names, chat; the page shows each socket's backend.",
                "  After editing your files, stop (Ctrl-C) and start again.",
            ])

    return supervise(site, Banner())


if __name__ == "__main__":
    sys.exit(main())
