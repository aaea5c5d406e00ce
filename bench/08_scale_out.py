"""Broadcast through the balancer to 1, 2 and 3 Daphne processes on Redis (and 2 on in-memory layers).

    python bench/08_scale_out.py [--clients 60] [--messages 100]

For each setup: start Redis, N Daphnes (the reference solution's consumer, limits raised so the
rate limiter stays out of the way) and the round-robin balancer; connect --clients signed-in
websockets clients through the balancer; let 10 of them send --messages messages in total as
fast as they can; every client should receive every message. Prints, per setup, where the
sockets landed, how many deliveries arrived, deliveries per second and the delivery latency
(send to receive, same clock). It only prints: numbers depend on the machine.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import statistics
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))
from workshop import paths  # noqa: E402

SLUG = "08-scaling-and-security"
LESSON = paths.lesson_dir(SLUG)
SOLUTION = paths.exercise_dir(paths.SOLUTIONS, SLUG)
sys.path[:0] = [str(SOLUTION), str(LESSON)]  # scaleroom (the accounts) for the session cookies made here
_db_dir = tempfile.mkdtemp(prefix="workshop-08-bench-")
os.environ["WORKSHOP_SCALE_DB"] = str(Path(_db_dir) / "scale.sqlite3")  # the settings of this process

from checker import launchers  # noqa: E402
from workshop.channels_support import ensure_schema  # noqa: E402
from workshop.launch import Ports  # noqa: E402

launch = launchers.load(LESSON).launch

LIMITS = {"WORKSHOP_WS_RATE": "100000", "WORKSHOP_WS_BURST": "100000", "WORKSHOP_WS_MAX_CONNECTIONS": "1000"}


async def run(site, cookies: list[str], messages: int, senders: int = 10) -> dict:
    from websockets.asyncio.client import connect

    clients, backends = [], Counter()
    for cookie in cookies:
        ws = await connect(site.url("http", "ws") + "/ws/chat/", origin=site.extras["origin"],
                           additional_headers={"Cookie": f"sessionid={cookie}"}, max_queue=None)
        hello = json.loads(await ws.recv())
        backends[hello["backend"]] += 1
        clients.append(ws)
    await asyncio.sleep(0.3)  # let every group_add settle
    latencies: list[float] = []
    expected = messages * len(clients)
    done = asyncio.Event()
    last = [0.0]  # when the last delivery arrived

    async def reader(ws):
        async for raw in ws:
            frame = json.loads(raw)
            if frame.get("type") == "message":
                now = time.perf_counter()
                latencies.append(now - float(frame["text"].split()[0]))
                last[0] = now
                if len(latencies) >= expected:
                    done.set()

    readers = [asyncio.create_task(reader(ws)) for ws in clients]
    start = time.perf_counter()

    async def sender(ws, count):
        for _ in range(count):
            await ws.send(json.dumps({"type": "message", "text": f"{time.perf_counter()!r} x"}))

    senders = min(senders, len(clients))  # a run with fewer clients than senders
    per = [messages // senders + (1 if i < messages % senders else 0) for i in range(senders)]
    await asyncio.gather(*(sender(clients[i], n) for i, n in enumerate(per)))
    try:
        await asyncio.wait_for(done.wait(), 15)
    except TimeoutError:
        pass
    await asyncio.sleep(0.5)  # stragglers (and, for the in-memory layer, proof that nothing else comes)
    elapsed = last[0] - start
    for task in readers:
        task.cancel()
    for ws in clients:
        await ws.close()
    return {"backends": dict(sorted(backends.items())), "delivered": len(latencies), "expected": expected,
            "elapsed": elapsed, "latencies": sorted(latencies)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clients", type=int, default=60)
    parser.add_argument("--messages", type=int, default=100)
    args = parser.parse_args()
    ensure_schema("scalesite.settings")
    from scaleroom.accounts import session_cookie_for

    cookies = [session_cookie_for(f"bench{i}") for i in range(args.clients)]
    print(f"{args.clients} clients through the balancer, {args.messages} messages from 10 senders "
          f"({args.clients * args.messages} deliveries expected); {os.cpu_count()} CPU cores")
    print(f"{'setup':<24} {'sockets per backend':<50} {'delivered':>10} {'deliveries/s':>13} {'p50 ms':>8} {'p95 ms':>8}")
    for count, layer in ((1, "redis"), (2, "redis"), (3, "redis"), (2, "memory")):
        with launch(SOLUTION, Ports.free("http"), backends=count, layer=layer, extra_env=LIMITS, access_log=False,
                    db_path=os.environ["WORKSHOP_SCALE_DB"]) as site:
            result = asyncio.run(run(site, cookies, args.messages))
        lat = result["latencies"]
        p50 = lat[len(lat) // 2] * 1000 if lat else float("nan")
        p95 = lat[int(len(lat) * 0.95) - 1] * 1000 if lat else float("nan")
        rate = result["delivered"] / result["elapsed"] if result["elapsed"] > 0 else 0
        share = f"{result['delivered']}/{result['expected']}"
        print(f"{f'{count} Daphne, {layer} layer':<24} {str(result['backends']):<50} {share:>10} {rate:>13,.0f} "
              f"{p50:>8.1f} {p95:>8.1f}", flush=True)


if __name__ == "__main__":
    try:
        main()
    finally:
        import shutil

        shutil.rmtree(_db_dir, ignore_errors=True)
