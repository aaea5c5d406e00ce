"""Run lesson 06's chat site under real Daphne with the learner's code: ``python -m checker serve 06``.

Direct use::

    python lessons/06-django-channels/demo.py --exercise-dir exercises/06-django-channels --port 8000
    python lessons/06-django-channels/demo.py --redis     # two Daphne processes sharing a real Redis

Log in with any name, open a room in two tabs (or two browsers) and chat. Daphne's log (every
handshake, every ``WebSocket REJECT``, every traceback from the consumer) appears in this
terminal. Ctrl-C stops everything (exit code 0).
"""

from __future__ import annotations

import argparse
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
REPO_ROOT = HERE.parent.parent
sys.path[:0] = [str(HERE), str(REPO_ROOT)]  # the lesson (chatsite) and the repository (workshop)

from chatsite.launch import daphne_argv, daphne_env  # noqa: E402
from workshop import demo, net, paths, procs  # noqa: E402

EXIT_START_FAILED = demo.EXIT_START_FAILED


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = demo.argument_parser(HERE, __doc__.splitlines()[0], "consumers.py and routing.py")
    parser.add_argument("--redis", action="store_true",
                        help="start a real Redis and a second Daphne on PORT+1, both on the Redis channel layer")
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    exercise_dir = args.exercise_dir.resolve()
    ports = [args.port, args.port + 1] if args.redis else [args.port]
    refused = demo.cannot_start(args.host, ports, exercise_dir, ("consumers", "routing"), "the chat")
    if refused is not None:
        return refused
    demo.stop_on_signals()
    folder = tempfile.mkdtemp(prefix="workshop-06-demo-")
    db_path = str(Path(folder) / "chat.sqlite3")  # shared by every Daphne we start
    redis = None
    servers: list[subprocess.Popen] = []
    try:
        redis_url = None
        if args.redis:
            from workshop.redis_server import RedisServer

            redis = RedisServer().start()
            redis_url = redis.url
        for port in ports:
            env = daphne_env(exercise_dir, redis_url=redis_url, db_path=db_path)
            proc = procs.spawn(daphne_argv(port, args.host), env=env, cwd=str(HERE), stdin=subprocess.DEVNULL)
            servers.append(proc)
            if not net.wait_for_port(port, args.host, timeout=20, alive=lambda p=proc: p.poll() is None):
                print(f"Daphne did not start on {args.host}:{port} (see its output above).", file=sys.stderr)
                return EXIT_START_FAILED
        urls = [f"http://{args.host}:{port}/" for port in ports]
        layer = f"Redis channel layer ({redis_url})" if redis_url else "in-memory channel layer"
        lines = [f"Chat (lesson 06) on {urls[0]}   [Daphne, {layer}]",
                 f"  your code: {paths.relative(exercise_dir)}/consumers.py and routing.py"]
        if len(urls) > 1:
            lines.append(f"  a second Daphne process on {urls[1]}: open one tab on each; messages cross via Redis.")
        lines += ["  Log in with any name, open a room in two tabs, chat. Try the bad-input buttons.",
                  "  After editing consumers.py or routing.py, stop (Ctrl-C) and start again."]
        print("\n".join(lines), flush=True)
        while True:
            for proc in servers:
                code = proc.poll()
                if code is not None:
                    print(f"Daphne (pid {proc.pid}) exited with code {code}; stopping.", file=sys.stderr)
                    return EXIT_START_FAILED
            try:
                servers[0].wait(timeout=0.5)
            except subprocess.TimeoutExpired:
                pass
    except KeyboardInterrupt:
        print("\nStopped. Bye!", flush=True)
        return 0
    finally:
        for proc in servers:
            procs.stop_tree(proc)
        if redis is not None:
            redis.stop()
        shutil.rmtree(folder, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
