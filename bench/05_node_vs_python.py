"""Benchmark for lesson 05: the Python sidecar and the Node.js sidecar, side by side, on one Redis.

For each sidecar (the reference ``sidecar.py`` and ``sidecar.js``, started by the lesson's launcher
with Django, the Python one without its blocking-call watchdog) it measures:

1. **latency**: a ``websockets`` client in #lobby; each round POSTs a message to Django (which stores
   it and publishes it) and times until the client's ``recv()`` returns it: median and p95; then the
   same with the lesson's own page in headless Chromium, from the page's POST to its pushed line
   (``05_sidecar_latency.browser_latency``, one way to measure it);
2. **memory per open connection**: the sidecar process's RSS with 0 clients, then with N idle clients
   (each past its ready frame, so each holds its own Redis subscription): (RSS_N - RSS_0) / N;
3. **connections held by one process**: clients are added in steps up to ``--max`` (2,000); after each
   step one message is broadcast and the p95 of its delivery to every client is noted. "Held" is the
   last step at which every client connected and received the broadcast; like hashrocket's
   websocket-shootout, "under the limit" is the last step whose broadcast p95 stayed under ``--limit-ms``.

It measures; it never asserts. The clients run in this process, on the same cores as both servers:
on a loaded 2-core machine the absolute numbers move, the comparison much less.

    python bench/05_node_vs_python.py                     # both, steps up to 2,000 (~1 min)
    python bench/05_node_vs_python.py --max 500 --rounds 20
"""

from __future__ import annotations

import argparse
import asyncio
import http.cookiejar
import importlib.util
import json
import os
import platform
import re
import statistics
import sys
import time
import urllib.parse
import urllib.request
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parent.parent
LESSON_DIR = REPO_ROOT / "lessons" / "05-redis-sidecar"
sys.path[:0] = [str(LESSON_DIR), str(REPO_ROOT)]

from checker import launchers  # noqa: E402
from checker.probes import node as node_probe  # noqa: E402
from workshop import paths, procs  # noqa: E402
from workshop.launch import Ports  # noqa: E402
from workshop.redis_server import RedisServer  # noqa: E402

_spec = importlib.util.spec_from_file_location("bench05_latency", Path(__file__).with_name("05_sidecar_latency.py"))
latency_bench = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(latency_bench)  # its percentile, token, browser_latency and ORIGIN: one way to measure
ROOM, ORIGIN = latency_bench.ROOM, latency_bench.ORIGIN


def _django_session(url: str):
    """Logged in as the page does: the form's CSRF token, then a POST. The opener and the token."""
    opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(http.cookiejar.CookieJar()))
    page = opener.open(f"{url}/", timeout=10).read().decode()
    csrf = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page).group(1)
    form = urllib.parse.urlencode({"name": "bench", "next": f"/room/{ROOM}/", "csrfmiddlewaretoken": csrf})
    opener.open(f"{url}/login", data=form.encode(), timeout=10).read()
    return opener, csrf


async def post_latency(url: str, port: int, rounds: int) -> dict:
    """POST to Django → the websockets client, ``rounds`` times (one client)."""
    from websockets.asyncio.client import connect

    opener, csrf = _django_session(url)
    loop = asyncio.get_running_loop()
    latencies = []
    async with connect(f"ws://127.0.0.1:{port}/ws/{ROOM}?token={urllib.parse.quote(latency_bench.token('bench'))}",
                       origin=ORIGIN, open_timeout=10) as ws:
        assert json.loads(await ws.recv())["type"] == "ready"
        for n in range(rounds):
            request = urllib.request.Request(f"{url}/room/{ROOM}/messages", data=f"text=round+{n}".encode(),
                                             headers={"Accept": "application/json", "X-CSRFToken": csrf})
            arrival = asyncio.ensure_future(ws.recv())
            started = time.perf_counter()
            await loop.run_in_executor(None, lambda: opener.open(request, timeout=10).read())
            await asyncio.wait_for(arrival, 10)
            latencies.append((time.perf_counter() - started) * 1000)
    return {"median_ms": statistics.median(latencies), "p95_ms": latency_bench.percentile(latencies, 0.95)}


