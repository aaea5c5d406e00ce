"""Ring 2: the learner's sidecar as a real process, talked to by ``websockets`` clients, watched in Redis.

Redis says what the sidecar did whatever its code looks like: ``PUBSUB NUMSUB`` (live
subscriptions), ``CLIENT LIST`` (open connections) and ``total_connections_received`` (every
connection ever made). The sidecar reaches Redis through a proxy that can hold its commands back,
so a ready frame sent before Redis confirmed the subscription is caught every time, not by luck.

The same scenarios grade the sidecar the learner picked (``python -m checker pick 05 node``):
``sidecar.py`` (``support.PYTHON``) or ``sidecar.js`` in Node.js (``support.NODE``), found in the
record's variant (``support.sidecar_for``) by the launcher and the clients.
"""

from __future__ import annotations

import asyncio
import time

from checker.api import CheckFailed, Context
from checker.probes import redis_watch
from checker.probes import ws as ws_probe

from .support import (OTHER_ROOM, PYTHON, ROOM, Clients, close_all, message, path, proxy, publish, redis_client, session,
                      sidecar_for, site, token)

FOREIGN_ORIGIN = "http://evil.example"
REDIS_DELAY = 0.2  # seconds the proxy holds each of the sidecar's Redis commands in check_push

SHORT_SESSION = 5  # seconds for a whole client session (scaled by ctx.run_async)
SESSION = 8  # seconds for a whole client session (scaled by ctx.run_async)
LONG_SESSION = 10  # seconds for a whole client session (scaled by ctx.run_async)


def check_sidecar_refuses(ctx: Context) -> None:
    launched = site(ctx)
    clients = Clients(ctx, launched)
    client = redis_client(ctx)
    origin = clients.origin
    good = token(ctx, "ada", ROOM)
    from django.core import signing

    from newsroom.protocol import TOKEN_SALT

    attempts = [
        (path(ROOM, good), FOREIGN_ORIGIN, f"a good token from a page on {FOREIGN_ORIGIN}"),
        (path(ROOM, good), None, "a good token without an Origin header"),
        (path(ROOM, good), "null", "a good token from Origin: null"),
        (path(ROOM, good), origin + ".evil.example", "a good token from a look-alike Origin"),
        (f"/ws/{ROOM}", origin, "no token"),
        (path(ROOM, "not-a-token"), origin, "a token that is not a token"),
        (path(ROOM, token(ctx, "ada", ROOM, age=120)), origin, "an expired token (signed 120 s ago)"),
        (path(OTHER_ROOM, good), origin, "a token for #lobby used on /ws/python"),
        (path(ROOM, signing.dumps({"user": "ada", "room": ROOM, "nonce": "n" * 22}, salt=TOKEN_SALT, key="x" * 50)),
         origin, "a token signed with another SECRET_KEY"),
        (path("not-a-real-room", token(ctx, "admin", "not-a-real-room")), origin, "a room Django does not serve"),
        (f"/ws/?token={good}", origin, "a path without a room"),
    ]

    async def refused(at: str, from_origin: str | None, what: str) -> None:
        from websockets.exceptions import ConnectionClosed, InvalidStatus

        ctx.step(f"connecting with {what}")
        try:
            ws = await clients.connect(at, from_origin)
        except InvalidStatus as answer:
            if answer.response.status_code in (401, 403):
                return
            raise CheckFailed(f"a connection with {what} was answered HTTP {answer.response.status_code}; "
                              f"expected a refusal (HTTP 403, or a close code 4401/4403).{clients.says()}") from None
        try:
            frame = await ws_probe.recv(ws, timeout=clients.wait)
        except ConnectionClosed:
            code = ws.close_code
            if code == 1008 or (code is not None and 4000 <= code <= 4999):
                return
            raise CheckFailed(f"a connection with {what} was closed with code {code} ({ws.close_reason!r}); "
                              "expected a refusal: 4401 (CLOSE_UNAUTHORIZED) or 4403 (CLOSE_FORBIDDEN)."
                              f"{clients.says()}") from None
        except (asyncio.TimeoutError, TimeoutError):
            await ws.close()
            raise CheckFailed(f"the sidecar accepted a connection with {what} and kept it open; refuse it "
                              "(close with CLOSE_UNAUTHORIZED or CLOSE_FORBIDDEN) before subscribing.") from None
        await ws.close()
        raise CheckFailed(f"the sidecar accepted a connection with {what} and sent {frame!r:.120}; it must be refused.")

    async def scenario():
        for at, from_origin, what in attempts:
            await refused(at, from_origin, what)

    before = _redis_state(client)
    session(ctx, launched, scenario, timeout=SESSION)
    ctx.step(f"after {len(attempts)} refusals: PUBSUB NUMSUB, CLIENT LIST and connections received")
    ctx.wait_until(lambda: _redis_state(client)[:2] == before[:2], 0.3)  # a leak stays; a late clean-up ends
    _judge_refusal_cost(len(attempts), before, _redis_state(client))


