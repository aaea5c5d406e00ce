"""Benchmark for lesson 06: how many chat messages does the Redis channel layer lose under load?

The channel layer is *at most once*. ``channels_redis`` keeps one Redis queue per server process
for the events waiting for that process's consumers, bounded by the layer's ``capacity`` (100
by default); ``group_send`` skips a process whose queue is full, and says so only in an INFO log
line, "N of M channels over capacity in group G". Inside the process each consumer's buffer
holds at most ``capacity`` events too, and drops the oldest, silently. Events older than
``expiry`` (60 s) are discarded. Nothing tells the sender or the receivers.

This measures it with real parts: one real Redis, the lesson's chat (the reference solution, or
``--exercise-dir``) on **two** Daphne processes sharing that Redis as their channel layer, and
real ``websockets`` clients, each logged in through the chat's own login form (GET /login/ for
the CSRF token, POST a name, keep the ``sessionid`` cookie), half of them on each Daphne, all in
one room. Every client sends a chat message at a fixed interval for a bounded time; everyone
(the sender included) should receive every message. After the sending stops, the clients keep
reading until nothing has arrived for 5 s (at most ``--drain`` seconds, 60 by default, the layer's
``expiry``: a delivery still missing then is lost, not late). It prints, per
load: deliveries expected and arrived, messages that reached no client at all, messages saved in
the database, the delivery delay, and the "over capacity" lines in the two Daphnes' logs. It
measures; it never asserts. Loopback only; every process is stopped at the end.

    python bench/06_delivery_loss.py --quick             # 20 clients x 1 msg/s x 3 s (~15 s)
    python bench/06_delivery_loss.py                     # 20 and 100 clients x 1 msg/s x 10 s, 20 x 20 msg/s
    python bench/06_delivery_loss.py --capacity lesson,1000  # the lesson's settings, then capacity 1000
    python bench/06_delivery_loss.py --load 50:0.5:10    # 50 clients, a message every 0.5 s, for 10 s

The clients run in this one process, on the same cores as Redis and both Daphnes: the losses
are what one laptop does when the fan-out outgrows it, not a server's limit.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import platform
import re
import shutil
import sqlite3
import statistics
import sys
import tempfile
import time
import uuid
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parent.parent
LESSON_DIR = REPO_ROOT / "lessons" / "06-django-channels"
sys.path.insert(0, str(REPO_ROOT))

from checker import launchers  # noqa: E402
from checker.probes import chat_clients, daphne  # noqa: E402
from checker.probes.chat_clients import (  # noqa: E402
    Load, Tally, read_into, send_on_beat, wait_for_deliveries)
from workshop import launch  # noqa: E402
from workshop.redis_server import RedisServer  # noqa: E402

LESSON = launchers.load(LESSON_DIR)  # lessons/06-django-channels/launch.py

ROOM = "lobby"
QUICK = [(20, 1.0, 3.0)]
DEFAULT = [(20, 1.0, 10.0), (100, 1.0, 10.0), (20, 0.05, 10.0)]
QUIET = 5.0  # seconds without an arrival after which the servers are taken to have nothing left to deliver
OVER_CAPACITY = re.compile(r"(\d+) of (\d+) channels over capacity in group")


# -- the servers -------------------------------------------------------------------------------

SETTINGS_OVERLAY = '''"""The lesson's settings with the channel layer's capacity set by bench/06_delivery_loss.py."""
from chatsite.settings import *  # noqa: F401,F403

CHANNEL_LAYERS["default"]["CONFIG"]["capacity"] = {capacity}
'''


def lesson_capacity() -> int:
    """The capacity the lesson's settings give the Redis layer (``CHANNEL_CAPACITY`` in
    chatsite/settings.py, read without importing it: importing settings has side effects)."""
    import ast

    tree = ast.parse((LESSON_DIR / "chatsite" / "settings.py").read_text(encoding="utf-8"))
    for node in tree.body:
        if isinstance(node, ast.Assign) and any(getattr(t, "id", "") == "CHANNEL_CAPACITY" for t in node.targets):
            return ast.literal_eval(node.value)
    raise LookupError("CHANNEL_CAPACITY is not set in chatsite/settings.py")


def start_site(exercise_dir: Path, capacity: int | None) -> launch.Launch:
    """A real Redis and two Daphne processes on one shared database, started; stop it when done.

    With ``capacity`` None this is exactly the lesson's launcher (``lessons/06-django-channels/
    launch.py``). Another capacity goes in through a two-line settings module that imports the
    lesson's settings, served by the same Daphne command: the lesson's own files stay as they are.
    """
    ports = launch.Ports.free(*LESSON.PORT_NAMES)
    if capacity is None:
        return LESSON.launch(exercise_dir, ports, redis=True, backends=2, timeout=60).__enter__()

    def start(site: launch.Launch) -> None:
        folder = Path(tempfile.mkdtemp(prefix="workshop-06-loss-"))
        site.callback(shutil.rmtree, folder, True)
        (folder / "bench_capacity_settings.py").write_text(SETTINGS_OVERLAY.format(capacity=capacity))
        redis_url = site.enter(RedisServer()).url
        site.extras.update(redis_url=redis_url, db_path=str(folder / "chat.sqlite3"), folder=folder)
        env = {"WORKSHOP_CHAT_DB": site.extras["db_path"], "WORKSHOP_REDIS_URL": redis_url,
               "PYTHONPATH": os.pathsep.join(filter(None, [str(folder), os.environ.get("PYTHONPATH")]))}
        daphne.start([site.add(daphne.service(name, ports[name], lesson_dir=LESSON_DIR, exercise_dir=exercise_dir,
                                              settings="bench_capacity_settings", factory=LESSON.FACTORY, env=env,
                                              log_path=folder / f"{name}.log", timeout=60))
                      for name in LESSON.PORT_NAMES])

    return launch.Launch(ports=ports, start=start).__enter__()


def login(port: int, username: str) -> str:
    """Log in through the chat's form, as a browser does (checker/probes/chat_clients.py)."""
    return chat_clients.login(port, username, extra={"next": f"/room/{ROOM}/"})