async def hold(port: int, redis_url: str, pid: int, steps: list[int]) -> list[dict]:
    """Clients added step by step; per step: RSS and one broadcast's p95 to all of them."""
    import redis.asyncio as aioredis
    from websockets.asyncio.client import connect

    async def open_one(i: int):
        ws = await connect(f"ws://127.0.0.1:{port}/ws/{ROOM}?token={urllib.parse.quote(latency_bench.token(f'u{i}'))}",
                           origin=ORIGIN, open_timeout=60, ping_interval=None, max_queue=None)
        assert json.loads(await asyncio.wait_for(ws.recv(), 60))["type"] == "ready"
        return ws

    async def arrival(ws):
        await asyncio.wait_for(ws.recv(), 10)
        return time.perf_counter()

    await asyncio.sleep(0.5)
    rows = [{"clients": 0, "rss": procs.rss_bytes(pid), "p95_ms": None, "lost": 0}]
    clients: list = []
    publisher = aioredis.Redis.from_url(redis_url)
    try:
        for target in steps:
            try:
                while len(clients) < target:  # in batches of 100: the listen backlog is finite
                    batch = range(len(clients), min(target, len(clients) + 100))
                    clients += await asyncio.gather(*(open_one(i) for i in batch))
            except Exception as exc:  # noqa: BLE001 - the limit was reached: report it
                rows.append({"clients": target, "rss": procs.rss_bytes(pid), "p95_ms": None,
                             "lost": target - len(clients), "error": f"{type(exc).__name__}: {exc}"[:80]})
                break
            await asyncio.sleep(1.0)  # let the sidecar settle before reading its memory
            rss = procs.rss_bytes(pid)
            waiters = [asyncio.ensure_future(arrival(ws)) for ws in clients]
            await asyncio.sleep(0)
            sent = time.perf_counter()
            await publisher.publish(f"room:{ROOM}", json.dumps({"id": target, "room": ROOM, "text": "broadcast"}))
            got = await asyncio.gather(*waiters, return_exceptions=True)
            times = [(t - sent) * 1000 for t in got if isinstance(t, float)]
            rows.append({"clients": target, "rss": rss, "lost": len(got) - len(times),
                         "p95_ms": latency_bench.percentile(times, 0.95) if times else None})
            if rows[-1]["lost"]:
                break
    finally:
        await publisher.aclose()
        await asyncio.gather(*(ws.close() for ws in clients), return_exceptions=True)
    return rows


def measure(kind: str, redis_url: str, args) -> dict:
    launch = launchers.load(LESSON_DIR).launch
    with launch(args.exercise_dir.resolve(), Ports(http=0, sidecar=0), redis_url=redis_url, extra_origins=[ORIGIN],
                loop_watch=False, sidecar=kind) as site:
        port, pid = site.ports["sidecar"], site.services["sidecar"].proc.pid
        latency = asyncio.run(post_latency(site.url("http"), port, args.rounds))
        page = latency_bench.browser_latency(site.url("http"), args.rounds) if not args.no_browser else None
        steps = [s for s in (100, 250, 500, 1000, 1500, 2000, 3000, 5000) if s <= args.max]
        rows = asyncio.run(hold(port, redis_url, pid, steps))
    served = [r for r in rows[1:] if r["p95_ms"] is not None and not r["lost"]]
    fast = [r for r in served if r["p95_ms"] <= args.limit_ms]
    return {"kind": kind, "latency": latency, "page": page, "rows": rows, "held": served[-1]["clients"] if served else 0,
            "fast": fast[-1]["clients"] if fast else 0, "limit_ms": args.limit_ms}


def report(result: dict) -> None:
    base = result["rows"][0]["rss"]
    lat = result["latency"]
    print(f"\n## {result['kind']} sidecar: POST → client median {lat['median_ms']:.1f} ms, p95 {lat['p95_ms']:.1f} ms; "
          f"RSS with 0 clients {base / 2**20:.1f} MiB; held {result['held']} clients, broadcast p95 under "
          f"{result['limit_ms']:.0f} ms up to {result['fast']}")
    if result["page"]:
        print(f"   POST → the pushed line in a Chromium page: median {result['page']['median_ms']:.1f} ms, "
              f"p99 {result['page']['p99_ms']:.1f} ms")
    print("| clients | sidecar RSS | per connection | broadcast p95 | not delivered |")
    print("|---|---|---|---|---|")
    for row in result["rows"][1:]:
        per = (row["rss"] - base) / row["clients"] / 1024
        p95 = f"{row['p95_ms']:.0f} ms" if row["p95_ms"] is not None else row.get("error", "-")
        print(f"| {row['clients']} | {row['rss'] / 2**20:.1f} MiB | {per:.0f} KiB | {p95} | {row['lost']} |")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=50, help="POST → client rounds for the latency")
    parser.add_argument("--max", type=int, default=2000, help="the most clients to step up to")
    parser.add_argument("--limit-ms", type=float, default=250.0, help="broadcast p95 above which a step fails")
    parser.add_argument("--exercise-dir", type=Path, default=paths.exercise_dir(paths.SOLUTIONS, LESSON_DIR.name))
    parser.add_argument("--only", choices=["python", "node"], help="measure one sidecar only")
    parser.add_argument("--no-browser", action="store_true", help="skip the POST → Chromium page latency")
    args = parser.parse_args()
    load = os.getloadavg()
    print(f"# {platform.platform()}, Python {platform.python_version()}, node {node_probe.version()}, "
          f"{os.cpu_count()} cores, load average {load[0]:.1f} {load[1]:.1f} {load[2]:.1f}")
    kinds = [args.only] if args.only else ["python", "node"]
    if "node" in kinds and node_probe.find_node() is None:
        print(f"# skipping node: {node_probe.install_advice()}")
        kinds.remove("node")
    with RedisServer() as redis:
        for kind in kinds:
            report(measure(kind, redis.url, args))
    return 0


if __name__ == "__main__":
    sys.exit(main())