def _redis_state(client) -> tuple[int, int, int]:
    subscribed = sum(redis_watch.subscribers(client, f"room:{room}") for room in (ROOM, OTHER_ROOM))
    return subscribed, redis_watch.connections(client), redis_watch.connections_received(client)


def _no_lingering_subscription(ctx: Context, client, clients: Clients) -> None:
    """Every client of the earlier checks has left: room:lobby must have no subscription left.

    Checked before a scenario that counts subscriptions: a sidecar that never unsubscribes would
    otherwise look like one that sends "ready" too early (its hub sees the room already
    subscribed and sends no new SUBSCRIBE), which sends the learner to the wrong function.
    """
    ctx.step("waiting for the earlier clients' subscriptions to room:lobby to end")
    lingering = lambda: redis_watch.subscribers(client, f"room:{ROOM}")  # noqa: E731
    if not ctx.wait_until(lambda: lingering() == 0, 2.0):
        raise CheckFailed(f"every client of the earlier checks has left #lobby, but PUBSUB NUMSUB room:lobby is still "
                          f"{lingering()}: when a room's last socket leaves, the sidecar must unsubscribe. "
                          f"{clients.sidecar.advice['lingers']}{clients.says()}")


def _judge_refusal_cost(count: int, before, after) -> None:
    (subs0, conns0, made0), (subs1, conns1, made1) = before, after
    if subs1 > subs0 or conns1 > conns0:
        raise CheckFailed(f"{count} refused connections left {subs1 - subs0} subscriptions and {conns1 - conns0} Redis "
                          f"connections behind (PUBSUB NUMSUB {subs0} -> {subs1}, CLIENT LIST {conns0} -> {conns1}). "
                          "A refused client must cost nothing: check the Origin and the token first, and only then "
                          "connect to Redis and subscribe.")
    if made1 > made0:
        raise CheckFailed(f"{count} refused connections made the sidecar open {made1 - made0} Redis connections "
                          "(INFO stats: total_connections_received), closed again later. A refused client must cost "
                          "nothing: check the Origin and the token before connecting to Redis.")


def check_push(ctx: Context) -> None:
    launched = site(ctx)
    clients = Clients(ctx, launched)
    sidecar = clients.sidecar
    redis_url = launched.extras["redis_url"]
    relay = proxy(ctx)
    delay = ctx.timeout(REDIS_DELAY)
    _no_lingering_subscription(ctx, redis_client(ctx), clients)

    async def scenario():
        ctx.step(f"Redis answers the sidecar {delay:.1f} s late; a client connects and waits for the ready frame")
        relay.delay = delay
        started = time.monotonic()
        try:
            client, ready = await clients.ready(ROOM, token(ctx, "ada", ROOM), "the client", wait=2 * clients.wait
                                                + 8 * delay)
        finally:
            relay.delay = 0.0
        ready_at = time.monotonic()
        try:
            if not [t for t in relay.confirmed_since(started) if t <= ready_at]:
                raise CheckFailed("the ready frame arrived before Redis had confirmed the subscription (the checker "
                                  "held the sidecar's commands back for a moment): a message published right after "
                                  f"'ready' would be lost. {sidecar.advice['ready_early']}")
            if ready["user"] != "ada":
                raise CheckFailed(f"the ready frame names the user {ready['user']!r}; the token was for 'ada'.")
            for n in (1, 2, 3):
                ctx.step(f"publishing message {n} on room:lobby with redis-py")
                sent = message(n)
                await publish(redis_url, ROOM, sent)
                await clients.expect_push(client, "the client", sent)
        finally:
            await client.close()

    session(ctx, launched, scenario, timeout=LONG_SESSION)