def over_capacity(site: launch.Launch) -> tuple[int, int]:
    """(log lines, process queues skipped) reported by channels_redis in the Daphnes' logs."""
    lines = skipped = 0
    for server in site.services.values():
        for match in OVER_CAPACITY.finditer(server.log_path.read_text(errors="replace")):
            lines += 1
            skipped += int(match.group(1))
    return lines, skipped


# -- the clients -------------------------------------------------------------------------------

async def open_client(index: int, port: int, cookie: str):
    """A logged-in WebSocket in the room, past its history; three tries (a loaded server may drop
    a handshake: Daphne closes one the application has not accepted within 5 s)."""
    from websockets.asyncio.client import connect
    from websockets.exceptions import InvalidHandshake

    for attempt in range(3):
        try:
            ws = await connect(f"ws://127.0.0.1:{port}/ws/chat/{ROOM}/", origin=f"http://127.0.0.1:{port}",
                               additional_headers={"Cookie": f"sessionid={cookie}"}, compression=None,
                               ping_interval=None, open_timeout=60, max_queue=None)
        except (InvalidHandshake, OSError, TimeoutError):
            if attempt == 2:
                raise
            await asyncio.sleep(1.0)
            continue
        first = json.loads(await ws.recv())
        if first.get("type") != "history":
            raise RuntimeError(f"client {index}: expected the history first, got {first!r:.100}")
        return ws


async def run_load(load: Load, ports: list[int], cookies: list[str], drain: float) -> tuple[Tally, str]:
    """Connect every client (10 handshakes at a time), then send for ``load.seconds``, then drain."""
    run = "dl-" + uuid.uuid4().hex[:8]
    tally = Tally()
    gate = asyncio.Semaphore(10)

    async def opened(index: int):
        async with gate:
            return await open_client(index, ports[index % 2], cookies[index])

    sockets = await asyncio.gather(*(opened(i) for i in range(load.clients)), return_exceptions=True)
    failed = [s for s in sockets if isinstance(s, BaseException)]
    try:
        if failed:
            raise RuntimeError(f"{len(failed)} of {load.clients} clients could not connect, the first with "
                               f"{type(failed[0]).__name__}: {failed[0]}")
        readers = [asyncio.create_task(read_into(i, ws, run, tally)) for i, ws in enumerate(sockets)]
        start = time.perf_counter() + 0.5
        senders = [asyncio.create_task(send_on_beat(i, ws, load, run, tally, start)) for i, ws in enumerate(sockets)]
        await asyncio.sleep(max(0.0, start + load.seconds - time.perf_counter()))
        # Read until every delivery arrived, or nothing arrived for QUIET s, or the drain time is over.
        await wait_for_deliveries(tally, load.clients, start + load.seconds, most=drain, quiet=QUIET,
                                  sending=lambda: not all(t.done() for t in senders),
                                  broken=lambda: any(t.done() for t in readers))
        for task in readers + senders:
            task.cancel()
        results = await asyncio.gather(*readers, *senders, return_exceptions=True)
        errors = [r for r in results if isinstance(r, BaseException) and not isinstance(r, asyncio.CancelledError)]
        if errors:
            raise RuntimeError(f"{len(errors)} clients failed, the first with {type(errors[0]).__name__}: {errors[0]}")
    finally:
        await asyncio.gather(*(ws.close() for ws in sockets if not isinstance(ws, BaseException)),
                             return_exceptions=True)
    return tally, run


