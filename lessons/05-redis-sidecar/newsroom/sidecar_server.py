"""Run the learner's sidecar (scaffolding)::

    python newsroom/sidecar_server.py --exercise-dir exercises/05-redis-sidecar --port 8001 \
        --redis-url redis://127.0.0.1:6379/0 --allowed-origin http://127.0.0.1:8000 --secret-file /tmp/x/key

It configures Django's signing (only ``SECRET_KEY``, read from ``--secret-file``: the launcher
makes a random key per run and gives the same file to Django), imports ``sidecar.py`` from the
folder given by ``--exercise-dir``, opens the process's one shared Redis pub/sub connection
(``newsroom/hub.py``), and serves ``sidecar.handler(websocket, hub)`` with
``websockets.asyncio.server.serve`` until SIGINT or SIGTERM. One handler call per connection;
the handler owns the connection until it returns. A watchdog (``loop_watch.py``) reports a
blocking call in the learner's coroutines, which would stall every connection at once.

``--redis-url`` and ``--allowed-origin`` default to ``WORKSHOP_REDIS_URL`` and
``WORKSHOP_ALLOWED_ORIGINS``; without ``--secret-file`` the key is ``WORKSHOP_SECRET_KEY`` or a
random one that nobody else knows (so no token verifies: say which key to use).
"""

from __future__ import annotations

import argparse
import asyncio
import os
import signal
import sys
from pathlib import Path

LESSON_DIR = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(LESSON_DIR), str(LESSON_DIR.parent.parent)]

from newsroom import protocol  # noqa: E402
from newsroom.loop_watch import LoopWatch  # noqa: E402
from workshop import learner, net  # noqa: E402

EXIT_LEARNER_CODE = 1
EXIT_NO_REDIS = 4


def configure_signing(key: str) -> None:
    """``django.core.signing`` reads settings.SECRET_KEY: give it the run's key and nothing else."""
    from django.conf import settings

    if not settings.configured:
        settings.configure(SECRET_KEY=key)


def _guarded(sidecar, exercise_dir: Path, hub):
    """The learner's handler, with a notice in this terminal when it crashes or is still a stub."""

    async def handle(websocket):
        try:
            await sidecar.handler(websocket, hub)
        except NotImplementedError as exc:
            frame = learner.learner_frame(exc.__traceback__, exercise_dir)
            name = f"{frame.name}()" if frame else "a function"
            print(f"Lesson 05: {name} in sidecar.py is not written yet (it raises NotImplementedError): "
                  "the connection was closed with code 1011.", flush=True)
            await websocket.close(1011, f"{name} not written yet")
        except Exception as exc:  # noqa: BLE001 - shown to the learner, then the connection closes
            import traceback

            frame = learner.learner_frame(exc.__traceback__, exercise_dir)
            where = learner.describe_frame(frame).replace("\n    ", ": ") if frame else "the sidecar"
            print(f"Lesson 05: handler() raised {type(exc).__name__}: {exc} ({where})", flush=True)
            traceback.print_exception(exc, file=sys.stdout)
            await websocket.close(1011, f"{type(exc).__name__} in the sidecar"[:120])

    return handle


async def serve(host: str, port: int, sidecar, exercise_dir: Path, banner: str = "") -> None:
    from websockets.asyncio.server import serve as ws_serve

    stop = asyncio.get_running_loop().create_future()
    for sig in (signal.SIGINT, signal.SIGTERM):
        asyncio.get_running_loop().add_signal_handler(sig, lambda: stop.done() or stop.set_result(None))
    # max_size: clients only listen, so their frames are small; write_limit: how much may queue
    # for a slow client before send() waits (backpressure), see the lesson's "Slow clients".
    from newsroom.hub import Hub

    try:
        hub = await Hub(protocol.redis_url(), sidecar.dispatch).start()
    except Exception as exc:  # noqa: BLE001 - no Redis, no sidecar: say so and stop
        print(f"Cannot start the sidecar: Redis at {protocol.redis_url()} did not answer ({exc})", flush=True)
        raise SystemExit(EXIT_NO_REDIS) from None
    async with ws_serve(_guarded(sidecar, exercise_dir, hub), host, port, max_size=64 * 1024, write_limit=256 * 1024,
                        ping_interval=20, ping_timeout=20):
        print(banner or f"Sidecar listening on ws://{host}:{port}/ws/<room>?token=...", flush=True)
        await stop
    await hub.aclose()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--exercise-dir", type=Path, required=True, help="the folder with the learner's sidecar.py")
    parser.add_argument("--host", default=net.LOOPBACK)
    parser.add_argument("--port", type=int, default=8001)
    parser.add_argument("--redis-url", help="default: $WORKSHOP_REDIS_URL")
    parser.add_argument("--allowed-origin", action="append", default=[],
                        help="an origin whose pages may connect (repeat it); default: $WORKSHOP_ALLOWED_ORIGINS")
    parser.add_argument("--secret-file", type=Path, help="the file holding this run's signing key (from the launcher)")
    parser.add_argument("--no-loop-watch", action="store_true", help="no watchdog for blocking calls (benchmarks)")
    args = parser.parse_args(argv)
    exercise_dir = args.exercise_dir.resolve()
    if args.redis_url:
        os.environ["WORKSHOP_REDIS_URL"] = args.redis_url
    if args.allowed_origin:
        os.environ["WORKSHOP_ALLOWED_ORIGINS"] = ",".join(args.allowed_origin)
    learner.activate(LESSON_DIR, exercise_dir)
    try:
        configure_signing(protocol.read_secret_file(args.secret_file) if args.secret_file else protocol.secret_key())
    except (OSError, ValueError) as problem:
        print(f"Cannot start the sidecar: no signing key ({problem})", file=sys.stderr, flush=True)
        return 2
    try:
        sidecar = learner.import_learner("sidecar", exercise_dir)
    except learner.LearnerCodeError as err:
        print(f"Cannot start the sidecar: {err}", file=sys.stderr, flush=True)
        return EXIT_LEARNER_CODE
    if not net.port_is_free(args.port, args.host):
        print(net.busy_port_message(args.port, args.host), file=sys.stderr)
        return 3
    if not args.no_loop_watch:
        LoopWatch(exercise_dir, lambda line: print(line, flush=True)).start()
    try:
        asyncio.run(serve(args.host, args.port, sidecar, exercise_dir))
    except KeyboardInterrupt:
        pass
    return 0


if __name__ == "__main__":
    sys.exit(main())