def check_rooms(ctx: Context) -> None:
    launched = site(ctx)
    clients = Clients(ctx, launched)
    redis_url = launched.extras["redis_url"]

    async def scenario():
        ctx.step("one client in #lobby, one in #python")
        lobby, _ = await clients.ready(ROOM, token(ctx, "ada", ROOM), "the #lobby client")
        python, _ = await clients.ready(OTHER_ROOM, token(ctx, "grace", OTHER_ROOM), "the #python client")
        try:
            for room, listener, other, idle, n in ((OTHER_ROOM, python, "#lobby", lobby, 7),
                                                   (ROOM, lobby, "#python", python, 8)):
                ctx.step(f"publishing on room:{room}")
                sent = message(n, room)
                await publish(redis_url, room, sent)
                await clients.expect_push(listener, f"the #{room} client", sent)
                await clients.expect_nothing(idle, f"the {other} client", f"it was published to #{room} only")
        finally:
            await lobby.close()
            await python.close()

    session(ctx, launched, scenario, timeout=SESSION)


def check_fan_out(ctx: Context) -> None:
    launched = site(ctx)
    clients = Clients(ctx, launched)
    redis_url = launched.extras["redis_url"]
    count = 20
    tokens = [token(ctx, f"reader{i}", ROOM) for i in range(count)]

    async def scenario():
        ctx.step(f"{count} clients connect to #lobby")
        members = await clients.all_ready([(ROOM, t, f"client {i + 1} of {count}") for i, t in enumerate(tokens)])
        try:
            sent = [message(n) for n in (100, 101, 102)]
            ctx.step(f"publishing 3 messages; each of the {count} clients must get all 3, in order")
            for each in sent:
                await publish(redis_url, ROOM, each)

            async def receive_all(i, member):
                for each in sent:
                    await clients.expect_push(member, f"client {i + 1} of {count}", each)

            await asyncio.gather(*(receive_all(i, c) for i, c in enumerate(members)))
        finally:
            await close_all(members)

    session(ctx, launched, scenario, timeout=LONG_SESSION)


