"""Benchmark for lesson 06: N WebSocket clients on one Daphne process, one chat room, broadcasts.

For each channel layer (in-memory, then Redis) this starts one real Daphne process serving the
chat site with the reference solution (or ``--exercise-dir``), connects N ``websockets``
clients to the same room, and then sends ``--messages`` chat messages one after the other,
each only after every client received the previous one. It reports:

* how long connecting all N clients took;
* the Daphne process's resident memory (RSS) before and after, and the difference per connection;
* the delivery latency: from the moment the sender's frame is written to the moment each client
  has the broadcast, over every (message, client) pair: median, p99 and max.

It measures; it never asserts. The clients all run in this one process (one event loop), on the
same cores as Daphne, so at high N the latency includes the clients' own queueing: read the
numbers as "what one laptop does", not as a server's limit.

    python bench/06_channels_broadcast.py                    # 100 clients, both layers (~5 s)
    python bench/06_channels_broadcast.py --clients 1000     # the lesson's numbers
    python bench/06_channels_broadcast.py --layers memory --clients 2000 --messages 10
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import platform
import resource
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parent.parent
LESSON_DIR = REPO_ROOT / "lessons" / "06-django-channels"
sys.path[:0] = [str(LESSON_DIR), str(REPO_ROOT)]  # the chat app (its models), the repository

from checker import launchers  # noqa: E402
from workshop import paths, procs  # noqa: E402
from workshop.launch import Ports  # noqa: E402

ROOM = "lobby"


def percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    if not ordered:
        return float("nan")
    index = min(len(ordered) - 1, max(0, round(fraction * (len(ordered) - 1))))
    return ordered[index]


class Client:
    """One connected WebSocket that records when each broadcast arrived."""

    def __init__(self, connection):
        self.connection = connection
        self.arrivals: dict[int, float] = {}
        self.task: asyncio.Task | None = None

    async def read(self, progress: dict[int, int], events: dict[int, asyncio.Event], expected: int) -> None:
        async for text in self.connection:
            now = time.perf_counter()
            data = json.loads(text)
            if data.get("type") != "message" or not data.get("text", "").startswith("bench "):
                continue
            number = int(data["text"].split()[1])
            self.arrivals[number] = now
            progress[number] = progress.get(number, 0) + 1
            if progress[number] >= expected and number in events:
                events[number].set()


async def connect_one(port: int, cookie: str):
    from websockets.asyncio.client import connect

    connection = await connect(f"ws://127.0.0.1:{port}/ws/chat/{ROOM}/", origin=f"http://127.0.0.1:{port}",
                               additional_headers={"Cookie": f"sessionid={cookie}"}, compression=None,
                               ping_interval=None, open_timeout=60, max_queue=None)
    history = json.loads(await connection.recv())
    if history.get("type") != "history":
        raise RuntimeError(f"expected the history first, got {history!r:.100}")
    return connection


async def run_layer(name: str, port: int, pid: int, clients: int, messages: int, concurrency: int,
                    cookies: tuple[str, str], wait: float) -> dict:
    reader_cookie, sender_cookie = cookies
    # Warm-up: the first connection imports and initialises what every later one reuses.
    warm = await connect_one(port, reader_cookie)
    await warm.close()
    await asyncio.sleep(0.3)
    rss_before = procs.rss_bytes(pid)

    gate = asyncio.Semaphore(concurrency)

    async def limited():
        async with gate:
            return await connect_one(port, reader_cookie)

    started = time.perf_counter()
    connections = await asyncio.gather(*(limited() for _ in range(clients)))
    connect_seconds = time.perf_counter() - started
    sender = await connect_one(port, sender_cookie)
    await asyncio.sleep(0.5)  # let the server settle before reading its memory
    rss_after = procs.rss_bytes(pid)

    readers = [Client(c) for c in connections]
    progress: dict[int, int] = {}
    events: dict[int, asyncio.Event] = {}
    for reader in readers:
        reader.task = asyncio.create_task(reader.read(progress, events, clients))
    sent_at: dict[int, float] = {}
    timeouts = 0
    started = time.perf_counter()
    for number in range(messages):
        events[number] = asyncio.Event()
        sent_at[number] = time.perf_counter()
        await sender.send(json.dumps({"type": "message", "text": f"bench {number}"}))
        try:
            await asyncio.wait_for(events[number].wait(), timeout=wait)
        except asyncio.TimeoutError:
            timeouts += 1
    broadcast_seconds = time.perf_counter() - started
    latencies = [(reader.arrivals[n] - sent_at[n]) * 1000 for reader in readers for n in sent_at
                 if n in reader.arrivals]
    delivered = len(latencies)
    for reader in readers:
        reader.task.cancel()
    await asyncio.gather(*(c.close() for c in [*connections, sender]), return_exceptions=True)
    return {
        "layer": name, "clients": clients, "messages": messages,
        "connect_s": connect_seconds,
        "rss_before_mb": rss_before / 2**20, "rss_after_mb": rss_after / 2**20,
        "kib_per_conn": (rss_after - rss_before) / 1024 / (clients + 1),
        "median_ms": statistics.median(latencies) if latencies else float("nan"),
        "p99_ms": percentile(latencies, 0.99), "max_ms": max(latencies) if latencies else float("nan"),
        "delivered": delivered, "expected": clients * messages, "timeouts": timeouts,
        "deliveries_per_s": delivered / broadcast_seconds if broadcast_seconds else float("nan"),
    }


def session_cookies(db_path: str) -> tuple[str, str]:
    """Session cookies for a reader and a sender, written to the database Daphne will use."""
    os.environ["WORKSHOP_CHAT_DB"] = db_path
    from workshop.channels_support import ensure_schema

    ensure_schema("chatsite.settings")
    from chat.accounts import session_cookie_for

    return session_cookie_for("reader"), session_cookie_for("sender")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clients", type=int, default=100, help="WebSocket clients in the room (default 100)")
    parser.add_argument("--messages", type=int, default=20, help="broadcasts to time (default 20)")
    parser.add_argument("--layers", default="memory,redis", help="comma-separated: memory, redis (default both)")
    parser.add_argument("--concurrency", type=int, default=100, help="handshakes in flight at once (default 100)")
    parser.add_argument("--wait", type=float, default=10.0,
                        help="seconds to wait for one broadcast to reach every client before moving on (default 10)")
    parser.add_argument("--exercise-dir", type=Path, default=paths.exercise_dir(paths.SOLUTIONS, LESSON_DIR.name),
                        help="whose consumers.py/routing.py to serve (default: the reference solution)")
    args = parser.parse_args(argv)

    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    wanted = min(hard, max(soft, 2 * args.clients + 256)) if hard != resource.RLIM_INFINITY else 2 * args.clients + 256
    if wanted > soft:
        resource.setrlimit(resource.RLIMIT_NOFILE, (wanted, hard))
    if wanted < args.clients + 64:
        print(f"warning: the open-files limit ({wanted}) is too low for {args.clients} clients; raise `ulimit -n`.",
              file=sys.stderr)

    folder = tempfile.mkdtemp(prefix="workshop-06-bench-")
    db_path = str(Path(folder) / "chat.sqlite3")
    cookies = session_cookies(db_path)
    results = []
    try:
        for layer in [name.strip() for name in args.layers.split(",") if name.strip()]:
            if layer not in ("memory", "redis"):
                print(f"unknown layer {layer!r} (memory or redis)", file=sys.stderr)
                continue
            site = launchers.load(LESSON_DIR).launch(args.exercise_dir.resolve(), Ports.free("http"),
                                                     redis=layer == "redis", db_path=db_path, access_log=False,
                                                     timeout=30)
            try:
                with site:
                    server = site.services["http"]
                    print(f"{layer}: Daphne pid {server.proc.pid} on port {server.port}; connecting {args.clients} "
                          "clients...", flush=True)
                    try:
                        result = asyncio.run(run_layer(layer, server.port, server.proc.pid, args.clients,
                                                       args.messages, args.concurrency, cookies, args.wait))
                    except Exception:
                        errors = [line for line in server.log_tail(200).splitlines() if "Error" in line]
                        if errors:
                            print(f"{layer}: the server's log says: {errors[-1]}", file=sys.stderr)
                        raise
                    results.append(result)
            except Exception as exc:  # noqa: BLE001 - a benchmark reports, it does not crash
                print(f"{layer}: failed: {type(exc).__name__}: {exc}", file=sys.stderr)
    finally:
        shutil.rmtree(folder, ignore_errors=True)

    print()
    print(f"Machine: {platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}, "
          f"{platform.system()} {platform.release()}")
    header = (f"{'layer':7} {'clients':>7} {'connect s':>9} {'RSS before':>10} {'RSS after':>10} {'KiB/conn':>8} "
              f"{'median ms':>9} {'p99 ms':>8} {'max ms':>8} {'delivered':>13}")
    print(header)
    print("-" * len(header))
    for r in results:
        print(f"{r['layer']:7} {r['clients']:>7} {r['connect_s']:>9.2f} {r['rss_before_mb']:>8.1f}MB "
              f"{r['rss_after_mb']:>8.1f}MB {r['kib_per_conn']:>8.1f} {r['median_ms']:>9.1f} {r['p99_ms']:>8.1f} "
              f"{r['max_ms']:>8.1f} {r['delivered']:>6}/{r['expected']:<6}"
              + (f"  ({r['timeouts']} broadcasts did not reach everyone within --wait)" if r["timeouts"] else ""))
    print(f"\n{args.messages} broadcasts per layer, each sent after the previous one reached every client. "
          "Latency: sender's send() to each client's receipt.")
    return 0


if __name__ == "__main__":
    sys.exit(main())
