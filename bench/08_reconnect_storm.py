"""A deploy behind nginx: one Daphne stops, its sockets reconnect. The storm, with and without jitter.

Lesson 08's reference chat on two Daphnes behind the lesson's real nginx (``launch.py``); --clients
signed-in ``websockets`` clients spread over both by round-robin. Then daphne-1 is stopped
(SIGTERM, as a deploy does) and every client it held reconnects through nginx, which sends them
to daphne-2. Three reconnect policies, each on a fresh cluster:

* ``immediately``: reconnect at once (and again at once after a failure);
* ``backoff``: wait 0.5 s x 2^attempt, the same for everyone;
* ``full jitter``: wait random() x min(30 s, 0.5 s x 2^attempt) (the room page's policy).

Printed per policy: how the dropped sockets were closed, the most handshakes nginx received in any
100 ms, the attempts in all, and how long until every client was back::

    python bench/08_reconnect_storm.py --clients 200
"""

from __future__ import annotations

import argparse
import asyncio
import atexit
import json
import os
import random
import shutil
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
sys.path[:0] = [str(SOLUTION), str(LESSON)]
_db_dir = tempfile.mkdtemp(prefix="workshop-08-storm-")
atexit.register(shutil.rmtree, _db_dir, True)
os.environ["WORKSHOP_SCALE_DB"] = str(Path(_db_dir) / "scale.sqlite3")

from checker import launchers  # noqa: E402
from workshop.channels_support import ensure_schema  # noqa: E402
from workshop.launch import Ports  # noqa: E402

launcher = launchers.load(LESSON)
LIMITS = {"WORKSHOP_WS_RATE": "100000", "WORKSHOP_WS_BURST": "100000", "WORKSHOP_WS_MAX_CONNECTIONS": "100000"}
BASE, CAP = 0.5, 30.0


def delay(policy: str, attempt: int) -> float:
    if policy == "immediately":
        return 0.0
    ceiling = min(CAP, BASE * 2 ** attempt)
    return ceiling if policy == "backoff" else random.random() * ceiling


async def client(url: str, origin: str, cookie: str, policy: str, log: dict, dropped: asyncio.Event) -> None:
    """Connect, and after a drop reconnect by ``policy`` until connected again; record every attempt."""
    from websockets.asyncio.client import connect
    from websockets.exceptions import ConnectionClosed

    first = True
    attempt = 0
    while True:
        if not first:
            await asyncio.sleep(delay(policy, attempt))
        log["attempts"].append(time.monotonic())
        try:
            ws = await connect(url, origin=origin, additional_headers={"Cookie": f"sessionid={cookie}"},
                               ping_interval=None, open_timeout=30)
            hello = json.loads(await ws.recv())
        except (OSError, ConnectionClosed, asyncio.TimeoutError, Exception):  # noqa: BLE001 - 502 while nginx learns
            attempt += 1
            first = False
            continue
        if not first:
            log["back"].append(time.monotonic())
            await ws.close()
            return
        log["backends"][hello["backend"]] += 1
        first = False
        try:
            async for _ in ws:
                pass
        except ConnectionClosed:
            pass
        log["closes"][ws.close_code if ws.close_code is not None else 1006] += 1
        if hello["backend"] != "daphne-1":  # a socket on the surviving Daphne closed: only at the end
            return
        dropped.set()


async def storm(site, cookies: list[str], policy: str) -> dict:
    url = site.url("http", "ws") + "/ws/chat/"
    log = {"attempts": [], "back": [], "backends": Counter(), "closes": Counter()}
    dropped = asyncio.Event()
    tasks = [asyncio.create_task(client(url, site.extras["origin"], c, policy, log, dropped)) for c in cookies]
    while sum(log["backends"].values()) < len(cookies):
        await asyncio.sleep(0.05)
    held = log["backends"]["daphne-1"]
    log["attempts"].clear()
    stopped = time.monotonic()
    await asyncio.to_thread(site.services["daphne-1"].stop)  # the deploy: SIGTERM, as systemd or Kubernetes send
    while len(log["back"]) < held:
        await asyncio.sleep(0.05)
    windows = Counter(int((t - stopped) / 0.1) for t in log["attempts"])
    for task in tasks:
        task.cancel()
    await asyncio.gather(*tasks, return_exceptions=True)
    return {"held": held, "closes": dict(log["closes"]), "peak": max(windows.values(), default=0),
            "attempts": len(log["attempts"]), "all_back": max(log["back"], default=stopped) - stopped}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clients", type=int, default=200)
    args = parser.parse_args()
    ensure_schema("scalesite.settings")
    from scaleroom.accounts import session_cookie_for

    cookies = [session_cookie_for(f"storm{i}") for i in range(args.clients)]
    print(f"{args.clients} clients through nginx on 2 Daphnes; daphne-1 stops; {os.cpu_count()} CPU cores")
    print(f"{'policy':<12} {'dropped':>8} {'close codes':<16} {'peak handshakes/100 ms':>23} {'attempts':>9} "
          f"{'all back after':>15}")
    for policy in ("immediately", "backoff", "full jitter"):
        site = launcher.launch(SOLUTION, Ports.free("http"), backends=2, extra_env=LIMITS, access_log=False,
                               front="nginx", db_path=os.environ["WORKSHOP_SCALE_DB"])
        with site:
            result = asyncio.run(storm(site, cookies, policy))
        print(f"{policy:<12} {result['held']:>8} {str(result['closes']):<16} {result['peak']:>23} "
              f"{result['attempts']:>9} {result['all_back']:>14.2f}s", flush=True)


if __name__ == "__main__":
    main()
