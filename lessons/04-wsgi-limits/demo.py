"""Run lesson 04's demo: a WSGI server with 4 workers on --port, and uWSGI WebSockets on --uwsgi-port.

    python -m checker serve 04                      # your exercise
    python -m checker serve 04 --target solutions   # the reference solution
    python lessons/04-wsgi-limits/demo.py --exercise-dir exercises/04-wsgi-limits --port 8000 --uwsgi-port 8001

The page at / holds slow requests and times an ordinary one. If uWSGI is installed, it runs
your uwsgi_ws.py on its own port (a free one unless --uwsgi-port says which; the banner prints
it) with echo and chat; its log file, printed in the banner, shows your exceptions. Ctrl-C stops
both (exit code 0).
"""

from __future__ import annotations

import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path[:0] = [str(HERE), str(HERE.parent.parent)]  # the lesson (launch) and the repository (workshop)

from launch import DEFAULT_WORKERS, launch  # noqa: E402
from workshop import demo, paths  # noqa: E402
from workshop.launch import Ports, supervise  # noqa: E402

SLUG = HERE.name


def main(argv: list[str] | None = None) -> int:
    parser = demo.argument_parser(HERE, __doc__.splitlines()[0], "pool.py, uwsgi_ws.py")
    parser.set_defaults(exercise_dir=paths.learner_exercise_dir(SLUG))
    parser.add_argument("--uwsgi-port", type=int, default=0, help="uWSGI's port (default: a free one)")
    args = parser.parse_args(argv)
    exercise_dir = args.exercise_dir.resolve()
    ports = [args.port] + ([args.uwsgi_port] if args.uwsgi_port else [])
    refused = demo.cannot_start(args.host, ports, exercise_dir, ("pool", "uwsgi_ws"), "lesson 04")
    if refused is not None:
        return refused
    site = launch(exercise_dir, Ports(args.host, http=args.port, uwsgi=args.uwsgi_port), threads=8,
                  access_log=True, require_uwsgi=False)

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
                f"  your code: {paths.relative(exercise_dir)}/pool.py and uwsgi_ws.py",
                "Ctrl-C stops both. After editing pool.py or uwsgi_ws.py, stop and start again.",
            ])

    return supervise(site, Banner())


if __name__ == "__main__":
    sys.exit(main())