def saved_messages(db_path: Path, run: str) -> int:
    with sqlite3.connect(db_path) as db:
        return db.execute("SELECT COUNT(*) FROM chat_message WHERE text LIKE ?", (run + " %",)).fetchone()[0]


def measure(load: Load, capacity: int | None, exercise_dir: Path, drain: float) -> dict:
    site = start_site(exercise_dir, capacity)
    try:
        ports = [site.ports[name] for name in LESSON.PORT_NAMES]
        cookies = [login(ports[i % 2], f"loss{i:03d}") for i in range(load.clients)]
        tally, run = asyncio.run(run_load(load, ports, cookies, drain))
        lines, skipped = over_capacity(site)
        saved = saved_messages(Path(site.extras["db_path"]), run)
    finally:
        site.stop()
    sent = len(tally.sent_at)
    delays = [(at - tally.sent_at[key]) * 1000 for key, seen in tally.arrivals.items() for at in seen.values()]
    reached = [len(tally.arrivals.get(key, {})) for key in tally.sent_at]
    return {
        "load": load, "capacity": capacity or lesson_capacity(), "sent": sent, "saved": saved,
        "expected": sent * load.clients, "arrived": len(delays), "duplicates": tally.duplicates,
        "reached_none": sum(1 for n in reached if n == 0),
        "reached_all": sum(1 for n in reached if n == load.clients),
        "median_ms": statistics.median(delays) if delays else float("nan"),
        "max_ms": max(delays) if delays else float("nan"),
        "log_lines": lines, "skipped": skipped,
    }


# -- the report --------------------------------------------------------------------------------

def parse_load(text: str) -> Load:
    return Load.parse(text, most_clients=500, most_interval=60, most_seconds=60)


def report(rows: list[dict]) -> None:
    header = (f"{'capacity':>8}  {'load':32} {'sent':>5} {'saved':>5} {'deliveries arrived':>22} {'lost':>6} "
              f"{'reached no client':>17} {'median':>8} {'max':>8}  over-capacity log lines")
    print(header)
    print("-" * len(header))
    for r in rows:
        lost = 1 - r["arrived"] / r["expected"] if r["expected"] else 0.0
        none = f"{r['reached_none']} ({r['reached_none'] / r['sent']:.0%})" if r["sent"] else "0"
        print(f"{r['capacity']:>8}  {r['load'].label:32} {r['sent']:>5} {r['saved']:>5} "
              f"{r['arrived']:>10,}/{r['expected']:<11,} {lost:>6.1%} {none:>17} {r['median_ms']:>6.0f}ms "
              f"{r['max_ms']:>6.0f}ms  {r['log_lines']} (skipped {r['skipped']} process queues)"
              + (f"  {r['duplicates']} duplicates!" if r["duplicates"] else ""))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="one small load: 20 clients x 1 msg/s x 3 s")
    parser.add_argument("--load", type=parse_load, action="append",
                        help="CLIENTS:INTERVAL:SECONDS (repeatable), instead of the default loads")
    parser.add_argument("--capacity", default="lesson",
                        help="the channel layer's capacity, or several separated by commas; 'lesson' (the "
                             "default) runs the lesson's settings unchanged")
    parser.add_argument("--drain", type=float, default=60.0,
                        help="at most this many seconds of reading after the sending stops (default 60, the "
                             "layer's expiry: what is still missing then is lost, not late)")
    parser.add_argument("--exercise-dir", type=Path, default=REPO_ROOT / "solutions" / LESSON_DIR.name,
                        help="whose consumers.py/routing.py to serve (default: the reference solution)")
    args = parser.parse_args(argv)
    loads = args.load or [Load(*spec) for spec in (QUICK if args.quick else DEFAULT)]
    capacities = [None if c.strip() == "lesson" else int(c) for c in args.capacity.split(",") if c.strip()]

    rows = []
    for capacity in capacities:
        for load in loads:
            print(f"capacity {capacity or 'as in the lesson'}: {load.label} on two Daphnes + Redis ...", flush=True)
            try:
                rows.append(measure(load, capacity, args.exercise_dir.resolve(), args.drain))
            except Exception as exc:  # noqa: BLE001 - a benchmark reports, it does not crash
                print(f"  failed: {type(exc).__name__}: {exc}", file=sys.stderr)
    print()
    print(f"Machine: {platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}, "
          f"{platform.system()} {platform.release()}; {time.strftime('%Y-%m-%d')}; "
          f"load average {os.getloadavg()[0]:.1f} (other work on the machine slows the servers down)")
    print(f"channels_redis RedisChannelLayer, expiry 60 s (default); every client is in the room and should "
          f"receive every message, its own included; read for at most {args.drain:g} s after the sending stopped.\n")
    report(rows)
    return 0 if rows else 1


if __name__ == "__main__":
    sys.exit(main())