def check_cleanup(ctx: Context) -> None:
    launched = site(ctx)
    clients = Clients(ctx, launched)
    sidecar = clients.sidecar
    client = redis_client(ctx)
    subscribed = lambda: redis_watch.subscribers(client, f"room:{ROOM}")  # noqa: E731

    _no_lingering_subscription(ctx, client, clients)
    before, subscribed_before = redis_watch.connections(client), subscribed()
    settle = ctx.timeout(1.0)

    async def connect_and(how: str) -> None:
        ws, _ = await clients.ready(ROOM, token(ctx, "ada", ROOM), "the client")
        end = time.monotonic() + settle  # SUBSCRIBE travels on another connection: give Redis a moment
        while subscribed() <= subscribed_before and time.monotonic() < end:
            await asyncio.sleep(0.02)
        if subscribed() <= subscribed_before:
            await ws.close()
            raise CheckFailed(f"the client got the ready frame, but PUBSUB NUMSUB room:lobby stayed at "
                              f"{subscribed()}: the sidecar must subscribe to the room's channel before it sends "
                              f"the ready frame. {sidecar.advice['ready_early']}")
        if how == "close":
            await ws.close()
        else:
            ws.transport.abort()  # no Close frame: a laptop lid shut, a train in a tunnel
            await asyncio.sleep(0)

    for how, what in (("close", "a client closed its socket cleanly"),
                      ("abort", "a client's connection broke (TCP reset, no Close frame)")):
        ctx.step(f"{what}; then PUBSUB NUMSUB and CLIENT LIST")
        session(ctx, launched, lambda: connect_and(how), timeout=SHORT_SESSION)
        ctx.wait_until(lambda: subscribed() <= subscribed_before and redis_watch.connections(client) <= before, 1.5)
        now_subscribed, now_connected = subscribed(), redis_watch.connections(client)
        if now_subscribed > subscribed_before:
            raise CheckFailed(f"after {what}, its subscription to room:lobby is still there "
                              f"(PUBSUB NUMSUB room:lobby went from {subscribed_before} to {now_subscribed}). "
                              f"{sidecar.advice['lingers']}{clients.says()}")
        if now_connected > before:
            raise CheckFailed(f"after {what}, the sidecar unsubscribed but kept its Redis connection open "
                              f"({now_connected - before} more in CLIENT LIST): {sidecar.advice['connection_open']}"
                              f"{clients.says()}")


REUSES = 10  # how many times check_single_use replays one token
SHARED_SOCKETS = 10  # sockets per room in check_shared_connection
SPARE_CONNECTIONS = 5  # what the hub may add for N sockets: its small command pool, not one per socket


def check_single_use(ctx: Context) -> None:
    if sidecar_for(ctx) is PYTHON:
        _spend_nonce_directly(ctx)
    launched = site(ctx)
    clients = Clients(ctx, launched)
    client = redis_client(ctx)
    from websockets.exceptions import ConnectionClosed

    from newsroom.protocol import CLOSE_TOKEN_USED

    signed = token(ctx, "ada", ROOM)

    async def scenario():
        ctx.step("one token opens a socket (ready)")
        first, _ = await clients.ready(ROOM, signed, "the token's first socket")
        try:
            # The first socket's own subscription first (a sidecar that sends "ready" before it has
            # subscribed is the push check's to name, not blamed here on the replays).
            end = time.monotonic() + ctx.timeout(1.0)
            while redis_watch.subscribers(client, f"room:{ROOM}") < 1 and time.monotonic() < end:
                await asyncio.sleep(0.02)
            before = _redis_state(client)
            for n in range(1, REUSES + 1):
                ctx.step(f"the same token again ({n} of {REUSES}): it must be refused with {CLOSE_TOKEN_USED}")
                ws = await clients.connect(path(ROOM, signed), clients.origin)
                try:
                    frame = await ws_probe.recv(ws, timeout=clients.wait)
                except (asyncio.TimeoutError, TimeoutError):
                    raise CheckFailed(f"a token used a second time was accepted and kept open; spend its nonce "
                                      f"first (spend_nonce: SET NX) and close with CLOSE_TOKEN_USED "
                                      f"({CLOSE_TOKEN_USED}) when it was spent.{clients.says()}") from None
                except ConnectionClosed:
                    if ws.close_code != CLOSE_TOKEN_USED:
                        raise CheckFailed(f"a reused token was closed with code {ws.close_code} "
                                          f"({ws.close_reason!r}); expected CLOSE_TOKEN_USED ({CLOSE_TOKEN_USED}), "
                                          "so the page knows to fetch a new token.") from None
                    continue
                finally:
                    await ws.close()
                raise CheckFailed(f"a token used a second time was accepted (it sent {frame!r:.100}): one token copied "
                                  "from a URL must not open a thousand sockets. Spend its nonce with SET NX.")
            ctx.wait_until(lambda: _redis_state(client)[:2] == before[:2], 0.3)
            after = _redis_state(client)
            if after[0] > before[0] or after[1] > before[1]:
                raise CheckFailed(f"{REUSES} refused replays of one token left {after[0] - before[0]} subscriptions "
                                  f"and {after[1] - before[1]} Redis connections behind; a replay must cost nothing "
                                  "but its SET NX.")
        finally:
            await first.close()

    session(ctx, launched, scenario, timeout=LONG_SESSION)


