"""Benchmark for lesson 08: delivered and lost, for the plain chat and the gap-filling chat, as load grows.

    python bench/08_delivery.py --quick                  # one load (~30 s)
    python bench/08_delivery.py                          # 20 clients every 200 ms, 20 and 50 every 50 ms
    python bench/08_delivery.py --load 30:0.1:5 --capacity 20

Both chats are lesson 08's reference solution, on two Daphne processes behind the balancer and
one real Redis (channel layer and store), with the rate limits raised out of the way. The
*plain* chat is that consumer with two methods overridden (in a copy of the folder): it forwards
each notification as it comes and never looks at the store, as lesson 06's chat does. The
*gap-filling* chat is the reference as it is: every message stored and numbered first, holes
filled from the store before forwarding, a look at the store every 2 s for the tail.

Clients log in through the page's form (``checker/probes/chat_clients.py``), connect through
the balancer (so half sit on each Daphne) and each sends one message per interval for the given
seconds; every client should receive every message, its own included. After the sending stops
the clients read until everything arrived or nothing came for 5 s (at most 60 s). Prints, per
chat and load: deliveries expected and received, lost, duplicates, arrivals out of order,
messages that reached nobody, median and maximum delay. It measures; it never asserts. Loopback
only; every process is stopped at the end. The clients share the machine's cores with Redis and
both Daphnes: losses are what one machine does when the fan-out outgrows it.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import platform
import shutil
import statistics
import sys
import tempfile
import time
import uuid
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from checker import launchers  # noqa: E402
from checker.probes.chat_clients import (  # noqa: E402
    Load, Tally, login, read_into, send_on_beat, wait_for_deliveries)
from workshop import paths  # noqa: E402
from workshop.launch import Ports  # noqa: E402

SLUG = "08-scaling-and-security"
LESSON = paths.lesson_dir(SLUG)
SOLUTION = paths.exercise_dir(paths.SOLUTIONS, SLUG)
LIMITS = {"WORKSHOP_WS_RATE": "100000", "WORKSHOP_WS_BURST": "100000", "WORKSHOP_WS_MAX_CONNECTIONS": "1000"}
QUICK = [(20, 0.05, 5.0)]
DEFAULT = [(20, 0.2, 5.0), (20, 0.05, 5.0), (50, 0.05, 5.0)]
QUIET = 5.0

PLAIN = '''

# -- added by bench/08_delivery.py: the plain chat, forwarding each notification as it comes --
_GapFilling = ChatConsumer


class ChatConsumer(_GapFilling):
    async def chat_message(self, event):
        await self.send_frame({"type": "message", **event["message"]})

    async def tail_check(self):
        pass
'''


def plain_copy(folder: Path) -> Path:
    """A copy of the reference solution whose consumer forwards notifications without the store."""
    target = folder / "plain"
    shutil.copytree(SOLUTION, target, ignore=shutil.ignore_patterns("__pycache__"))
    with open(target / "consumers.py", "a", encoding="utf-8") as handle:
        handle.write(PLAIN)
    return target


async def run_load(site, load: Load, cookies: list[str], drain: float) -> Tally:
    from websockets.asyncio.client import connect

    run = "dv-" + uuid.uuid4().hex[:8]
    tally = Tally()
    url = site.url("http", "ws") + "/ws/chat/"
    sockets = []
    for cookie in cookies:
        ws = await connect(url, origin=site.extras["origin"], additional_headers={"Cookie": f"sessionid={cookie}"},
                           max_queue=None, ping_interval=None, open_timeout=60, compression=None)
        await ws.recv()  # the hello
        sockets.append(ws)

    readers = [asyncio.create_task(read_into(i, ws, run, tally)) for i, ws in enumerate(sockets)]
    start = time.perf_counter() + 0.5
    senders = [asyncio.create_task(send_on_beat(i, ws, load, run, tally, start)) for i, ws in enumerate(sockets)]
    try:
        await asyncio.gather(*senders)
        await wait_for_deliveries(tally, load.clients, start + load.seconds, most=drain, quiet=QUIET)
    finally:
        for task in readers:
            task.cancel()
        await asyncio.gather(*readers, return_exceptions=True)
        await asyncio.gather(*(ws.close() for ws in sockets), return_exceptions=True)
    return tally


def measure(exercise_dir: Path, load: Load, capacity: int | None, drain: float) -> dict:
    env = {**LIMITS, **({"WORKSHOP_LAYER_CAPACITY": str(capacity)} if capacity else {})}
    with launchers.load(LESSON).launch(exercise_dir, Ports.free("http"), backends=2, extra_env=env, access_log=False,
                                       ready_timeout=60) as site:
        port = site.ports["http"]
        tag = uuid.uuid4().hex[:4]
        cookies = [login(port, f"dv{tag}-{i}", page="/", action="/login/") for i in range(load.clients)]
        tally = asyncio.run(run_load(site, load, cookies, drain))
    delays = [(at - tally.sent_at[key]) * 1000 for key, seen in tally.arrivals.items() for at in seen.values()]
    return {"sent": len(tally.sent_at), "expected": len(tally.sent_at) * load.clients, "delivered": len(delays),
            "duplicates": tally.duplicates, "out_of_order": tally.out_of_order, "reached_none": tally.reached_none(),
            "median_ms": statistics.median(delays) if delays else float("nan"),
            "max_ms": max(delays) if delays else float("nan")}


def parse_load(text: str) -> Load:
    return Load.parse(text, most_clients=200, most_interval=10, most_seconds=30)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="one load: 20 clients every 50 ms for 5 s")
    parser.add_argument("--load", type=parse_load, action="append", help="CLIENTS:INTERVAL:SECONDS (repeatable)")
    parser.add_argument("--capacity", type=int, default=None, help="the channel layer's capacity (default 100)")
    parser.add_argument("--drain", type=float, default=60.0, help="at most this many seconds of reading afterwards")
    args = parser.parse_args(argv)
    loads = args.load or [Load(*spec) for spec in (QUICK if args.quick else DEFAULT)]
    folder = Path(tempfile.mkdtemp(prefix="workshop-08-delivery-"))
    rows = []
    try:
        chats = [("plain", plain_copy(folder)), ("gap-filling", SOLUTION)]
        for load in loads:
            for name, exercise_dir in chats:
                print(f"{name} chat: {load.label} through the balancer to two Daphnes ...", flush=True)
                try:
                    rows.append((name, load, measure(exercise_dir, load, args.capacity, args.drain)))
                except Exception as exc:  # noqa: BLE001 - a benchmark reports, it does not crash
                    print(f"  failed: {type(exc).__name__}: {exc}", file=sys.stderr)
    finally:
        shutil.rmtree(folder, ignore_errors=True)
    print(f"\nMachine: {platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}; "
          f"{time.strftime('%Y-%m-%d')}; load average {os.getloadavg()[0]:.1f} (other work slows the servers down); "
          f"channel layer capacity {args.capacity or 100}\n")
    header = (f"{'chat':<12} {'load':<34} {'delivered':>17} {'lost':>6} {'dupl.':>6} {'out of order':>12} "
              f"{'reached nobody':>14} {'median':>8} {'max':>8}")
    print(header)
    print("-" * len(header))
    for name, load, r in rows:
        lost = 1 - r["delivered"] / r["expected"] if r["expected"] else 0.0
        print(f"{name:<12} {load.label:<34} {r['delivered']:>7,}/{r['expected']:<9,} {lost:>6.1%} {r['duplicates']:>6} "
              f"{r['out_of_order']:>12} {r['reached_none']:>14} {r['median_ms']:>6.0f}ms {r['max_ms']:>6.0f}ms")
    return 0 if rows else 1


if __name__ == "__main__":
    sys.exit(main())
