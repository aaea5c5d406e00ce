"""Run lesson 05's newsroom with the learner's code: ``python -m checker serve 05``.

Three processes, as in production: a real Redis, Django (threaded WSGI, in this process) on
PORT for pages and writes, and the learner's asyncio sidecar on PORT+1 for the WebSockets.

Direct use::

    python lessons/05-redis-sidecar/demo.py --exercise-dir exercises/05-redis-sidecar --port 8000

Ctrl-C (or SIGTERM) stops all three (exit code 0).
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
from pathlib import Path

HERE = Path(__file__).resolve().parent
REPO_ROOT = HERE.parent.parent
sys.path[:0] = [str(HERE), str(REPO_ROOT)]  # the lesson (newsroom) and the repository (workshop)

from workshop import demo, net, paths, procs  # noqa: E402

EXIT_START_FAILED = demo.EXIT_START_FAILED


def sidecar_env(exercise_dir: Path, redis_url: str, allowed_origins: list[str]) -> dict:
    """The environment both servers share: the same secret, the same Redis, the page origins."""
    return {**os.environ, "WORKSHOP_EXERCISE_DIR": str(exercise_dir), "WORKSHOP_REDIS_URL": redis_url,
            "WORKSHOP_ALLOWED_ORIGINS": ",".join(allowed_origins), "PYTHONUNBUFFERED": "1"}


def sidecar_argv(port: int, host: str = net.LOOPBACK) -> list[str]:
    return [sys.executable, str(HERE / "newsroom" / "sidecar_server.py"), "--host", host, "--port", str(port)]


def main(argv: list[str] | None = None) -> int:
    parser = demo.argument_parser(HERE, __doc__.splitlines()[0], "publish.py and sidecar.py")
    args = parser.parse_args(argv)
    exercise_dir = args.exercise_dir.resolve()
    web_port, ws_port = args.port, args.port + 1
    refused = demo.cannot_start(args.host, (web_port, ws_port), exercise_dir, ("publish", "sidecar"), "the newsroom")
    if refused is not None:
        return refused
    demo.stop_on_signals()
    from workshop.redis_server import RedisServer

    redis = sidecar = web = None
    try:
        redis = RedisServer().start()
        origins = [f"http://{args.host}:{web_port}", f"http://localhost:{web_port}"]
        env = sidecar_env(exercise_dir, redis.url, origins)
        os.environ.update({k: env[k] for k in ("WORKSHOP_REDIS_URL", "WORKSHOP_ALLOWED_ORIGINS")})
        os.environ["WORKSHOP_SIDECAR_URL"] = f"ws://{args.host}:{ws_port}"
        sidecar = procs.spawn(sidecar_argv(ws_port, args.host), env=env, cwd=str(HERE), stdin=subprocess.DEVNULL)
        from workshop.django_support import make_server, wsgi_application

        app = wsgi_application(HERE, exercise_dir, "newsroom.settings")
        web = make_server(app, args.host, web_port, quiet=False)
        threading.Thread(target=web.serve_forever, kwargs={"poll_interval": 0.1}, daemon=True).start()
        if not net.wait_for_port(ws_port, args.host, timeout=15, alive=lambda: sidecar.poll() is None):
            print(f"The sidecar did not start on {args.host}:{ws_port} (see its output above).", file=sys.stderr)
            return EXIT_START_FAILED
        url = f"http://{args.host}:{web_port}/"
        print("\n".join([
            f"Newsroom (lesson 05) on {url}   [Django, plain WSGI: pages and writes]",
            f"  sidecar (your sidecar.py):  ws://{args.host}:{ws_port}/ws/<room>?token=...   [asyncio + websockets]",
            f"  Redis:                      {redis.url}   [pub/sub between the two]",
            f"  your code: {paths.relative(exercise_dir)}/publish.py and sidecar.py",
            "  Enter a name, open a room in two tabs, post in one. Watch it with: redis-cli -p "
            f"{redis.port} monitor",
            "  After editing publish.py or sidecar.py, stop (Ctrl-C) and start again.",
        ]), flush=True)
        while sidecar.poll() is None:
            try:
                sidecar.wait(timeout=0.5)
            except subprocess.TimeoutExpired:
                pass
        print(f"The sidecar exited with code {sidecar.returncode}; stopping.", file=sys.stderr)
        return EXIT_START_FAILED
    except KeyboardInterrupt:
        print("\nStopped. Bye!", flush=True)
        return 0
    finally:
        signal.signal(signal.SIGINT, signal.SIG_IGN)  # a second Ctrl-C must not interrupt the clean-up
        if web is not None:
            web.shutdown()
            web.server_close()
        if sidecar is not None:
            procs.stop_tree(sidecar)
        if redis is not None:
            redis.stop()


if __name__ == "__main__":
    sys.exit(main())
