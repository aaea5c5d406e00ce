"""Benchmark for lesson 05: how long a message takes from Redis PUBLISH to the clients of the sidecar.

It starts a real Redis, the sidecar (reference solution, or ``--exercise-dir``) as a real
process and Django with the lesson's launcher (``lessons/05-redis-sidecar/launch.py``; the
sidecar's blocking-call watchdog off, so it costs nothing here), connects N ``websockets`` clients to one room (each with a token signed as Django signs
it), waits for every ready frame, then publishes ``--messages`` messages one after the other,
each only after every client received the previous one. Per (message, client) pair it records
the time from just before PUBLISH to the client's ``recv()`` returning, and prints the median,
p99 and max, the connect time, and the sidecar's resident memory per connection. ``--browser``
adds the same measurement for one headless Chromium page of the Django site (publish → the
page's JavaScript showing the message), with a POST through Django.

It measures; it never asserts. Clients and servers share this machine's cores.

    python bench/05_sidecar_latency.py                       # 1, 20 and 200 clients (~5 s)
    python bench/05_sidecar_latency.py --clients 1000 --messages 20
    python bench/05_sidecar_latency.py --browser
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import platform
import secrets
import statistics
import sys
import time
import urllib.parse
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parent.parent
LESSON_DIR = REPO_ROOT / "lessons" / "05-redis-sidecar"
sys.path[:0] = [str(LESSON_DIR), str(REPO_ROOT)]

from checker import launchers  # noqa: E402
from workshop import paths, procs  # noqa: E402
from workshop.launch import Ports  # noqa: E402

ROOM = "lobby"
ORIGIN = "http://127.0.0.1:1"  # the sidecar is told to accept it; no page lives there


def percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(fraction * (len(ordered) - 1))))]


def token(user: str) -> str:
    from django.core import signing

    from newsroom import protocol

    return signing.dumps({"user": user, "room": ROOM, "nonce": secrets.token_urlsafe(16)}, salt=protocol.TOKEN_SALT)


async def run_clients(port: int, redis_url: str, count: int, messages: int, pid: int) -> dict:
    import redis.asyncio as aioredis
    from websockets.asyncio.client import connect

    rss_before = procs.rss_bytes(pid)
    started = time.perf_counter()

    async def open_one(i: int):
        ws = await connect(f"ws://127.0.0.1:{port}/ws/{ROOM}?token={urllib.parse.quote(token(f'u{i}'))}",
                           origin=ORIGIN, open_timeout=30, max_queue=None)
        assert json.loads(await ws.recv())["type"] == "ready"
        return ws

    clients = []
    for start in range(0, count, 100):  # in batches: the listen backlog is finite
        clients += await asyncio.gather(*(open_one(i) for i in range(start, min(count, start + 100))))
    connect_s = time.perf_counter() - started
    await asyncio.sleep(0.2)
    rss_after = procs.rss_bytes(pid)
    publisher = aioredis.Redis.from_url(redis_url)
    latencies: list[float] = []
    try:
        for n in range(messages):
            payload = json.dumps({"id": n + 1, "room": ROOM, "author": "bench", "text": f"m{n}"})

            async def receive(ws):
                await ws.recv()
                return time.perf_counter()

            waiters = [asyncio.ensure_future(receive(ws)) for ws in clients]
            await asyncio.sleep(0)
            sent = time.perf_counter()
            await publisher.publish(f"room:{ROOM}", payload)
            for arrived in await asyncio.gather(*waiters):
                latencies.append((arrived - sent) * 1000)
    finally:
        await publisher.aclose()
        await asyncio.gather(*(ws.close() for ws in clients), return_exceptions=True)
    return {"clients": count, "connect_s": connect_s, "median_ms": statistics.median(latencies),
            "p99_ms": percentile(latencies, 0.99), "max_ms": max(latencies),
            "rss_per_conn_kb": (rss_after - rss_before) / count / 1024}


def browser_latency(url: str, rounds: int) -> dict:
    """One Chromium page; each round: POST through Django, time until the page shows the push."""
    from playwright.sync_api import sync_playwright

    from workshop import browser

    with sync_playwright() as p:
        chromium = browser.launch(p)
        try:
            page = chromium.new_page()
            page.goto(f"{url}/?next=/room/{ROOM}/")  # log in through the form (a CSRF-checked POST)
            page.fill("#login input[name=name]", "bench")
            page.click("#login button")
            page.wait_for_function("document.body.dataset.state === 'live'", timeout=10000)
            latencies = []
            for n in range(rounds):
                text = f"browser round {n}"
                started = time.perf_counter()
                page.evaluate("t => fetch(location.pathname + 'messages', {method: 'POST', headers: "
                              "{Accept: 'application/json', 'X-CSRFToken': "
                              "document.querySelector('[name=csrfmiddlewaretoken]').value}, "
                              "body: new URLSearchParams({text: t})})", text)
                page.wait_for_function(f"document.querySelector('#messages li.pushed:last-child')?.textContent"
                                       f".includes({json.dumps(text)})", polling="raf", timeout=5000)
                latencies.append((time.perf_counter() - started) * 1000)
        finally:
            chromium.close()
    return {"median_ms": statistics.median(latencies), "p99_ms": percentile(latencies, 0.99),
            "max_ms": max(latencies), "rounds": rounds}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clients", type=int, nargs="*", default=[1, 20, 200])
    parser.add_argument("--messages", type=int, default=20)
    parser.add_argument("--browser", action="store_true", help="also time POST → Chromium page (one page)")
    parser.add_argument("--exercise-dir", type=Path, default=paths.exercise_dir(paths.SOLUTIONS, LESSON_DIR.name))
    args = parser.parse_args()
    print(f"# {platform.platform()}, Python {platform.python_version()}, {os.cpu_count()} cores")
    launch = launchers.load(LESSON_DIR).launch
    with launch(args.exercise_dir.resolve(), Ports(http=0, sidecar=0), extra_origins=[ORIGIN], loop_watch=False) as site:
        port, redis_url, pid = site.ports["sidecar"], site.extras["redis_url"], site.services["sidecar"].proc.pid
        print("| clients | connect all | publish→client median | p99 | max | sidecar RSS per connection |")
        print("|---|---|---|---|---|---|")
        for count in args.clients:
            r = asyncio.run(run_clients(port, redis_url, count, args.messages, pid))
            print(f"| {r['clients']} | {r['connect_s']:.2f} s | {r['median_ms']:.2f} ms | {r['p99_ms']:.2f} ms "
                  f"| {r['max_ms']:.2f} ms | {r['rss_per_conn_kb']:.0f} KiB |", flush=True)
        if args.browser:
            b = browser_latency(site.url("http"), args.messages)
            print(f"\nPOST to Django → shown by Chromium (1 page, {b['rounds']} rounds): median "
                  f"{b['median_ms']:.1f} ms, p99 {b['p99_ms']:.1f} ms, max {b['max_ms']:.1f} ms")
    return 0


if __name__ == "__main__":
    sys.exit(main())
