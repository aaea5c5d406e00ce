"""Lesson 08 · the chat consumer, hardened: Origin, authentication, limits, across processes,
and delivery that loses nothing.

Every Daphne process behind the load balancer runs this same class. What one process knows
alone (its sockets, ``self`` of each consumer) stays per-connection; what must hold across
processes and across reconnects (the room's members, a user's live sockets, a user's rate
limit, the messages themselves) lives in Redis. Anything kept only on ``self`` is reset by a
reconnect, and anything a process keeps is lost with the process.

Already given: the routing (``scalesite/asgi.py``: session auth, ``/ws/chat/``), the settings
(``settings.WS_*``, ``settings.BACKEND_NAME``), ``get_redis()`` (a ``redis.asyncio`` client with
``decode_responses=True``), the store of messages (``scalesite/history.py``), the close codes and
``every()``, a loop for the background jobs.
"""

from __future__ import annotations

import asyncio
import math  # noqa: F401 - for count_connection, allow_message
from urllib.parse import parse_qs  # noqa: F401 - for the ?last_id= of connect()

from autobahn.exception import Disconnected  # noqa: F401 - what Daphne raises when you send on a closed socket
from channels.generic.websocket import AsyncJsonWebsocketConsumer
from django.conf import settings
from redis.exceptions import WatchError  # noqa: F401 - for allow_message

from delivery import Cursor  # noqa: F401 - your delivery.py
from scalesite import history
from scalesite.shared import get_redis
from security import InvalidMessage, MessageTooLarge, TokenBucket, origin_allowed, validate_message  # noqa: F401

GROUP = "room.lobby"  # one room: every process's consumers join this group
ROOM = "lobby"        # its name in the store
CLOSE_UNAUTHENTICATED = 4401
CLOSE_TOO_MANY_CONNECTIONS = 4409
CLOSE_TOO_BIG = 4413
CLOSE_RATE_LIMITED = 4429


def connections_key(user_id) -> str:
    """The Redis sorted set of ``user_id``'s live sockets on all processes together."""
    return f"ws:connections:{user_id}"


def rate_key(user_id) -> str:
    """The Redis hash holding ``user_id``'s token bucket (fields ``tokens`` and ``updated``)."""
    return f"ws:rate:{user_id}"


async def redis_now(redis) -> float:
    """Redis's clock, in seconds: the one clock every process reads alike."""
    seconds, micros = await redis.time()
    return seconds + micros / 1_000_000


async def count_connection(redis, user_id, channel_name: str, ttl: float, now: float | None = None) -> int:
    """Count (or refresh) the socket ``channel_name`` of ``user_id``; return how many are live.

    A counter (``INCR``/``DECR``) cannot survive a crash: the process that dies never decrements,
    and a TTL on the counter either locks users out until it expires or, expiring while sockets
    are open, lets the count go negative. Instead keep *which* sockets are live: the sorted set
    ``connections_key(user_id)``, one member per socket (its ``channel_name``), scored with the
    moment it goes stale, ``now + ttl``. A live consumer calls this again every
    ``settings.WS_HEARTBEAT`` seconds, which pushes its moment forward; a dead process's members
    stop moving and fall behind ``now``.

    In ONE transaction (``redis.pipeline(transaction=True)``: ``MULTI``/``EXEC``, so two processes
    counting at once both get the right number): ``ZREMRANGEBYSCORE key -inf now`` (drop the
    stale), ``ZADD key {channel_name: now + ttl}``, ``EXPIRE key ceil(ttl)`` (the set goes when
    nobody refreshes it), ``ZCARD key``: return that count. ``now`` is for tests; by default read
    Redis's clock, ``await redis_now(redis)``.
    """
    # TODO: one MULTI/EXEC: drop the stale, add or refresh this socket, EXPIRE, ZCARD.
    raise NotImplementedError('count_connection')


async def release_connection(redis, user_id, channel_name: str) -> int:
    """Forget the socket ``channel_name`` (``ZREM``); return how many remain (``ZCARD``).

    Releasing twice, or a socket that had already gone stale, removes nothing: a set cannot go
    below empty, where a counter goes to -1.
    """
    # TODO: ZREM, then ZCARD.
    raise NotImplementedError('release_connection')


async def allow_message(redis, user_id, rate: float, burst: int, now: float | None = None) -> bool:
    """One token from ``user_id``'s bucket, kept in Redis: True if there was one.

    A bucket on ``self`` is new and full on every connection, so "open, send 10, close" in a loop
    is never limited. Keep the bucket per user, in the hash ``rate_key(user_id)``, and reuse your
    ``TokenBucket`` for the arithmetic: ``TokenBucket(rate, burst, clock=lambda: now)``, its
    ``tokens`` and ``updated`` set from the hash when it exists, ``allow()``, then write both back
    with ``EXPIRE key ceil(burst / rate) + 1`` (a bucket untouched that long is full anyway).

    Two processes may do this for one user at the same moment: read-modify-write needs optimistic
    locking. ``async with redis.pipeline(transaction=True) as pipe``, then in a loop: ``await
    pipe.watch(key)``, read (``await pipe.hgetall(key)``; ``now`` from ``await redis_now(pipe)``
    when not given), compute, ``pipe.multi()``, queue ``hset`` and ``expire``, ``await
    pipe.execute()``; on ``WatchError`` (someone wrote the key meanwhile) go round again.
    """
    # TODO: WATCH the hash, rebuild a TokenBucket from it, allow(), MULTI, write back, execute; retry on WatchError.
    raise NotImplementedError('allow_message')


