"""Run lesson 04's demo: a WSGI server with 4 workers on --port, and uWSGI WebSockets on --uwsgi-port.

    python -m checker serve 04                      # your exercise
    python -m checker serve 04 --target solutions   # the reference solution
    python lessons/04-wsgi-limits/demo.py --exercise-dir exercises/04-wsgi-limits --port 8000 --uwsgi-port 8001

The page at / holds slow requests and times an ordinary one. If uWSGI is installed, it runs
your uwsgi_ws.py on its own port (a free one unless --uwsgi-port says which; the banner prints
it) with echo and chat; its log file, printed in the banner, shows your exceptions. With Redis
and a uWSGI that has internal routing, it also runs the offloading pair with your offload.py:
Django on --front-port (a free one by default) handing SSE and WebSockets to a gevent instance.
Ctrl-C stops everything (exit code 0).
"""

from __future__ import annotations

import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path[:0] = [str(HERE), str(HERE.parent.parent)]  # the lesson (launch) and the repository (workshop)

from launch import DEFAULT_WORKERS, launch  # noqa: E402
from workshop import demo, paths  # noqa: E402
from workshop.redis_server import RedisServer  # noqa: E402
from workshop.launch import Ports, supervise  # noqa: E402

SLUG = HERE.name


def main(argv: list[str] | None = None) -> int:
    parser = demo.argument_parser(HERE, __doc__.splitlines()[0], "pool.py, uwsgi_ws.py, offload.py")
    parser.set_defaults(exercise_dir=paths.learner_exercise_dir(SLUG))
    parser.add_argument("--uwsgi-port", type=int, default=0, help="uWSGI's port (default: a free one)")
    parser.add_argument("--front-port", type=int, default=0, help="the offloading front's port (default: a free one)")
    args = parser.parse_args(argv)
    exercise_dir = args.exercise_dir.resolve()
    ports = [args.port] + [p for p in (args.uwsgi_port, args.front_port) if p]
    refused = demo.cannot_start(args.host, ports, exercise_dir, ("pool", "uwsgi_ws", "offload"), "lesson 04")
    if refused is not None:
        return refused
    redis = RedisServer().start()
    site = launch(exercise_dir, Ports(args.host, http=args.port, uwsgi=args.uwsgi_port, front=args.front_port, held=0),
                  threads=8, access_log=True, require_uwsgi=False, redis_url=redis.url)
    site.callback(redis.stop)

    class Banner:  # uWSGI's port and log file are known once it runs
        def __str__(self) -> str:
            url = site.url("http")
            uwsgi = site.services.get("uwsgi")
            return "\n".join([
                f"Lesson 04: a WSGI server with {DEFAULT_WORKERS} worker threads on {url}/",
                f"  try: curl -i {url}/ping   and   curl '{url}/slow?seconds=5'",
                (f"  uWSGI (1 process, 8 threads) runs your uwsgi_ws.py on {site.url('uwsgi')}/ (echo and chat)\n"
                 f"  uWSGI's log (your exceptions): {uwsgi.log_path}" if uwsgi is not None
                 else f"  no uWSGI: {site.extras.get('uwsgi_problem')}"),
                (f"  offloading: Django (4 workers) on {site.url('front')}/ hands SSE and WebSockets to gevent\n"
                 f"  their logs: {site.services['front'].log_path} and {site.services['held'].log_path}"
                 if "front" in site.services else f"  no offloading: {site.extras.get('offload_problem')}"),
                f"  your code: {paths.relative(exercise_dir)}/pool.py, uwsgi_ws.py and offload.py",
                "Ctrl-C stops everything. After editing your files, stop and start again.",
            ])

    return supervise(site, Banner())


if __name__ == "__main__":
    sys.exit(main())
