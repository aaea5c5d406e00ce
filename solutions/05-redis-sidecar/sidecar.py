"""Lesson 05, the sidecar: an asyncio WebSocket server that pushes what Django publishes.

``newsroom/sidecar_server.py`` (scaffolding) serves ``handler`` with
``websockets.asyncio.server.serve``: one ``handler(websocket, hub)`` call per connection, running
until the handler returns. It gives Django's signing this run's key, and opens the ``hub``
(``newsroom/hub.py``): the process's one Redis pub/sub connection, shared by every socket, which
calls your ``dispatch`` for each published message.

Suggested order (grade after each): ``verify_token``, ``check_origin``, ``spend_nonce``, then
``join``, ``leave``, ``dispatch``, ``until_client_leaves`` and ``handler``. What you will need is
imported below. Try it by hand: ``python -m checker serve 05 --target solutions`` runs the
reference; yours without ``--target``.
"""

from __future__ import annotations

import contextlib
import json

from django.core import signing
from websockets.asyncio.server import broadcast
from websockets.exceptions import ConnectionClosed

from newsroom.protocol import (CLOSE_FORBIDDEN, CLOSE_TOKEN_USED, CLOSE_TOO_SLOW, CLOSE_UNAUTHORIZED,
                               SLOW_CLIENT_LIMIT, TOKEN_MAX_AGE, TOKEN_SALT, InvalidToken, Ticket, allowed_origins,
                               channel_for, nonce_key, parse_ws_path)


def verify_token(token: str, room: str, max_age: float = TOKEN_MAX_AGE) -> Ticket:
    """``Ticket(user, nonce)`` from a valid token for ``room``; raise ``InvalidToken("why")`` otherwise.

    ``signing.loads(token, salt=TOKEN_SALT, max_age=max_age)`` checks the signature with
    SECRET_KEY and the age of the timestamp, and returns the dict that ``make_token`` signed. It
    raises ``signing.SignatureExpired`` for a token older than ``max_age`` seconds, and
    ``signing.BadSignature`` (its parent class: catch the child first) for anything tampered with,
    signed with another key or salt, or not a token at all.

    Refuse, with ``InvalidToken`` and a reason the client will see as the close reason:
    an expired token, a bad signature, a payload that is not a dict with a str ``"user"`` and a
    str ``"nonce"`` (the nonce is what makes a token single-use: see ``spend_nonce``), and a token
    for another room (a token for #lobby must not open #python).
    """
    try:
        payload = signing.loads(token, salt=TOKEN_SALT, max_age=max_age)
    except signing.SignatureExpired:
        raise InvalidToken("the token has expired: ask Django for a new one") from None
    except signing.BadSignature:
        raise InvalidToken("the token's signature is not valid") from None
    if not isinstance(payload, dict) or not isinstance(payload.get("user"), str):
        raise InvalidToken("the token does not name a user")
    if not isinstance(payload.get("nonce"), str) or not payload["nonce"]:
        raise InvalidToken("the token has no nonce: ask Django for a new one")
    if payload.get("room") != room:
        raise InvalidToken(f"the token is for another room, not {room!r}")
    return Ticket(payload["user"], payload["nonce"])


def check_origin(origin: str | None, allowed: frozenset[str]) -> bool:
    """True when a page from ``origin`` may open a socket here.

    Browsers send ``Origin: http://127.0.0.1:8000`` (scheme, host, port of the page) with every
    WebSocket handshake, and page scripts cannot change it. Same-origin rules do not stop a page
    on another site from opening a WebSocket to us, so the server must check. ``allowed`` holds
    lowercase origins without a trailing slash. A missing Origin (``None``) is refused: only our
    own pages are meant to connect. Compare case-insensitively and ignore a trailing ``/``.
    """
    return origin is not None and origin.rstrip("/").lower() in allowed


async def spend_nonce(client, nonce: str) -> bool:
    """True the first time a token's nonce is spent, False ever after (within the token's lifetime).

    A signature proves Django made the token; it does not stop it from being used again. Without
    this, one token copied from a URL opened 1,000 sockets. ``client`` is the hub's
    ``redis.asyncio`` client (``decode_responses=True``). ``SET key value NX EX seconds`` sets the
    key only if it does not exist yet, atomically: of two sidecars racing with the same token,
    exactly one gets ``True`` back (redis-py returns ``None`` for the other). The key is
    ``nonce_key(nonce)``; let it expire after ``TOKEN_MAX_AGE`` seconds, when the token itself
    has expired and the record is no longer needed.
    """
    return bool(await client.set(nonce_key(nonce), "1", nx=True, ex=TOKEN_MAX_AGE))


