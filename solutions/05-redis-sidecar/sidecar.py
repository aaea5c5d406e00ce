"""Lesson 05, the sidecar: an asyncio WebSocket server that pushes what Django publishes.

``newsroom/sidecar_server.py`` (scaffolding) serves ``handler`` with
``websockets.asyncio.server.serve``: one call per connection. Each connection gets its own Redis
subscription to its room's channel, so a slow client only ever slows its own forwarding loop.
"""

from __future__ import annotations

import asyncio
import contextlib
import json

import redis.asyncio as aioredis
from django.core import signing
from websockets.exceptions import ConnectionClosed

from newsroom.protocol import (CLOSE_FORBIDDEN, CLOSE_REDIS_GONE, CLOSE_UNAUTHORIZED, TOKEN_MAX_AGE, TOKEN_SALT,
                               InvalidToken, allowed_origins, channel_for, parse_ws_path, redis_url)


def verify_token(token: str, room: str, max_age: float = TOKEN_MAX_AGE) -> str:
    """The user name inside a valid token for ``room``; InvalidToken otherwise."""
    try:
        payload = signing.loads(token, salt=TOKEN_SALT, max_age=max_age)
    except signing.SignatureExpired:
        raise InvalidToken("the token has expired: ask Django for a new one") from None
    except signing.BadSignature:
        raise InvalidToken("the token's signature is not valid") from None
    if not isinstance(payload, dict) or not isinstance(payload.get("user"), str):
        raise InvalidToken("the token does not name a user")
    if payload.get("room") != room:
        raise InvalidToken(f"the token is for another room, not {room!r}")
    return payload["user"]


def check_origin(origin: str | None, allowed: frozenset[str]) -> bool:
    """True when a page from ``origin`` may open a socket here."""
    return origin is not None and origin.rstrip("/").lower() in allowed


async def forward_messages(pubsub, websocket) -> None:
    """Send each message published on the subscribed channel to the client, as a text frame."""
    async for message in pubsub.listen():
        if message["type"] == "message":
            await websocket.send(message["data"])  # a str (decode_responses=True): a text frame


async def until_client_leaves(websocket) -> None:
    """Return when the client has gone; read and drop whatever it sends (writes go through Django)."""
    with contextlib.suppress(ConnectionClosed):
        async for _ in websocket:
            pass


async def handler(websocket) -> None:
    """One connection: check it, subscribe, say ready, forward until either side goes away."""
    request = websocket.request
    if not check_origin(request.headers.get("Origin"), allowed_origins()):
        await websocket.close(CLOSE_FORBIDDEN, "origin not allowed")
        return
    try:
        room, token = parse_ws_path(request.path)
        user = verify_token(token, room)
    except InvalidToken as problem:
        await websocket.close(CLOSE_UNAUTHORIZED, str(problem)[:120])
        return

    client = aioredis.Redis.from_url(redis_url(), decode_responses=True)
    pubsub = client.pubsub()
    try:
        await pubsub.subscribe(channel_for(room))
        # subscribe() only sends SUBSCRIBE; Redis's confirmation says the subscription is live, so
        # nothing published after our "ready" can be missed.
        await pubsub.get_message(timeout=2)
        await websocket.send(json.dumps({"type": "ready", "room": room, "user": user}))
        forward = asyncio.create_task(forward_messages(pubsub, websocket))
        leave = asyncio.create_task(until_client_leaves(websocket))
        done, pending = await asyncio.wait({forward, leave}, return_when=asyncio.FIRST_COMPLETED)
        for task in pending:
            task.cancel()
        await asyncio.gather(*pending, return_exceptions=True)
        lost = forward.exception() if forward in done else None
        if lost is not None and not isinstance(lost, ConnectionClosed):
            await websocket.close(CLOSE_REDIS_GONE, "the sidecar lost Redis")  # the page reconnects later
    finally:
        with contextlib.suppress(Exception):
            await pubsub.unsubscribe()
        await pubsub.aclose()
        await client.aclose()

