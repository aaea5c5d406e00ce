"""Lesson 03 benchmark: how fast is the hand-written WebSocket code? Prints; asserts nothing.

    .venv/bin/python bench/03_ws_frames.py                       # the reference solution
    .venv/bin/python bench/03_ws_frames.py --exercise-dir exercises/03-websocket-handshake

Measures: mask() throughput, encode_frame + FrameDecoder for several payload sizes, the
Connection's messages per second, and echo round trips through the asyncio server with the
websockets client.
"""

from __future__ import annotations

import argparse
import asyncio
import importlib.util
import os
import statistics
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))

from checker.probes import wire  # noqa: E402
from checker.probes import ws as ws_client  # noqa: E402
from workshop import paths  # noqa: E402
from workshop.launch import Ports  # noqa: E402

SLUG = "03-websocket-handshake"


def timed(fn, repeat: int) -> float:
    """Best-of-5 seconds per call."""
    best = float("inf")
    for _ in range(5):
        start = time.perf_counter()
        for _ in range(repeat):
            fn()
        best = min(best, (time.perf_counter() - start) / repeat)
    return best


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--exercise-dir", type=Path, default=paths.exercise_dir(paths.SOLUTIONS, SLUG))
    parser.add_argument("--rounds", type=int, default=200, help="echo round trips per size (default 200)")
    args = parser.parse_args()
    exercise_dir = args.exercise_dir.resolve()
    spec = importlib.util.spec_from_file_location("lesson03_launch", paths.lesson_dir(SLUG) / "launch.py")
    launcher = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(launcher)
    site = launcher.launch(exercise_dir, Ports.free(*launcher.PORTS), max_message_size=1 << 21)
    with site:  # the launcher also puts the lesson and exercise folders on sys.path
        measure(args, site.extras["server"])


def measure(args, server) -> None:
    import connection
    import frames
    from ws_common import OPCODE_BINARY, Frame

    print(f"code: {args.exercise_dir}   python {sys.version.split()[0]}   cpus {os.cpu_count()}")
    key = os.urandom(4)
    print("\nmask():")
    for n in (125, 65536, 1 << 20):
        data = os.urandom(n)
        t = timed(lambda: frames.mask(data, key), max(1, 2000 // (n // 1000 + 1)))
        print(f"  {n:>8} bytes  {t * 1e6:9.1f} µs   {n / t / 1e6:8.1f} MB/s")

    data = os.urandom(1 << 20)
    t = timed(lambda: bytes(b ^ key[i % 4] for i, b in enumerate(data)), 1)
    print(f"  for comparison, a byte-by-byte generator on 1 MiB: {t * 1e3:.1f} ms")

    print("\nencode_frame(masked) + FrameDecoder.feed/next_frame:")
    for n in (10, 125, 126, 65536, 1 << 20):
        frame = Frame(OPCODE_BINARY, os.urandom(n))

        def roundtrip():
            decoder = frames.FrameDecoder(expect_masked=True, max_payload=1 << 21)
            decoder.feed(frames.encode_frame(frame, key))
            assert decoder.next_frame() is not None

        t = timed(roundtrip, max(1, 2000 // (n // 1000 + 1)))
        print(f"  {n:>8} bytes  {t * 1e6:9.1f} µs")

    print("\nConnection.receive_data, 1000 small text messages in one chunk:")
    burst = b"".join(wire.wire(wire.TEXT, b"hello %d" % i, key=key) for i in range(1000))
    t = timed(lambda: connection.Connection().receive_data(burst), 5)
    print(f"  {t * 1e3:.2f} ms  ({1000 / t:,.0f} messages/s)")

    print(f"\necho round trips through ws_server with the websockets client (median of {args.rounds}):")

    async def echo(url: str) -> None:
        async with ws_client.connect(url, timeout=10, max_size=None) as client:
            for n in (10, 65536, 1 << 20):
                payload = os.urandom(n)
                times = []
                for _ in range(args.rounds if n < 1 << 20 else max(1, args.rounds // 10)):
                    start = time.perf_counter()
                    await client.send(payload)
                    assert await ws_client.recv(client, timeout=10) == payload
                    times.append(time.perf_counter() - start)
                print(f"  {n:>8} bytes  {statistics.median(times) * 1e3:8.3f} ms")

    asyncio.run(echo(server.ws_url("/echo")))


if __name__ == "__main__":
    main()
