"""Lesson 07's clients: start a job as the page does, and watch it over a WebSocket as a tab does.

Used by the checks and by ``bench/07_task_progress.py``, against real Daphne::

    token = csrf_token(base, timeout=3)
    answer = post_job(base, 6, token=token, timeout=3)      # .status 202, .job, .seconds
    post_job(base, 6, token=token, timeout=3, engine="channels")  # run by Channels' worker
    seen = asyncio.run(watch(base, answer.job, timeout=6))  # [(perf_counter, state), ...]
    stored_state(redis_url, answer.job, timeout=3)          # {'status': 'queued', ...} as Redis holds it
"""

from __future__ import annotations

import asyncio
import json
import time
import urllib.error
import urllib.request
from dataclasses import dataclass

TERMINAL = ("done", "failed")


@dataclass
class Posted:
    status: int
    body: bytes
    seconds: float  # how long the POST took: a request that ran the whole job shows here
    posted_at: float  # time.perf_counter() when the request went out

    @property
    def job(self) -> str | None:
        try:
            return json.loads(self.body)["job"]
        except (ValueError, KeyError, TypeError):
            return None


def stored_state(redis_url: str, job: str, *, timeout: float) -> dict | None:
    """The job's state as the lesson's store holds it now (``job:<id>`` in Redis), or None."""
    import redis

    client = redis.Redis.from_url(redis_url, decode_responses=True, socket_timeout=timeout,
                                  socket_connect_timeout=timeout)
    try:
        raw = client.get(f"job:{job}")
    finally:
        client.close()
    return json.loads(raw) if raw else None


def csrf_token(base: str, *, timeout: float) -> str:
    """The ``csrftoken`` cookie the page sets (Django's CSRF check wants it back on POST)."""
    with urllib.request.urlopen(base + "/", timeout=timeout) as page:
        cookies = page.headers.get_all("Set-Cookie") or []
    return next((c.split(";")[0].split("=", 1)[1] for c in cookies if c.startswith("csrftoken=")), "")


def post_job(base: str, steps: int, *, timeout: float, token: str | None = None, fail_at: str = "",
             engine: str | None = None) -> Posted:
    """POST /jobs/ with the form the page sends (``engine``: its "run by" field, unsent if None);
    the answer, whatever its status."""
    token = csrf_token(base, timeout=timeout) if token is None else token
    form = f"steps={steps}&fail_at={fail_at}" + (f"&engine={engine}" if engine else "")
    request = urllib.request.Request(base + "/jobs/", data=form.encode(), method="POST",
                                     headers={"Content-Type": "application/x-www-form-urlencoded",
                                              "X-CSRFToken": token, "Cookie": f"csrftoken={token}"})
    started = time.perf_counter()
    try:
        with urllib.request.urlopen(request, timeout=timeout) as answer:
            status, body = answer.status, answer.read()
    except urllib.error.HTTPError as err:
        status, body = err.code, err.read()
    return Posted(status, body, time.perf_counter() - started, started)


async def watch(base: str, job: str, *, timeout: float) -> list[tuple[float, dict]]:
    """Connect to ``/ws/jobs/<job>/`` and collect (time, state) until a final state or ``timeout``."""
    from websockets.asyncio.client import connect

    host = base.split("://", 1)[1]
    seen: list[tuple[float, dict]] = []
    async with connect(f"ws://{host}/ws/jobs/{job}/", origin=base, open_timeout=timeout) as ws:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            try:
                text = await asyncio.wait_for(ws.recv(), deadline - time.monotonic())
            except (asyncio.TimeoutError, TimeoutError):
                break
            seen.append((time.perf_counter(), json.loads(text)))
            if seen[-1][1].get("status") in TERMINAL:
                break
    return seen
