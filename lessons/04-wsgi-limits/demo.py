"""Run lesson 04's demo: a WSGI server with 4 workers on --port, and uWSGI WebSockets on --port + 1.

    python -m checker serve 04                      # your exercise
    python -m checker serve 04 --target solutions   # the reference solution
    python lessons/04-wsgi-limits/demo.py --exercise-dir exercises/04-wsgi-limits --port 8000

The page at / holds slow requests and times an ordinary one. If uWSGI is installed, it runs
your uwsgi_ws.py on the next port (echo and chat); Ctrl-C stops both (exit code 0).
"""

from __future__ import annotations

import signal
import subprocess
import sys
from pathlib import Path

LESSON_DIR = Path(__file__).resolve().parent
REPO_ROOT = LESSON_DIR.parent.parent
sys.path[:0] = [str(LESSON_DIR), str(REPO_ROOT)]

import uwsgi_runner  # noqa: E402
from pool_server import DEFAULT_WORKERS, PoolWSGIServer  # noqa: E402
from slowapp import make_app  # noqa: E402
from workshop import demo, net, procs  # noqa: E402


def start_uwsgi(args) -> tuple[subprocess.Popen | None, str | None, str | None]:
    """uWSGI on port + 1 with the learner's code, its log in this terminal: (process, url, problem)."""
    binary = uwsgi_runner.find_uwsgi()
    if binary is None:
        return None, None, uwsgi_runner.INSTALL_HINT
    port = args.port + 1
    if not net.port_is_free(port, args.host):
        return None, None, f"port {port} (for uWSGI) is busy; start the demo with another --port"
    import os

    env = {**os.environ, **uwsgi_runner.environment(args.exercise_dir)}
    proc = procs.spawn(uwsgi_runner.command(binary, port, host=args.host, threads=8, quiet=False),
                       env=env, stdin=subprocess.DEVNULL)
    if not net.wait_for_port(port, args.host, timeout=10, alive=lambda: proc.poll() is None):
        procs.stop_tree(proc)
        return None, None, "uWSGI did not start; its output is above"
    return proc, f"http://{args.host}:{port}/", None


def main() -> int:
    args = demo.argument_parser(LESSON_DIR, __doc__.splitlines()[0], "pool.py, uwsgi_ws.py").parse_args()
    if not net.port_is_free(args.port, args.host):
        print(net.busy_port_message(args.port, args.host), file=sys.stderr)
        return demo.EXIT_PORT_BUSY
    signal.signal(signal.SIGINT, signal.default_int_handler)
    signal.signal(signal.SIGTERM, signal.default_int_handler)  # `kill` stops us as cleanly as Ctrl-C
    uwsgi_proc, uwsgi_url, problem = start_uwsgi(args)
    holder: dict = {}
    server = PoolWSGIServer((args.host, args.port), lambda e, s: holder["app"](e, s), workers=DEFAULT_WORKERS,
                            verbose=True)
    holder["app"] = make_app(pool=server, uwsgi_url=uwsgi_url, uwsgi_problem=problem)
    url = f"http://{args.host}:{args.port}/"
    print(f"Lesson 04: a WSGI server with {DEFAULT_WORKERS} worker threads on {url}", flush=True)
    print(f"  try: curl -i {url}ping   and   curl '{url}slow?seconds=5'", flush=True)
    if uwsgi_url:
        print(f"  uWSGI (1 process, 8 threads) runs your uwsgi_ws.py on {uwsgi_url} (echo and chat)", flush=True)
    else:
        print(f"  no uWSGI: {problem}", flush=True)
    print("Ctrl-C stops both. After editing pool.py or uwsgi_ws.py, stop and start again.", flush=True)
    try:
        server.serve_forever(poll_interval=0.1)
    except KeyboardInterrupt:
        print("\nStopped. Bye!", flush=True)
    finally:
        server.server_close()
        if uwsgi_proc is not None:
            procs.stop_tree(uwsgi_proc)
    return 0


if __name__ == "__main__":
    sys.exit(main())
