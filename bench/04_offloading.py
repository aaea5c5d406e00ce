"""Offloading against the native API: ``python bench/04_offloading.py [--streams 200 500]``.

1. uWSGI's native WebSocket API (lesson 04's ``uwsgi_ws.py``, 1 process, 4 threads): open idle
   WebSockets to ``/echo`` one at a time until a handshake is not answered within 2 s, then ask
   for the page ``/``, which needs a thread too.
2. The offloading pair (``offload.py``, as uWSGI's article sets it up): Django in 4 plain uWSGI
   workers with an offload thread each, handing marked requests to one gevent instance. For each
   count N: open N SSE streams, then N WebSockets, all logged in and in one room; while they are
   open, time 20 ``GET /ping`` on the front (median and worst), time one message published on
   Redis until all N clients have it, and read the held instance's memory (RSS).

Runs the reference solution through the lesson's launcher. Prints tables; asserts nothing.
Lesson 04's README and ``slides/numbers.toml`` quote these numbers.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import statistics
import sys
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
LESSON = ROOT / "lessons" / "04-wsgi-limits"
sys.path[:0] = [str(LESSON), str(ROOT)]

from checker import launchers  # noqa: E402
from checker.probes import sse as sse_probe  # noqa: E402
from checker.probes import ws as ws_probe  # noqa: E402
from workshop import paths, procs  # noqa: E402
from workshop.launch import Ports  # noqa: E402
from workshop.redis_server import RedisServer  # noqa: E402

SOLUTION = paths.exercise_dir(paths.SOLUTIONS, LESSON.name)
WORKERS = 4


def _ms(seconds: float) -> str:
    return f"{1000 * seconds:.1f}"


def _rss_mb(pid: int) -> float:
    """Resident memory of ``pid`` and its descendants (the uWSGI master and its workers), in MB."""
    return sum(procs.rss_bytes(one) for one in {pid, *procs.descendants(pid)}) / 2**20


def native(lesson) -> None:
    print(f"\n1. uWSGI's native API: 1 process, {WORKERS} threads, idle WebSockets on /echo")
    with lesson.launch(SOLUTION, Ports(uwsgi=0), threads=WORKERS) as site:
        url = site.url("uwsgi", "ws") + "/echo"

        async def hold() -> int:
            sockets = []
            try:
                while len(sockets) < 50:
                    try:
                        sockets.append(await ws_probe.connect(url, timeout=2))
                    except (TimeoutError, asyncio.TimeoutError, OSError):
                        break
                held = len(sockets)
                started = time.monotonic()
                try:
                    await asyncio.to_thread(lambda: urllib.request.urlopen(site.url("uwsgi") + "/", timeout=2).read())
                    page = f"answered in {_ms(time.monotonic() - started)} ms"
                except OSError:
                    page = "not answered within 2 s"
                print(f"| idle WebSockets held | the next handshake | GET / meanwhile |\n|---|---|---|\n"
                      f"| {held} | not answered within 2 s | {page} |")
                return held
            finally:
                for ws in sockets:
                    await ws.close()

        asyncio.run(hold())


def _login(base: str, name: str) -> str:
    request = urllib.request.Request(base + "/login", data=json.dumps({"name": name}).encode(), method="POST")
    with urllib.request.urlopen(request, timeout=10) as reply:
        return reply.headers["Set-Cookie"].split(";")[0]


def _pings(base: str, count: int = 20) -> tuple[float, float]:
    times = []
    for _ in range(count):
        started = time.monotonic()
        with urllib.request.urlopen(base + "/ping", timeout=30) as reply:
            reply.read()
        times.append(time.monotonic() - started)
    return statistics.median(times), max(times)


def _publish(redis) -> float:
    """Publish one message to the room; returns when it was sent (time.monotonic())."""
    sent = time.monotonic()
    redis.publish("room:lobby", json.dumps({"user": "bench", "text": "fan-out"}))
    return sent


def _row(site, kind: str, count: int, opened: float, pings: tuple[float, float], fanout: float) -> str:
    """A table row; the held instance's memory is read now, with every stream still open."""
    median, worst = pings
    rss = _rss_mb(site.services["held"].proc.pid)
    return f"| {kind} | {count} | {opened:.1f} s | {_ms(median)} / {_ms(worst)} ms | {_ms(fanout)} ms | {rss:.0f} MB |"


def sse_row(site, redis, cookie: str, count: int) -> str:
    port, started = site.ports["front"], time.monotonic()
    streams = []
    try:
        for _ in range(count):
            stream = sse_probe.Stream(port, "/events/lobby", {"Cookie": cookie}, timeout=30)
            stream.read_until(lambda s=stream: s.parser.events, 30)
            streams.append(stream)
        opened = time.monotonic() - started
        pings = _pings(site.url("front"))
        sent = _publish(redis)
        for stream in streams:
            stream.read_until(lambda s=stream: len(s.parser.events) > 1, 30)
        return _row(site, "SSE", count, opened, pings, time.monotonic() - sent)
    finally:
        for stream in streams:
            stream.close()


def ws_row(site, redis, cookie: str, count: int) -> str:
    url = site.url("front", "ws") + "/ws/lobby"

    async def run() -> str:
        sockets, started = [], time.monotonic()
        try:
            for _ in range(count):
                sockets.append(await ws_probe.connect(url, timeout=30, cookie=cookie))
                await ws_probe.recv(sockets[-1], timeout=30)
            opened = time.monotonic() - started
            pings = await asyncio.to_thread(_pings, site.url("front"))
            sent = _publish(redis)
            await asyncio.gather(*(ws_probe.recv(ws, timeout=30) for ws in sockets))
            return _row(site, "WebSocket", count, opened, pings, time.monotonic() - sent)
        finally:
            for ws in sockets:
                await ws.close()

    return asyncio.run(run())


def drain(redis) -> None:
    """Wait until the held instance has dropped every subscription of the last row.

    An SSE greenlet learns that its client left only when a write fails, so publish until none is left.
    """
    end = time.monotonic() + 60
    while dict(redis.pubsub_numsub("room:lobby")).get(b"room:lobby", 0) and time.monotonic() < end:
        redis.publish("room:lobby", json.dumps({"user": "bench", "text": "anyone there?"}))
        time.sleep(0.2)


def offloading(lesson, counts: list[int]) -> None:
    import redis as redis_lib

    print(f"\n2. Offloading: Django in {WORKERS} uWSGI workers (+1 offload thread each), one gevent instance")
    with RedisServer() as server, lesson.launch(SOLUTION, Ports(front=0, held=0), redis_url=server.url,
                                                front_processes=WORKERS, ready_timeout=30) as site:
        client = redis_lib.Redis.from_url(server.url)
        cookie = _login(site.url("front"), "bench")
        print("| kind | open at once | time to open them | GET /ping meanwhile (median / worst of 20) "
              "| one message to all | held instance RSS |\n|---|---|---|---|---|---|")
        for count in counts:
            print(sse_row(site, client, cookie, count), flush=True)
            drain(client)
            print(ws_row(site, client, cookie, count), flush=True)
            drain(client)
        client.close()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--streams", type=int, nargs="+", default=[200, 500])
    args = parser.parse_args(argv)
    lesson = launchers.load(LESSON)
    print(f"bench/04_offloading.py, {time.strftime('%Y-%m-%d')}")
    native(lesson)
    offloading(lesson, args.streams)
    return 0


if __name__ == "__main__":
    sys.exit(main())