class ChatConsumer(AsyncJsonWebsocketConsumer):
    user = None
    joined = False   # True once in GROUP: disconnect() leaves it
    counted = False  # True once count_connection ran: disconnect() releases it
    jobs = ()        # the background tasks (heartbeat, tail check): disconnect() cancels them

    async def connect(self):
        """Refuse, in this order, then join the room and resume.

        1. The ``Origin`` header (``dict(self.scope["headers"]).get(b"origin")``, bytes: decode it;
           missing means None) must pass ``origin_allowed(origin, settings.WS_ALLOWED_ORIGINS)``,
           or ``await self.close()`` BEFORE ``accept()``: Daphne answers HTTP 403 and a foreign
           page's script learns nothing.
        2. ``self.scope["user"]`` not authenticated: ``accept()``, then ``close(code=4401)`` (a
           close code the page can read: "sign in").
        3. ``count_connection(get_redis(), user.pk, self.channel_name, settings.WS_CONNECTION_TTL)``;
           set ``self.counted = True``; over ``settings.WS_MAX_CONNECTIONS_PER_USER``: ``accept()``,
           ``close(code=4409)``.
        4. ``self.strikes = 0``; the cursor: ``Cursor(self.fetch_after, start)`` with ``start =
           await history.start_point(get_redis(), ROOM, last_id)``, ``last_id`` from the query
           string (``?last_id=N``: the number of the last message the client saw, like SSE's
           ``Last-Event-ID``); ``self.delivering = asyncio.Lock()``.
        5. ``group_add(GROUP, self.channel_name)`` (``self.joined = True``), ``accept()``, then
           ``send_json({"type": "hello", "backend": settings.BACKEND_NAME, "user": user.username,
           "last_id": start})``.
        6. ``self.jobs = [asyncio.create_task(self.every(settings.WS_HEARTBEAT, self.heartbeat)),
           asyncio.create_task(self.every(settings.WS_TAIL_CHECK, self.tail_check))]``, then
           ``await self.tail_check()`` once: a resuming client gets what it missed.
        """
        # TODO
        raise NotImplementedError('ChatConsumer.connect')

    async def receive(self, text_data=None, bytes_data=None):
        """Rate limit first, then validate, then store, then announce to every process.

        * ``await allow_message(get_redis(), self.user.pk, settings.WS_RATE, settings.WS_BURST)``
          False: one more strike; at ``settings.WS_MAX_STRIKES`` strikes ``close(code=4429)``,
          before that ``send_frame({"type": "error", "error": "..."})``.
        * ``validate_message(text_data if text_data is not None else bytes_data,
          settings.WS_MAX_MESSAGE)`` (binary frames are measured too): ``MessageTooLarge`` ->
          ``close(code=4413)``; other ``InvalidMessage`` -> an error frame (the socket stays open).
        * ``message = await history.append(get_redis(), ROOM, {"author": ..., "text": ...,
          "backend": settings.BACKEND_NAME})`` numbers and stores it; then ``group_send(GROUP,
          {"type": "chat.message", "message": message})``: a notification, which may be lost.
        """
        # TODO
        raise NotImplementedError('ChatConsumer.receive')

    async def chat_message(self, event):
        """A notification: ``async with self.delivering:`` forward ``await self.cursor.receive(
        event["message"])``, each with ``send_frame({"type": "message", **message})``.

        The lock keeps this and ``tail_check`` from interleaving their sends (the client would
        get 7 before 6).
        """
        # TODO
        raise NotImplementedError('ChatConsumer.chat_message')

    async def tail_check(self):
        """``async with self.delivering:`` forward ``await self.cursor.catch_up()``, as above."""
        # TODO
        raise NotImplementedError('ChatConsumer.tail_check')

    async def fetch_after(self, seq: int) -> list[dict]:
        """Given: the cursor's view of the store, ``await history.after(get_redis(), ROOM, seq)``.

        The store keeps the last ``history.KEEP`` messages. A connection further behind than that
        would wait for ever for messages that were trimmed: skip them (move ``cursor.last``).
        """
        found = await history.after(get_redis(), ROOM, seq)
        if found and found[0]["seq"] > seq + 1:  # numbers are stored atomically: a hole here was trimmed
            self.cursor.last = max(self.cursor.last, found[0]["seq"] - 1)
        return found

    async def heartbeat(self):
        """Refresh this socket in the user's set: ``count_connection`` again, same arguments."""
        await count_connection(get_redis(), self.user.pk, self.channel_name, settings.WS_CONNECTION_TTL)

    async def send_frame(self, content: dict) -> None:
        """``send_json(content)``, tolerating a socket that is already closing.

        After ``close()`` (4413, 4429) the client may never answer the Close, and a group message
        can still arrive meanwhile: sending on a closed socket raises ``Disconnected`` (Daphne's,
        from Autobahn). Uncaught, it kills this consumer, and ``disconnect()`` never runs: the
        socket stays counted and in the group for good. Catch it and drop the frame.
        """
        # TODO: catch Disconnected.
        raise NotImplementedError('ChatConsumer.send_frame')

    async def disconnect(self, code):
        """Runs for every connection, refused ones too: cancel ``self.jobs``, leave the group if
        joined, ``release_connection(get_redis(), self.user.pk, self.channel_name)`` if counted."""
        # TODO
        raise NotImplementedError('ChatConsumer.disconnect')

    async def every(self, seconds: float, job) -> None:
        """Given: ``await job()`` every ``seconds`` until cancelled; a failing run is printed, not fatal."""
        while True:
            await asyncio.sleep(seconds)
            try:
                await job()
            except Exception as problem:  # noqa: BLE001 - the next run may work (Redis restarting)
                print(f"Lesson 08 ({settings.BACKEND_NAME}): {job.__name__} failed: {problem!r}", flush=True)
