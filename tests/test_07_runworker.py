"""Lesson 07's Channels path with a real ``runworker`` process, beyond the checks.

The checks drive the worker through Daphne; these tests talk to it the way the view does, through
the channel layer on a real Redis, and show what "at most once" means with real processes:

- a message sent while no worker runs waits in Redis (up to the layer's ``expiry``) and the
  worker started later runs it;
- a worker takes every waiting message off the channel at once, into its own memory: killed,
  it loses the jobs it had not finished, and Redis has nothing left to give the next worker.
"""

from __future__ import annotations

import asyncio
import json
import os
import signal
import time
import uuid

import pytest
import redis

from checker.probes import channels_worker
from workshop import paths
from workshop.redis_server import RedisServer

SLUG = "07-task-queues"
LESSON = paths.lesson_dir(SLUG)
CHANNEL = "jobs-worker"
LIMIT = 20.0  # seconds for anything that should happen at all (a bound, never a measurement)


@pytest.fixture
def redis_url():
    with RedisServer() as server:
        yield server.url


def _worker(redis_url: str, step_seconds: float):
    env = {"WORKSHOP_REDIS_URL": redis_url, "WORKSHOP_JOB_STEP_SECONDS": str(step_seconds), "PYTHONUNBUFFERED": "1"}
    return channels_worker.service(LESSON, paths.exercise_dir(paths.SOLUTIONS, SLUG), "jobsite.settings",
                                   "jobsite.asgi:application_for", [CHANNEL], env={**os.environ, **env},
                                   ready_timeout=LIMIT)


def _layer(redis_url: str):
    """The layer the lesson's settings build (``socket_timeout: None``: see workshop/channels_support.py)."""
    from channels_redis.core import RedisChannelLayer

    from workshop.channels_support import redis_channel_layer

    return RedisChannelLayer(**redis_channel_layer(redis_url)["default"]["CONFIG"])


def _new_job(client, steps: int) -> str:
    """What jobs.store.create_job does: a 'queued' state under job:<id>."""
    job = uuid.uuid4().hex
    client.set(f"job:{job}", json.dumps({"job": job, "status": "queued", "done": 0, "total": steps}))
    return job


def _state(client, job: str) -> dict:
    return json.loads(client.get(f"job:{job}"))


def _wait(predicate, what: str) -> None:
    end = time.monotonic() + LIMIT
    while not predicate():
        assert time.monotonic() < end, f"waited {LIMIT:g} s for {what}"
        time.sleep(0.02)


async def _join(layer, jobs: list[tuple[str, int, int | None]]) -> str:
    """Join each job's group, as a page does before it asks for the job; return the listening channel.

    Joining comes before anything can run the job: a worker that finishes before the listener is in
    the group sends its progress to nobody (groups keep no history).
    """
    listener = f"test.{uuid.uuid4().hex}"
    for job, _, _ in jobs:
        await layer.group_add(f"job.{job}", listener)
    return listener


async def _send_and_listen(layer, jobs: list[tuple[str, int, int | None]], *, listener: str | None = None) -> dict[str, list]:
    """Join each job's group and send each job.render message (or, given a listener that has joined
    already, send nothing); collect (status, done) until every job ends."""
    if listener is None:
        listener = await _join(layer, jobs)
        for job, steps, fail_at in jobs:
            await layer.send(CHANNEL, {"type": "job.render", "job": job, "steps": steps, "fail_at": fail_at})
    seen: dict[str, list] = {job: [] for job, _, _ in jobs}
    while not all(s and s[-1][0] in ("done", "failed") for s in seen.values()):
        state = (await asyncio.wait_for(layer.receive(listener), LIMIT))["state"]
        seen[state["job"]].append((state["status"], state["done"]))
    return seen


def test_runworker_runs_jobs_in_order_and_survives_a_failing_one(redis_url):
    client = redis.Redis.from_url(redis_url, decode_responses=True)
    jobs = [(_new_job(client, 3), 3, None), (_new_job(client, 3), 3, 1), (_new_job(client, 2), 2, None)]
    with _worker(redis_url, 0.01) as worker:
        seen = asyncio.run(_send_and_listen(_layer(redis_url), jobs))
        log = worker.log_tail(40)
    assert seen[jobs[0][0]] == [("running", 0), ("running", 1), ("running", 2), ("done", 3)]
    assert seen[jobs[1][0]] == [("running", 0), ("running", 1), ("failed", 1)]
    assert seen[jobs[2][0]] == [("running", 0), ("running", 1), ("done", 2)]
    assert _state(client, jobs[2][0])["status"] == "done"  # the state store, for pages that connect late
    assert "failed: page 2 could not be rendered" in log and "Exception inside application" not in log


def test_a_message_waits_for_a_worker_but_a_killed_worker_loses_what_it_took(redis_url):
    client = redis.Redis.from_url(redis_url, decode_responses=True)
    layer, key = _layer(redis_url), "asgi" + CHANNEL  # channels_redis' sorted set of the channel's messages
    early = _new_job(client, 2)
    asyncio.run(layer.send(CHANNEL, {"type": "job.render", "job": early, "steps": 2, "fail_at": None}))
    assert client.zcard(key) == 1  # no worker yet: the message waits in Redis
    listener = asyncio.run(_join(_layer(redis_url), [(early, 2, None)]))  # before the worker can finish it
    with _worker(redis_url, 0.01):
        seen = asyncio.run(_send_and_listen(_layer(redis_url), [(early, 2, None)], listener=listener))
    assert seen[early][-1] == ("done", 2)

    slow = [_new_job(client, 50) for _ in range(3)]  # 50 pages x 0.2 s: killed long before the end
    worker = _worker(redis_url, 0.2).start()
    try:
        for job in slow:
            asyncio.run(_layer(redis_url).send(CHANNEL, {"type": "job.render", "job": job, "steps": 50, "fail_at": None}))
        _wait(lambda: _state(client, slow[0])["status"] == "running", "the first job to start")
        _wait(lambda: client.zcard(key) == 0, "the worker to take the waiting messages")
        worker.proc.send_signal(signal.SIGKILL)
        worker.proc.wait()
    finally:
        worker.stop()
    assert _state(client, slow[0])["status"] == "running"  # stopped halfway, and nobody will finish it
    assert [_state(client, job)["status"] for job in slow[1:]] == ["queued", "queued"]
    assert client.zcard(key) == 0  # nothing left in Redis for the next worker: no acknowledgement, no redelivery
