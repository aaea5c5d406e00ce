"""Measure what polling costs: requests per delivered message, delivery latency, threads held.

Used by the lesson's notebook and by ``bench/01_polling_cost.py``. The board runs in this
process on a free loopback port, started by the lesson's launcher (``launch.py``: Django's
threaded WSGI server, as in the demo and the checks); a publisher thread posts messages at a
steady rate while client threads poll exactly as a browser would.
"""

from __future__ import annotations

import json
import statistics
import threading
import time
import urllib.request
from pathlib import Path

from workshop import paths
from workshop.launch import Ports

SLUG = "01-http-polling"
_site = None


def board_server(exercise_dir: Path | None = None):
    """Start the board once per process (Django can be set up only once); its ``Launch`` (``.url``).

    ``exercise_dir`` is whose ``polling.py`` serves the board: the reference solution by default.
    """
    global _site
    if _site is None:
        from launch import launch  # the lesson's launcher: the lesson folder is on sys.path

        folder = exercise_dir if exercise_dir is not None else paths.exercise_dir(paths.SOLUTIONS, SLUG)
        _site = launch(folder, Ports.free("http")).__enter__()
    return _site


def _get(url: str, timeout: float) -> dict:
    with urllib.request.urlopen(url, timeout=timeout) as response:
        return json.loads(response.read())


def run(mode: str, *, interval: float = 1.0, duration: float = 5.0, message_every: float = 0.5,
        clients: int = 1, long_timeout: float = 25.0) -> dict:
    """One experiment. ``mode`` is ``"short"`` (poll every ``interval`` s) or ``"long"``."""
    from board.store import board

    url = board_server().url("http")
    board.clear()
    posted: dict[int, float] = {}
    latencies: list[float] = []
    counts = {"requests": 0, "empty": 0}
    lock = threading.Lock()
    stop = threading.Event()

    def client() -> None:
        cursor = 0
        while not stop.is_set():
            if mode == "short":
                answer = _get(f"{url}/api/messages?after={cursor}", 5)
            else:
                answer = _get(f"{url}/api/messages/wait?after={cursor}&timeout={long_timeout}", long_timeout + 5)
            now = time.monotonic()
            with lock:
                counts["requests"] += 1
                counts["empty"] += not answer["messages"]
                for message in answer["messages"]:
                    if message["id"] in posted:
                        latencies.append(now - posted[message["id"]])
            cursor = answer["cursor"]
            if mode == "short":
                stop.wait(interval)

    threads = [threading.Thread(target=client, daemon=True) for _ in range(clients)]
    for thread in threads:
        thread.start()
    time.sleep(0.2)  # let every client make its first request
    deadline = time.monotonic() + duration
    while time.monotonic() < deadline:
        message = board.post("publisher", "tick")
        with lock:
            posted[message.id] = time.monotonic()
        time.sleep(message_every)
    time.sleep(max(interval, 0.3) if mode == "short" else 0.3)  # let the last message arrive
    stop.set()
    board.post("publisher", "stop")  # wakes waiting long polls so the clients can end
    for thread in threads:
        thread.join(long_timeout + 5)
    delivered = len(latencies)
    ms = sorted(1000 * x for x in latencies)
    return {
        "mode": "long poll" if mode == "long" else f"short poll every {interval:g} s",
        "clients": clients,
        "messages": len(posted),
        "delivered": delivered,
        "requests": counts["requests"],
        "empty answers": counts["empty"],
        "requests per message": round(counts["requests"] / max(delivered, 1), 2),
        "median latency ms": round(statistics.median(ms), 1) if ms else None,
        "p95 latency ms": round(ms[int(0.95 * (len(ms) - 1))], 1) if ms else None,
    }


def threads_held(waiting_clients: int, hold: float = 1.0) -> dict:
    """Open ``waiting_clients`` long polls at once and count the server's threads meanwhile."""
    from board.stats import stats
    from board.store import board

    url = board_server().url("http")
    board.clear()
    stats.reset()
    before = threading.active_count()
    threads = [threading.Thread(target=_get, args=(f"{url}/api/messages/wait?after=0&timeout={hold + 5}",
                                                   hold + 10), daemon=True) for _ in range(waiting_clients)]
    for thread in threads:
        thread.start()
    time.sleep(hold)
    during = threading.active_count()
    waiting = stats.as_dict()["waiting_now"]
    board.post("publisher", "wake up")
    for thread in threads:
        thread.join(10)
    # Each open request costs one server thread (and each of our clients one thread too).
    return {"waiting requests": waiting, "threads before": before, "threads while waiting": during,
            "server threads per waiting request": round((during - before - waiting_clients) / max(waiting, 1), 2)}


def table(rows: list[dict]) -> str:
    """Rows of equal keys as a plain-text table."""
    keys = list(rows[0])
    widths = [max(len(str(k)), *(len(str(r[k])) for r in rows)) for k in keys]
    line = lambda values: "  ".join(str(v).rjust(w) for v, w in zip(values, widths))  # noqa: E731
    return "\n".join([line(keys), line("-" * w for w in widths), *(line(r[k] for k in keys) for r in rows)])
