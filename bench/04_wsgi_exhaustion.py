"""What long requests do to a fixed pool of WSGI workers: ``python bench/04_wsgi_exhaustion.py``.

1. Lesson 04's fixed-pool WSGI server (4 worker threads) on a loopback port: hold K requests to
   ``/slow`` and time an ordinary ``GET /ping`` behind them, for K = 0, 2, 4, 8 (and more), with
   the queueing prediction and the CPU time the whole process used meanwhile.
2. If uWSGI is installed: how many idle WebSockets one uWSGI process holds with 1 and 4 threads
   and in async mode (``--async N --ugreen``), running the reference solution's echo.

Both servers are started by the lesson's launcher (``lessons/04-wsgi-limits/launch.py``).
Prints tables. Nothing is asserted. Lesson 04's README quotes these numbers.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import threading
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
LESSON = ROOT / "lessons" / "04-wsgi-limits"
sys.path[:0] = [str(LESSON), str(ROOT)]

import uwsgi_runner  # noqa: E402
from checker import launchers  # noqa: E402
from workshop import paths  # noqa: E402
from workshop.launch import Ports  # noqa: E402

SOLUTION = paths.exercise_dir(paths.SOLUTIONS, LESSON.name)


def _get(url: str) -> None:
    with urllib.request.urlopen(url, timeout=120) as response:
        response.read()


def pool_row(url: str, workers: int, held: int, hold: float, settle: float = 0.2) -> dict:
    threads = [threading.Thread(target=_get, args=(f"{url}/slow?seconds={hold}",), daemon=True) for _ in range(held)]
    cpu, wall = time.process_time(), time.monotonic()
    for thread in threads:
        thread.start()
    time.sleep(settle)
    started = time.monotonic()
    _get(f"{url}/ping")
    ping = time.monotonic() - started
    for thread in threads:
        thread.join()
    wall = time.monotonic() - wall
    return {"held requests": held, "predicted wait s": round((held // workers) * hold - (settle if held >= workers else 0), 2),
            "ping latency ms": round(1000 * ping, 1), "experiment s": round(wall, 2),
            "CPU s used": round(time.process_time() - cpu, 3)}


async def _hold(base: str, attempts: int, open_timeout: float) -> tuple[int, float]:
    from websockets.asyncio.client import connect

    sockets = []
    started = time.monotonic()
    try:
        for _ in range(attempts):
            try:
                sockets.append(await connect(f"{base}/echo", open_timeout=open_timeout))
            except (TimeoutError, asyncio.TimeoutError, OSError):
                break
        # every socket that opened must still be served: one echo each
        for i, ws in enumerate(sockets):
            await ws.send(f"are you there {i}")
            await asyncio.wait_for(ws.recv(), 5)
        return len(sockets), time.monotonic() - started
    finally:
        await asyncio.gather(*(ws.close() for ws in sockets), return_exceptions=True)


def uwsgi_row(label: str, attempts: int, **mode) -> dict:
    with launchers.load(LESSON).launch(SOLUTION, Ports(uwsgi=0), **mode) as site:
        held, seconds = asyncio.run(_hold(site.url("uwsgi", "ws"), attempts, open_timeout=1.0))
    return {"uWSGI mode (1 process)": label, "sockets tried": attempts, "open and echoing": held,
            "next one": "handshake timed out (1 s)" if held < attempts else "-",
            "seconds": round(seconds, 2)}


def table(rows: list[dict]) -> str:
    keys = list(rows[0])
    widths = [max(len(str(k)), *(len(str(r[k])) for r in rows)) for k in keys]
    line = lambda values: "  ".join(str(v).rjust(w) for v, w in zip(values, widths))  # noqa: E731
    return "\n".join([line(keys), line("-" * w for w in widths), *(line(r[k] for k in keys) for r in rows)])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--workers", type=int, default=4)
    parser.add_argument("--hold", type=float, default=2.0, help="seconds each slow request holds its worker")
    parser.add_argument("--async-sockets", type=int, default=500, help="sockets to try in uWSGI's async mode")
    args = parser.parse_args()

    with launchers.load(LESSON).launch(SOLUTION, Ports(http=0), workers=args.workers) as site:
        url = site.url("http")
        _get(f"{url}/ping")  # warm up
        rows = [pool_row(url, args.workers, k, args.hold) for k in (0, 2, 4, 8, 12)]
    print(f"A WSGI server with {args.workers} worker threads; slow requests hold a worker for {args.hold:g} s;")
    print("the ping is sent 0.2 s after them (predicted wait: the queueing arithmetic of pool.predicted_wait).\n")
    print(table(rows))

    print()
    if uwsgi_runner.find_uwsgi() is None:
        print("uWSGI is not installed: no WebSocket table.\n" + uwsgi_runner.INSTALL_HINT)
        return
    rows = [uwsgi_row("--threads 1", 4, threads=1),
            uwsgi_row("--threads 4", 8, threads=4),
            uwsgi_row(f"--async {args.async_sockets * 2} --ugreen", args.async_sockets,
                      async_cores=args.async_sockets * 2)]
    print("Idle WebSockets one uWSGI process holds (the reference echo; a handshake that does not finish")
    print("within 1 s means no worker core was free):\n")
    print(table(rows))


if __name__ == "__main__":
    main()
