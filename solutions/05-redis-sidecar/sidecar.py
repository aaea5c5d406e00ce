"""Lesson 05, the sidecar: an asyncio WebSocket server that pushes what Django publishes.

``newsroom/sidecar_server.py`` (scaffolding) serves ``handler`` with
``websockets.asyncio.server.serve``: one ``handler(websocket)`` call per connection, running until
the handler returns. It also gives Django's signing the shared SECRET_KEY.

Suggested order (grade after each): ``verify_token``, ``check_origin``, then ``forward_messages``,
``until_client_leaves`` and ``handler``. What you will need is imported below.
Try it by hand: ``python -m checker serve 05 --target solutions`` runs the reference; yours without
``--target``.
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
    """The user name inside a valid token for ``room``; raise ``InvalidToken("why")`` otherwise.

    ``signing.loads(token, salt=TOKEN_SALT, max_age=max_age)`` checks the signature with
    SECRET_KEY and the age of the timestamp, and returns the dict that ``make_token`` signed. It
    raises ``signing.SignatureExpired`` for a token older than ``max_age`` seconds, and
    ``signing.BadSignature`` (its parent class: catch the child first) for anything tampered with,
    signed with another key or salt, or not a token at all.

    Refuse, with ``InvalidToken`` and a reason the client will see as the close reason:
    an expired token, a bad signature, a payload that is not a dict with a str ``"user"``, and a
    token for another room (a token for #lobby must not open #python).
    """
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
    """True when a page from ``origin`` may open a socket here.

    Browsers send ``Origin: http://127.0.0.1:8000`` (scheme, host, port of the page) with every
    WebSocket handshake, and page scripts cannot change it. Same-origin rules do not stop a page
    on another site from opening a WebSocket to us, so the server must check. ``allowed`` holds
    lowercase origins without a trailing slash. A missing Origin (``None``) is refused: only our
    own pages are meant to connect. Compare case-insensitively and ignore a trailing ``/``.
    """
    return origin is not None and origin.rstrip("/").lower() in allowed


async def forward_messages(pubsub, websocket) -> None:
    """Send each message published on the subscribed channel to the client, as a text frame.

    ``pubsub`` is a ``redis.asyncio`` PubSub already subscribed to the room's channel, made from a
    client with ``decode_responses=True``. ``async for message in pubsub.listen():`` yields dicts:
    ``{"type": "subscribe", ...}`` confirmations, then ``{"type": "message", "channel": "room:lobby",
    "data": "<the JSON text Django published>"}``. Forward ``data`` of the "message" ones unchanged
    with ``await websocket.send(...)`` (a str makes a text frame; bytes would make a binary frame,
    which the page cannot parse). ``send`` waits when the client reads slowly: that is backpressure,
    and it only slows this one connection's loop.
    """
    async for message in pubsub.listen():
        if message["type"] == "message":
            await websocket.send(message["data"])  # a str (decode_responses=True): a text frame


async def until_client_leaves(websocket) -> None:
    """Return when the client has gone; read and drop whatever it sends (writes go through Django).

    Iterate ``async for _ in websocket: pass``: the loop ends when the client closes cleanly, and
    raises ``ConnectionClosed`` when the connection breaks: suppress it. Reading matters: frames
    nobody reads pile up until websockets stops reading the socket, and then even the client's
    Close frame is not noticed.
    """
    with contextlib.suppress(ConnectionClosed):
        async for _ in websocket:
            pass


async def handler(websocket) -> None:
    """One connection: check it, subscribe, say ready, forward until either side goes away.

    1. ``websocket.request.headers.get("Origin")`` must pass ``check_origin(..., allowed_origins())``;
       otherwise ``await websocket.close(CLOSE_FORBIDDEN, "origin not allowed")`` and return.
    2. ``room, token = parse_ws_path(websocket.request.path)`` (``/ws/lobby?token=...``) and
       ``user = verify_token(token, room)``; both raise InvalidToken: close with
       ``CLOSE_UNAUTHORIZED`` and ``str(problem)`` as the reason, and return. Refuse *before*
       subscribing: a refused client must cost nothing.
    3. ``client = aioredis.Redis.from_url(redis_url(), decode_responses=True)``,
       ``pubsub = client.pubsub()``, ``await pubsub.subscribe(channel_for(room))``, then
       ``await pubsub.get_message(timeout=2)``: ``subscribe()`` only *sends* SUBSCRIBE; that first
       message is Redis's ``{"type": "subscribe", ...}`` confirmation that the subscription is live.
    4. Send ``{"type": "ready", "room": room, "user": user}`` as JSON. The page waits for it, then
       asks Django for what it missed: a message published before the SUBSCRIBE is lost to us.
    5. Run ``forward_messages`` and ``until_client_leaves`` as two tasks
       (``asyncio.create_task``) and ``await asyncio.wait({...}, return_when=asyncio.FIRST_COMPLETED)``;
       cancel the one still pending. If forwarding failed with anything but ``ConnectionClosed``,
       Redis is gone: ``await websocket.close(CLOSE_REDIS_GONE, ...)``.
    6. In a ``finally:`` (it must run however the connection ended):
       ``await pubsub.unsubscribe()``, ``await pubsub.aclose()``, ``await client.aclose()``.
       Otherwise every visitor who ever left stays subscribed, with an open Redis connection.
    """
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

