"""Where a job's latest state lives: one Redis key per job, so any process can read it.

A state is a small dict, the same one that travels to the browser::

    {"job": "3f2a...", "status": "queued" | "running" | "done" | "failed", "done": 2, "total": 8}
    # and "error": "..." when status is "failed"

Why store it at all when progress is pushed as events? Because a page that connects late (a
reload, a second tab, a phone that was asleep) missed the earlier events: its consumer first
sends the stored state, then forwards the events that follow. Saving overwrites (``SET``), so
running a task twice (at-least-once delivery) leaves the same kind of value behind: idempotent.
"""

from __future__ import annotations

import json
import threading
import uuid

import redis
from django.conf import settings
from django.utils.asyncio import async_unsafe

STATE_TTL = 3600  # seconds a finished job's state is kept
_clients: dict[str, redis.Redis] = {}
_lock = threading.Lock()


def client() -> redis.Redis:
    """A (sync) redis-py client for ``settings.REDIS_URL``, shared by the threads of this process."""
    url = settings.REDIS_URL
    with _lock:
        if url not in _clients:
            _clients[url] = redis.Redis.from_url(url, decode_responses=True)
        return _clients[url]


def state_key(job_id: str) -> str:
    return f"job:{job_id}"


def group_for(job_id: str) -> str:
    """The Channels group of one job's watchers: ``job.<id>`` (ASCII, well under 100 characters)."""
    return f"job.{job_id}"


def save_state(job_id: str, state: dict) -> None:
    client().set(state_key(job_id), json.dumps(state), ex=STATE_TTL)


@async_unsafe  # as Django's ORM does: a blocking call on the event loop stalls every socket of the process
def load_state(job_id: str) -> dict | None:
    """The job's latest state, or None for a job nobody created. Sync: from async code, call it
    through ``sync_to_async(load_state)(job_id)`` (called directly, it raises SynchronousOnlyOperation)."""
    raw = client().get(state_key(job_id))
    return json.loads(raw) if raw else None


def create_job(total: int) -> str:
    """A new job id (32 hex digits, unguessable), saved in state ``queued``."""
    job_id = uuid.uuid4().hex
    save_state(job_id, {"job": job_id, "status": "queued", "done": 0, "total": total})
    return job_id
