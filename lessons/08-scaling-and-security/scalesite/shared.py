"""The Redis client the learner's consumer uses for counts that must hold across processes.

``get_redis()`` returns one ``redis.asyncio.Redis`` per event loop (Daphne runs one loop per
process), with ``decode_responses=True`` so answers are ``str`` and ``int``.
"""

from __future__ import annotations

import asyncio

_clients: dict[int, object] = {}


def get_redis():
    from django.conf import settings
    import redis.asyncio as aioredis

    if not settings.REDIS_URL:
        raise RuntimeError("WORKSHOP_REDIS_URL is not set: lesson 08 needs a Redis server (the demo starts one).")
    loop = asyncio.get_running_loop()
    client = _clients.get(id(loop))
    if client is None:
        client = aioredis.Redis.from_url(settings.REDIS_URL, decode_responses=True)
        _clients[id(loop)] = client
    return client