def _spend_nonce_directly(ctx: Context) -> None:
    import secrets

    import redis.asyncio as aioredis

    from newsroom.protocol import TOKEN_MAX_AGE, nonce_key

    learner = ctx.import_learner("sidecar")
    nonce = secrets.token_urlsafe(16)

    async def spend() -> tuple:
        client = aioredis.Redis.from_url(ctx.redis().url, decode_responses=True)
        try:
            first = await learner.spend_nonce(client, nonce)
            second = await learner.spend_nonce(client, nonce)
            return first, second, await client.ttl(nonce_key(nonce))
        finally:
            await client.aclose()

    ctx.step("spend_nonce(client, nonce) twice on a real Redis, then TTL of nonce_key(nonce)")
    first, second, ttl = ctx.run_async(spend, timeout=SHORT_SESSION)
    if first is not True or second is not False:
        raise CheckFailed(f"spend_nonce returned {first!r}, then {second!r} for the same nonce; expected True, then "
                          "False (SET nonce_key(nonce) with nx=True: only the first SET succeeds).")
    if not 0 < ttl <= TOKEN_MAX_AGE:
        raise CheckFailed(f"the spent nonce's key has TTL {ttl}; expected at most TOKEN_MAX_AGE ({TOKEN_MAX_AGE} s): "
                          "set it with ex=TOKEN_MAX_AGE, or Redis keeps every nonce forever (-1 means no expiry).")


def check_shared_connection(ctx: Context) -> None:
    launched = site(ctx)
    clients = Clients(ctx, launched)
    sidecar = clients.sidecar
    client = redis_client(ctx)
    rooms = (ROOM, OTHER_ROOM)

    ctx.step("waiting for earlier checks' subscriptions to end")
    ctx.wait_until(lambda: _redis_state(client)[0] == 0, 2.0)
    connections_before = redis_watch.connections(client)

    async def scenario():
        ctx.step(f"{SHARED_SOCKETS} sockets in #{ROOM} and {SHARED_SOCKETS} in #{OTHER_ROOM}")
        order = [room for room in rooms for _ in range(SHARED_SOCKETS)]
        members = await clients.all_ready([(room, token(ctx, f"reader{i}", room), f"a #{room} client")
                                           for i, room in enumerate(order)])
        try:
            ctx.step("PUBSUB NUMSUB per room and CLIENT LIST with all of them open")
            counts = {room: redis_watch.subscribers(client, f"room:{room}") for room in rooms}
            grown = redis_watch.connections(client) - connections_before
            if any(count != 1 for count in counts.values()):
                raise CheckFailed(f"with {SHARED_SOCKETS} sockets in each room, PUBSUB NUMSUB says {counts}; expected "
                                  "1 subscription per room, on the hub's shared connection. One subscription per "
                                  f"socket is one Redis connection per socket: {connections_before} -> "
                                  f"{connections_before + grown} here. {sidecar.advice['connection_open']}")
            if grown > SPARE_CONNECTIONS:
                raise CheckFailed(f"{2 * SHARED_SOCKETS} sockets made the sidecar open {grown} more Redis connections "
                                  f"(CLIENT LIST); the hub's one pub/sub connection and its small pool should serve "
                                  f"them all. {sidecar.advice['connection_open']}")
            for room in rooms:
                sent = message(300, room)
                await publish(launched.extras["redis_url"], room, sent)
                await asyncio.gather(*(clients.expect_push(member, f"a #{room} client", sent)
                                       for member, where in zip(members, order) if where == room))
        finally:
            await close_all(members)

    session(ctx, launched, scenario, timeout=LONG_SESSION)
