"""Lesson 04, part 1: predict and measure what long requests do to a fixed pool of WSGI workers.

A WSGI server has a fixed number of workers (threads or processes). Each request occupies one
worker until the application's iterable is exhausted; a request that arrives while every worker
is busy waits in a queue. The lesson's server (``pool_server.py``) has 4 worker threads and
serves ``GET /slow?seconds=S`` (holds a worker for S seconds) and ``GET /ping`` (answers at once).
"""

from __future__ import annotations

import threading
import time
import urllib.request


def predicted_wait(pool_size: int, held: int, hold_seconds: float) -> float:
    """How long an ordinary request waits for a worker, in seconds.

    ``held`` long requests, each holding its worker for ``hold_seconds``, all arrived at time 0,
    in a queue served first come, first served by ``pool_size`` workers. The ordinary request
    arrives just after them and needs (almost) no time itself. Refuse impossible input with
    ValueError.
    """
    if isinstance(pool_size, bool) or not isinstance(pool_size, int) or pool_size < 1:
        raise ValueError(f"pool_size must be a whole number >= 1, not {pool_size!r}")
    if isinstance(held, bool) or not isinstance(held, int) or held < 0:
        raise ValueError(f"held must be a whole number >= 0, not {held!r}")
    if not hold_seconds >= 0:  # also refuses NaN
        raise ValueError(f"hold_seconds must be >= 0, not {hold_seconds!r}")
    # The long requests start in waves of pool_size; ours is number `held` in the queue (0-based),
    # so it starts with wave held // pool_size, after that many waves have ended.
    return (held // pool_size) * hold_seconds


def probe(base_url: str, held: int, hold_seconds: float, settle: float = 0.2) -> float:
    """Measure how long ``GET {base_url}/ping`` takes while ``held`` slow requests are in flight.

    Start ``held`` requests to ``{base_url}/slow?seconds={hold_seconds}`` at once (one thread
    each), wait ``settle`` seconds so that they reach the server first, then time one
    ``GET {base_url}/ping`` with ``time.monotonic()``. Return that time in seconds, but only
    after every slow request has finished, so that one probe never disturbs the next.
    """
    def _slow() -> None:
        with urllib.request.urlopen(f"{base_url}/slow?seconds={hold_seconds}", timeout=hold_seconds * (held + 2) + 10) as r:
            r.read()

    threads = [threading.Thread(target=_slow, daemon=True) for _ in range(held)]
    for thread in threads:
        thread.start()
    time.sleep(settle)
    started = time.monotonic()
    with urllib.request.urlopen(f"{base_url}/ping", timeout=hold_seconds * (held + 2) + 10) as response:
        response.read()
    elapsed = time.monotonic() - started
    for thread in threads:
        thread.join()
    return elapsed
