"""Lesson 08 · the chat consumer, hardened: Origin, authentication, limits, across processes.

Every Daphne process behind the load balancer runs this same class. What one process knows
alone (its sockets, ``self`` of each consumer, a token bucket) stays per-connection; what must
hold across processes (the room's members, a user's connection count) lives in Redis.

Already given: the routing (``scalesite/asgi.py``: session auth, ``/ws/chat/``), the settings
(``settings.WS_*``, ``settings.BACKEND_NAME``), ``get_redis()`` (a ``redis.asyncio`` client with
``decode_responses=True``) and the close codes below.
"""

from __future__ import annotations

from channels.generic.websocket import AsyncJsonWebsocketConsumer
from django.conf import settings

from scalesite.shared import get_redis
from security import InvalidMessage, MessageTooLarge, TokenBucket, origin_allowed, validate_message

GROUP = "room.lobby"  # one room: every process's consumers join this group
CLOSE_UNAUTHENTICATED = 4401
CLOSE_TOO_MANY_CONNECTIONS = 4409
CLOSE_TOO_BIG = 4413
CLOSE_RATE_LIMITED = 4429


def connections_key(user_id) -> str:
    """The Redis key counting ``user_id``'s open sockets on all processes together."""
    return f"ws:connections:{user_id}"


async def count_connection(redis, user_id, ttl: int) -> int:
    """Count one more socket for ``user_id`` in Redis; return the new total.

    ``INCR`` is atomic, so two processes counting at the same moment both get the right number.
    Then ``EXPIRE`` the key after ``ttl`` seconds: if a process crashes without running
    ``disconnect()``, its counts would otherwise lock the user out forever.
    """
    key = connections_key(user_id)
    count = await redis.incr(key)
    await redis.expire(key, ttl)
    return count


async def release_connection(redis, user_id) -> int:
    """Count one socket less for ``user_id`` (``DECR``); return the new total."""
    return await redis.decr(connections_key(user_id))


class ChatConsumer(AsyncJsonWebsocketConsumer):
    user = None
    joined = False
    counted = False

    async def connect(self):
        """Refuse, in this order, then join the room.

        1. The ``Origin`` header (``dict(self.scope["headers"]).get(b"origin")``, bytes: decode it;
           missing means None) must pass ``origin_allowed(origin, settings.WS_ALLOWED_ORIGINS)``,
           or ``await self.close()`` BEFORE ``accept()``: Daphne answers HTTP 403 and a foreign
           page's script learns nothing.
        2. ``self.scope["user"]`` not authenticated: ``accept()``, then ``close(code=4401)`` (a
           close code the page can read: "sign in").
        3. ``count_connection(get_redis(), user.pk, settings.WS_CONNECTION_TTL)``; set
           ``self.counted = True``; over ``settings.WS_MAX_CONNECTIONS_PER_USER``: ``accept()``,
           ``close(code=4409)``.
        4. ``self.bucket = TokenBucket(settings.WS_RATE, settings.WS_BURST)``, ``self.strikes = 0``,
           ``group_add(GROUP, self.channel_name)`` (``self.joined = True``), ``accept()``, then
           ``send_json({"type": "hello", "backend": settings.BACKEND_NAME, "user": user.username})``.
        """
        origin = dict(self.scope["headers"]).get(b"origin", b"").decode("latin-1") or None
        if not origin_allowed(origin, settings.WS_ALLOWED_ORIGINS):
            await self.close()  # before accept(): Daphne answers HTTP 403, the page's script learns nothing
            return
        user = self.scope["user"]
        if not user.is_authenticated:
            await self.accept()
            await self.close(code=CLOSE_UNAUTHENTICATED)
            return
        self.user = user
        count = await count_connection(get_redis(), user.pk, settings.WS_CONNECTION_TTL)
        self.counted = True
        if count > settings.WS_MAX_CONNECTIONS_PER_USER:
            await self.accept()
            await self.close(code=CLOSE_TOO_MANY_CONNECTIONS)
            return
        self.bucket = TokenBucket(settings.WS_RATE, settings.WS_BURST)
        self.strikes = 0
        await self.channel_layer.group_add(GROUP, self.channel_name)
        self.joined = True
        await self.accept()
        await self.send_json({"type": "hello", "backend": settings.BACKEND_NAME, "user": user.username})

    async def receive(self, text_data=None, bytes_data=None):
        """Rate limit first, then validate, then broadcast to every process.

        * ``self.bucket.allow()`` False: one more strike; at ``settings.WS_MAX_STRIKES`` strikes
          ``close(code=4429)``, before that ``send_json({"type": "error", "error": "..."})``.
        * ``validate_message(text_data, settings.WS_MAX_MESSAGE)``: ``MessageTooLarge`` ->
          ``close(code=4413)``; other ``InvalidMessage`` -> an error frame (the socket stays open).
        * ``group_send(GROUP, {"type": "chat.message", "message": {"author": ..., "text": ...,
          "backend": settings.BACKEND_NAME}})``: through Redis to the consumers on every process.
        """
        if not self.bucket.allow():
            self.strikes += 1
            if self.strikes >= settings.WS_MAX_STRIKES:
                await self.close(code=CLOSE_RATE_LIMITED)
            else:
                await self.send_json({"type": "error", "error": "rate limited: slow down"})
            return
        try:
            text = validate_message(text_data, settings.WS_MAX_MESSAGE)
        except MessageTooLarge:
            await self.close(code=CLOSE_TOO_BIG)
            return
        except InvalidMessage as problem:
            await self.send_json({"type": "error", "error": str(problem)})
            return
        await self.channel_layer.group_send(GROUP, {"type": "chat.message", "message": {
            "author": self.user.username, "text": text, "backend": settings.BACKEND_NAME}})

    async def chat_message(self, event):
        """Each member's copy of a group message: ``send_json({"type": "message", **event["message"]})``."""
        await self.send_json({"type": "message", **event["message"]})

    async def disconnect(self, code):
        """Runs for every connection, refused ones too: leave the group if joined, release if counted."""
        if self.joined:
            await self.channel_layer.group_discard(GROUP, self.channel_name)
        if self.counted:
            self.counted = False
            await release_connection(get_redis(), self.user.pk)
