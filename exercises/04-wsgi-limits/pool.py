"""Lesson 04, part 1: predict and measure what long requests do to a fixed pool of WSGI workers.

A WSGI server has a fixed number of workers (threads or processes). Each request occupies one
worker until the application's iterable is exhausted; a request that arrives while every worker
is busy waits in a queue. The lesson's server (``pool_server.py``) has 4 worker threads and
serves ``GET /slow?seconds=S`` (holds a worker for S seconds) and ``GET /ping`` (answers at once).
"""

from __future__ import annotations

import threading  # noqa: F401 - you will need these three
import time  # noqa: F401
import urllib.request  # noqa: F401


def predicted_wait(pool_size: int, held: int, hold_seconds: float) -> float:
    """How long an ordinary request waits for a worker, in seconds.

    ``held`` long requests, each holding its worker for ``hold_seconds``, all arrived at time 0,
    in a queue served first come, first served by ``pool_size`` workers. The ordinary request
    arrives just after them and needs (almost) no time itself. Refuse impossible input with
    ValueError.
    """
    # TODO: refuse bad input; then count the "waves" of long requests that must end before ours starts.
    # Check yourself: pool 4, 2 held for 5 s -> 0.0; 4 held -> 5.0; 8 held -> 10.0.
    raise NotImplementedError("predicted_wait")


def probe(base_url: str, held: int, hold_seconds: float, settle: float = 0.2) -> float:
    """Measure how long ``GET {base_url}/ping`` takes while ``held`` slow requests are in flight.

    Start ``held`` requests to ``{base_url}/slow?seconds={hold_seconds}`` at once (one thread
    each), wait ``settle`` seconds so that they reach the server first, then time one
    ``GET {base_url}/ping`` with ``time.monotonic()``. Return that time in seconds, but only
    after every slow request has finished, so that one probe never disturbs the next.
    """
    # TODO: start `held` threads that each GET /slow, sleep `settle`, time one GET /ping,
    # join the threads, return the time. Give urlopen a timeout long enough for several waves.
    raise NotImplementedError("probe")