async def join(hub, room: str, websocket) -> None:
    """Add ``websocket`` to the room's sockets in ``hub.rooms`` and make sure the room is subscribed.

    ``hub.rooms`` is the fan-out table: ``{"lobby": {websocket, ...}}`` (create a room's set the
    first time). Then ``await hub.subscribe(channel_for(room))``: it sends SUBSCRIBE only for a
    channel not subscribed yet, and returns once Redis has *confirmed* it, so a message published
    after this returns reaches the socket. Every socket of every room shares the hub's one
    connection: no Redis client of your own here.
    """
    hub.rooms.setdefault(room, set()).add(websocket)
    await hub.subscribe(channel_for(room))


async def leave(hub, room: str, websocket) -> None:
    """Take ``websocket`` out of ``hub.rooms``; when it was the room's last socket, unsubscribe.

    Remove the socket from the room's set (it may already be gone: no error). When the set is
    empty, delete the room from ``hub.rooms`` and ``await hub.unsubscribe(channel_for(room))``:
    otherwise Redis keeps sending the room's messages to a process that has nobody to give them to.
    """
    sockets = hub.rooms.get(room)
    if sockets is None:
        return
    sockets.discard(websocket)
    if not sockets:
        del hub.rooms[room]
        await hub.unsubscribe(channel_for(room))


def dispatch(hub, room: str, data: str) -> None:
    """Send ``data`` (the JSON text Django published) to every socket of ``room``, waiting for none.

    The hub calls this for each message, from the one task that reads the shared connection: if
    it awaited a slow client, every room would wait. So never ``await`` here:
    ``broadcast(sockets, data)`` (``websockets.asyncio.server.broadcast``) queues a text frame on
    each open socket and returns at once. What a client has not read yet waits in its buffer, in
    this process: close a socket whose ``websocket.transport.get_write_buffer_size()`` is above
    ``SLOW_CLIENT_LIMIT`` with ``hub.close_later(websocket, CLOSE_TOO_SLOW, "...")`` instead of
    sending it more (its page reconnects and catches up from Django's history).
    """
    sockets = hub.rooms.get(room, set())
    slow = {ws for ws in sockets if ws.transport.get_write_buffer_size() > SLOW_CLIENT_LIMIT}
    for websocket in slow:
        hub.close_later(websocket, CLOSE_TOO_SLOW, "too far behind: reconnect and catch up")
    broadcast(sockets - slow, data)


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


async def handler(websocket, hub) -> None:
    """One connection: check it, spend its token, join the room, say ready, wait, leave.

    1. ``websocket.request.headers.get("Origin")`` must pass ``check_origin(..., allowed_origins())``;
       otherwise ``await websocket.close(CLOSE_FORBIDDEN, "origin not allowed")`` and return.
    2. ``room, token = parse_ws_path(websocket.request.path)`` (``/ws/lobby?token=...``; it also
       refuses a room Django does not serve) and ``user, nonce = verify_token(token, room)``; both
       raise InvalidToken: close with ``CLOSE_UNAUTHORIZED`` and ``str(problem)`` as the reason,
       and return. Refuse *before* touching Redis: a refused client must cost nothing.
    3. ``await spend_nonce(hub.client, nonce)``; when it says no, the token was used before:
       close with ``CLOSE_TOKEN_USED`` ("this token was already used: ask Django for a new one").
    4. ``await join(hub, room, websocket)``, then send ``{"type": "ready", "room": room, "user": user}``
       as JSON. The page waits for it, then asks Django for what it missed.
    5. ``await until_client_leaves(websocket)``; the hub's ``dispatch`` does the sending meanwhile.
    6. ``await leave(hub, room, websocket)`` in a ``finally:`` (the ``join`` included in the
       ``try``): it must run however the connection ended, or the room's subscription never ends.
    """
    request = websocket.request
    if not check_origin(request.headers.get("Origin"), allowed_origins()):
        await websocket.close(CLOSE_FORBIDDEN, "origin not allowed")
        return
    try:
        room, token = parse_ws_path(request.path)
        user, nonce = verify_token(token, room)
    except InvalidToken as problem:
        await websocket.close(CLOSE_UNAUTHORIZED, str(problem)[:120])
        return
    if not await spend_nonce(hub.client, nonce):
        await websocket.close(CLOSE_TOKEN_USED, "this token was already used: ask Django for a new one")
        return
    try:
        await join(hub, room, websocket)
        await websocket.send(json.dumps({"type": "ready", "room": room, "user": user}))
        await until_client_leaves(websocket)
    finally:
        await leave(hub, room, websocket)
