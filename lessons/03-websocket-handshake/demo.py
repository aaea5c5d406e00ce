"""Run lesson 03's server: the chat page at /, WebSockets at /echo and /chat.

    python -m checker serve 03                      # your exercise
    python -m checker serve 03 --target solutions   # the reference solution
    python lessons/03-websocket-handshake/demo.py --exercise-dir exercises/03-websocket-handshake --port 8000

Open the printed URL in two browser tabs and chat. Ctrl-C stops the server (exit code 0).
"""

from __future__ import annotations

import argparse
import asyncio
import errno
import logging
import signal
import sys
from pathlib import Path

LESSON_DIR = Path(__file__).resolve().parent
REPO_ROOT = LESSON_DIR.parent.parent
if str(REPO_ROOT) not in sys.path:
    sys.path.insert(0, str(REPO_ROOT))

from workshop import demo, learner, net  # noqa: E402

EXIT_PORT_BUSY = demo.EXIT_PORT_BUSY
EXIT_LEARNER_CODE = 2


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = demo.argument_parser(LESSON_DIR, __doc__.splitlines()[0], "handshake.py, frames.py, connection.py")
    return parser.parse_args(argv)


async def serve(args: argparse.Namespace, handshake, connection) -> int:
    from ws_server import WebSocketServer

    server = WebSocketServer(handshake, connection)
    try:
        port = await server.start(args.host, args.port)
    except OSError as exc:
        if exc.errno == errno.EADDRINUSE:
            print(net.busy_port_message(args.port, args.host), file=sys.stderr)
            return EXIT_PORT_BUSY
        raise
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    print(f"Lesson 03 server (code from {args.exercise_dir}) at http://{args.host}:{port}/", flush=True)
    print("  open it in two tabs to chat; WebSockets: /echo and /chat. Ctrl-C to stop.", flush=True)
    await stop.wait()
    print("stopping: sending Close 1001 to connected clients", flush=True)
    await server.shutdown()
    return 0


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(message)s", datefmt="%H:%M:%S")
    learner.activate(LESSON_DIR, args.exercise_dir)
    try:
        handshake = learner.import_learner("handshake", args.exercise_dir)
        connection = learner.import_learner("connection", args.exercise_dir)
    except learner.LearnerCodeError as exc:
        print(exc, file=sys.stderr)
        return EXIT_LEARNER_CODE
    return asyncio.run(serve(args, handshake, connection))


if __name__ == "__main__":
    sys.exit(main())
