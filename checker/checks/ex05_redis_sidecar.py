"""Checks for lesson 05 (Redis-backed sidecar): tokens, publishing, the sidecar process, end to end.

Three rings, from the inside out:

1. Plain functions in this grading process: ``make_token``/``verify_token`` (Django's signing with
   the lesson's SECRET_KEY), ``check_origin``, and ``publish_message`` against a real Redis,
   observed by a real redis-py subscriber.
2. The learner's sidecar as a real process (``newsroom/sidecar_server.py`` on a free port) with
   ``websockets`` clients: refusals, the ready frame, a message published to Redis arriving,
   rooms kept apart, fan-out to 20 clients, and no subscription or Redis connection left behind
   (``PUBSUB NUMSUB``, ``CLIENT LIST``).
3. Everything together: Django (threaded WSGI, in this process) and the sidecar sharing one Redis:
   a POST to Django reaches a ``websockets`` client, and two Chromium pages see each other's posts.
"""

from __future__ import annotations

import asyncio
import contextlib
import http.client
import json
import os
import sys
import time
import urllib.parse
from unittest import mock

from checker.checks import register
from checker.api import CheckFailed, Context

ROOM = "lobby"
OTHER_ROOM = "python"
FOREIGN_ORIGIN = "http://evil.example"
RECV = 1.0  # seconds a pushed message may take


# -- shared set-up: Redis, the ports, Django's settings, Django's server, the sidecar ------------------
def _ports(ctx: Context) -> dict:
    """Redis, and the two ports, chosen once per worker (Django's settings read them at import)."""

    @contextlib.contextmanager
    def choose():
        redis = ctx.redis()
        web, ws = ctx.free_port(), ctx.free_port()
        os.environ.update({"WORKSHOP_REDIS_URL": redis.url, "WORKSHOP_SIDECAR_URL": f"ws://127.0.0.1:{ws}",
                           "WORKSHOP_ALLOWED_ORIGINS": f"http://127.0.0.1:{web}"})
        yield {"redis": redis, "web": web, "ws": ws, "origin": f"http://127.0.0.1:{web}"}

    return ctx.resource("ports", choose)


def _django(ctx: Context):
    """Django set up with the newsroom's settings (SECRET_KEY for signing); returns the WSGI app."""
    ports = _ports(ctx)

    @contextlib.contextmanager
    def setup():
        from newsroom.wsgi import application_for

        yield application_for(ctx.exercise_dir)

    app = ctx.resource("django", setup)
    return app, ports


def _redis(ctx: Context):
    """A synchronous redis-py client on the worker's Redis, with the lesson's keys emptied."""
    import redis

    ports = _ports(ctx)
    client = ctx.resource("redis-client", lambda: contextlib.closing(
        redis.Redis.from_url(ports["redis"].url, decode_responses=True)))
    from newsroom import store

    for room in (ROOM, OTHER_ROOM):
        store.clear(client, room)
    return client


def _site(ctx: Context) -> str:
    app, ports = _django(ctx)

    def serve():
        from workshop.django_support import BackgroundServer

        return BackgroundServer(app, port=ports["web"])

    return ctx.resource("site", serve).url


def _sidecar(ctx: Context):
    """The learner's sidecar as a real process on the worker's sidecar port."""
    ports = _ports(ctx)
    argv = [sys.executable, str(ctx.lesson_dir / "newsroom" / "sidecar_server.py"), "--port", str(ports["ws"]),
            "--exercise-dir", str(ctx.exercise_dir), "--redis-url", ports["redis"].url,
            "--allowed-origin", ports["origin"]]
    ctx.step("starting the sidecar (python newsroom/sidecar_server.py, your sidecar.py)")
    try:
        return ctx.start_process(argv, port=ports["ws"], key="sidecar", ready_timeout=15,
                                 env={"PYTHONUNBUFFERED": "1"})
    except RuntimeError as exc:
        raise CheckFailed(f"the sidecar did not start:\n{exc}") from None


def _sidecar_says(server) -> str:
    """The sidecar's own notices ("Lesson 05: ..."), else its last error line."""
    log = server.log_tail(40).splitlines()
    notices = [line.split("Lesson 05: ", 1)[1] for line in log if "Lesson 05: " in line]
    if notices:
        return "\nThe sidecar says: " + notices[-1]
    errors = [line for line in log if "Error" in line or "Exception" in line]
    return ("\nThe sidecar's log shows: " + " | ".join(errors[-2:])) if errors else ""


def _token(ctx: Context, user: str, room: str, age: float = 0.0) -> str:
    """A token signed by the reference recipe (as Django would), ``age`` seconds old."""
    _django(ctx)
    from django.core import signing

    from newsroom.protocol import TOKEN_SALT

    if not age:
        return signing.dumps({"user": user, "room": room}, salt=TOKEN_SALT)
    with mock.patch("time.time", return_value=time.time() - age):
        return signing.dumps({"user": user, "room": room}, salt=TOKEN_SALT)


# -- websockets clients ---------------------------------------------------------------------------------
async def _connect(port: int, path: str, origin: str | None):
    from websockets.asyncio.client import connect

    return await connect(f"ws://127.0.0.1:{port}{path}", origin=origin, open_timeout=3, close_timeout=1)


def _path(room: str, token: str) -> str:
    return f"/ws/{room}?token={urllib.parse.quote(token)}"


async def _ready(port: int, room: str, token: str, origin: str, who: str, server):
    """A connected client that has received the ready frame (so its subscription exists)."""
    from websockets.exceptions import ConnectionClosed, InvalidStatus

    try:
        client = await _connect(port, _path(room, token), origin)
    except InvalidStatus as refused:
        raise CheckFailed(f"the sidecar refused {who} with HTTP {refused.response.status_code}; a good token "
                          f"from the allowed Origin must be accepted.{_sidecar_says(server)}") from None
    try:
        text = await asyncio.wait_for(client.recv(), 2 * RECV)
    except (asyncio.TimeoutError, TimeoutError):
        await client.close()
        raise CheckFailed(f"{who} waited {2 * RECV:g} s for the ready frame ({{\"type\": \"ready\", ...}}, sent once "
                          f"the Redis subscription exists); nothing came.{_sidecar_says(server)}") from None
    except ConnectionClosed:
        raise CheckFailed(f"the sidecar closed {who}'s connection (code {client.close_code}, "
                          f"{client.close_reason!r}) instead of sending the ready frame.{_sidecar_says(server)}"
                          ) from None
    frame = _json(text, f"{who}'s first frame")
    if frame.get("type") != "ready" or frame.get("room") != room or not isinstance(frame.get("user"), str):
        await client.close()
        raise CheckFailed(f"{who}'s first frame was {frame!r:.200}; expected "
                          f'{{"type": "ready", "room": "{room}", "user": "<the name in the token>"}}.')
    return client, frame


def _json(text, what: str) -> dict:
    if not isinstance(text, str):
        raise CheckFailed(f"{what} was a binary frame ({text[:60]!r}); send text: with "
                          "decode_responses=True, pubsub data is a str, and send(str) makes a text frame.")
    try:
        value = json.loads(text)
    except ValueError:
        raise CheckFailed(f"{what} is not JSON: {text[:120]!r}") from None
    if not isinstance(value, dict):
        raise CheckFailed(f"{what} is {value!r:.120}; expected a JSON object.")
    return value


async def _expect_push(client, who: str, expected: dict, server) -> None:
    from websockets.exceptions import ConnectionClosed

    try:
        text = await asyncio.wait_for(client.recv(), RECV)
    except (asyncio.TimeoutError, TimeoutError):
        raise CheckFailed(f"{who} did not receive the message published to Redis within {RECV:g} s "
                          f"(expected {expected!r:.120}). Subscribe before sending the ready frame (a message published "
                          "earlier is lost), and forward the data of every pubsub message of type 'message'."
                          f"{_sidecar_says(server)}") from None
    except ConnectionClosed:
        raise CheckFailed(f"{who}'s connection closed (code {client.close_code}) while waiting for a published "
                          f"message.{_sidecar_says(server)}") from None
    got = _json(text, f"the frame {who} received")
    if got != expected:
        raise CheckFailed(f"{who} received {got!r:.200}; expected exactly what was published, {expected!r:.200} "
                          "(forward the published JSON text unchanged).")


async def _expect_nothing(client, who: str, why: str) -> None:
    with contextlib.suppress(asyncio.TimeoutError, TimeoutError):
        text = await asyncio.wait_for(client.recv(), 0.3)
        raise CheckFailed(f"{who} received {text!r:.150}, but {why}.")


async def _publish(url: str, room: str, message: dict) -> None:
    import redis.asyncio as aioredis

    client = aioredis.Redis.from_url(url)
    try:
        await client.publish(f"room:{room}", json.dumps(message))
    finally:
        await client.aclose()


def _message(n: int, room: str = ROOM, author: str = "checker") -> dict:
    return {"id": n, "room": room, "author": author, "text": f"message {n} for #{room}", "sent_at": time.time()}


# -- 1. plain functions ------------------------------------------------------------------------------------
def check_tokens(ctx: Context) -> None:
    _django(ctx)
    publish = ctx.import_learner("publish")
    sidecar = ctx.import_learner("sidecar")
    from django.core import signing

    from newsroom.protocol import TOKEN_SALT, InvalidToken

    ctx.step("make_token('ada', 'lobby'), then verify_token(token, 'lobby')")
    token = publish.make_token("ada", ROOM)
    if not isinstance(token, str) or token.count(":") < 2:
        raise CheckFailed(f"make_token returned {token!r:.120}; expected the text signing.dumps gives "
                          "(payload:timestamp:signature).")
    try:
        payload = signing.loads(token, salt=TOKEN_SALT)
    except signing.BadSignature:
        raise CheckFailed("make_token's token does not verify with signing.loads(token, salt=TOKEN_SALT): "
                          "sign with signing.dumps(..., salt=TOKEN_SALT) (a TimestampSigner, so it can expire).") from None
    if payload != {"user": "ada", "room": ROOM}:
        raise CheckFailed(f"make_token('ada', 'lobby') signed {payload!r}; expected {{'user': 'ada', 'room': 'lobby'}}.")
    got = sidecar.verify_token(token, ROOM)
    if got != "ada":
        raise CheckFailed(f"verify_token(make_token('ada', 'lobby'), 'lobby') returned {got!r}; expected 'ada'.")
    ctx.step("verify_token on a token 30 s old (max_age is 60 s)")
    if sidecar.verify_token(_token(ctx, "grace", ROOM, age=30), ROOM) != "grace":
        raise CheckFailed("verify_token refused a token signed 30 s ago; TOKEN_MAX_AGE is 60 s.")
    good = _token(ctx, "ada", ROOM)
    payload_part, rest = good.split(":", 1)
    forged_payload = signing.b64_encode(json.dumps({"user": "admin", "room": ROOM}, separators=(",", ":")).encode())
    bad = [
        (_token(ctx, "ada", ROOM, age=120), "a token signed 120 s ago (expired: max_age is 60 s)"),
        (_token(ctx, "ada", OTHER_ROOM), "a token for #python used for #lobby"),
        (forged_payload.decode() + ":" + rest, "a token whose payload was changed to user 'admin'"),
        (good[:-2] + ("AA" if not good.endswith("AA") else "BB"), "a token with a changed signature"),
        (signing.dumps({"user": "ada", "room": ROOM}, salt=TOKEN_SALT, key="another-secret-key"),
         "a token signed with another SECRET_KEY"),
        (signing.dumps({"user": "ada", "room": ROOM}, salt="django.core.signing"), "a token signed with another salt"),
        (signing.dumps(["ada", ROOM], salt=TOKEN_SALT), "a signed list instead of {'user': ..., 'room': ...}"),
        ("not-a-token", "text that is not a token"),
        ("", "an empty token"),
    ]
    for token, what in bad:
        ctx.step(f"verify_token on {what}")
        try:
            user = sidecar.verify_token(token, ROOM)
        except InvalidToken as problem:
            if not str(problem).strip():
                raise CheckFailed(f"verify_token raised InvalidToken() without a reason for {what}; give one "
                                  "(it becomes the close reason the client sees).") from None
            continue
        except signing.BadSignature as exc:
            raise CheckFailed(f"verify_token let {type(exc).__name__} escape for {what}; catch it and raise "
                              "InvalidToken('why') instead (the handler closes the socket on InvalidToken).") from None
        raise CheckFailed(f"verify_token accepted {what} (it returned {user!r}); it must raise InvalidToken.")


def check_origin(ctx: Context) -> None:
    sidecar = ctx.import_learner("sidecar")
    allowed = frozenset({"http://127.0.0.1:8000", "http://localhost:8000"})
    cases = [
        ("http://127.0.0.1:8000", True, "the page's own origin"),
        ("http://localhost:8000", True, "another allowed origin"),
        ("HTTP://LOCALHOST:8000", True, "an allowed origin in capitals (origins are case-insensitive)"),
        ("http://127.0.0.1:8000/", True, "an allowed origin with a trailing slash"),
        (None, False, "no Origin header at all"),
        ("", False, "an empty Origin"),
        ("null", False, "Origin: null (a sandboxed page or a file:// page)"),
        ("http://evil.example", False, "another site"),
        ("http://127.0.0.1:8001", False, "the right host on another port"),
        ("https://127.0.0.1:8000", False, "https instead of http"),
        ("http://127.0.0.1:8000.evil.example", False, "a look-alike that starts with an allowed origin"),
    ]
    for origin, expected, what in cases:
        ctx.step(f"check_origin({origin!r}, ...)")
        got = sidecar.check_origin(origin, allowed)
        if got is not expected:
            raise CheckFailed(f"check_origin({origin!r}, {sorted(allowed)}) returned {got!r} for {what}; "
                              f"expected {expected}.")


def check_publish(ctx: Context) -> None:
    client = _redis(ctx)
    publish = ctx.import_learner("publish")
    import redis

    listener = redis.Redis.from_url(_ports(ctx)["redis"].url, decode_responses=True)
    pubsub = listener.pubsub()
    try:
        pubsub.psubscribe("*")  # every channel: a message on the wrong one is seen, and named
        pubsub.get_message(timeout=1.0)  # the psubscribe confirmation
        for room, message in ((ROOM, {"id": 41, "room": ROOM, "author": "ada", "text": "héllo, 👋 \"quoted\"",
                                       "sent_at": 1.5}),
                              (OTHER_ROOM, _message(42, OTHER_ROOM))):
            ctx.step(f"publish_message(redis_client, {room!r}, {{...}}) with a redis-py subscriber listening")
            answer = publish.publish_message(client, room, dict(message))
            got = pubsub.get_message(timeout=1.0)
            while got is not None and got["type"] != "pmessage":
                got = pubsub.get_message(timeout=1.0)
            if got is None:
                raise CheckFailed("publish_message returned, but no message was published on any channel within 1 s. "
                                  "Call redis_client.publish(channel, text).")
            if got["channel"] != f"room:{room}":
                raise CheckFailed(f"publish_message(..., {room!r}, ...) published on the channel {got['channel']!r}; "
                                  f"expected 'room:{room}' (channel_for(room)): the sidecar listens there.")
            try:
                data = json.loads(got["data"])
            except ValueError:
                raise CheckFailed(f"publish_message published {got['data']!r:.120}, which is not JSON; "
                                  "publish json.dumps(message).") from None
            if data != message:
                raise CheckFailed(f"publish_message published {data!r:.200}; expected the message unchanged, "
                                  f"{message!r:.200}.")
            if answer != 1:
                raise CheckFailed(f"publish_message returned {answer!r}; with one subscriber listening, Redis answers "
                                  "PUBLISH with 1. Return what redis_client.publish(...) returns.")
        ctx.step("publish_message to #django with nobody subscribed")
        pubsub.punsubscribe("*")
        pubsub.get_message(timeout=1.0)
        nobody = publish.publish_message(client, "django", _message(1, "django"))
        if nobody != 0:
            raise CheckFailed(f"publish_message returned {nobody!r} with nobody subscribed; expected 0 "
                              "(fire-and-forget: the message is simply gone).")
    finally:
        pubsub.close()
        listener.close()


# -- 2. the sidecar as a real process -------------------------------------------------------------------
def check_sidecar_refuses(ctx: Context) -> None:
    server = _sidecar(ctx)
    ports = _ports(ctx)
    port, origin = ports["ws"], ports["origin"]
    good = _token(ctx, "ada", ROOM)
    attempts = [
        (_path(ROOM, good), FOREIGN_ORIGIN, f"a good token from a page on {FOREIGN_ORIGIN}"),
        (_path(ROOM, good), None, "a good token without an Origin header"),
        (f"/ws/{ROOM}", origin, "no token"),
        (_path(ROOM, "not-a-token"), origin, "a token that is not a token"),
        (_path(ROOM, _token(ctx, "ada", ROOM, age=120)), origin, "an expired token (signed 120 s ago)"),
        (_path(OTHER_ROOM, good), origin, "a token for #lobby used on /ws/python"),
    ]

    async def refused(path: str, from_origin: str | None, what: str) -> None:
        from websockets.exceptions import ConnectionClosed, InvalidStatus

        ctx.step(f"connecting with {what}")
        try:
            client = await _connect(port, path, from_origin)
        except InvalidStatus as answer:
            if answer.response.status_code in (401, 403):
                return
            raise CheckFailed(f"a connection with {what} was answered HTTP {answer.response.status_code}; "
                              f"expected a refusal (HTTP 403, or a close code 4401/4403).{_sidecar_says(server)}"
                              ) from None
        try:
            frame = await asyncio.wait_for(client.recv(), RECV)
        except ConnectionClosed:
            code = client.close_code
            if code == 1008 or (code is not None and 4000 <= code <= 4999):
                return
            raise CheckFailed(f"a connection with {what} was closed with code {code} ({client.close_reason!r}); "
                              f"expected a refusal: 4401 (CLOSE_UNAUTHORIZED) or 4403 (CLOSE_FORBIDDEN)."
                              f"{_sidecar_says(server)}") from None
        except (asyncio.TimeoutError, TimeoutError):
            await client.close()
            raise CheckFailed(f"the sidecar accepted a connection with {what} and kept it open; refuse it "
                              "(close with CLOSE_UNAUTHORIZED or CLOSE_FORBIDDEN) before subscribing.") from None
        await client.close()
        raise CheckFailed(f"the sidecar accepted a connection with {what} and sent {frame!r:.120}; it must be refused.")

    async def scenario():
        for path, from_origin, what in attempts:
            await refused(path, from_origin, what)

    ctx.run_async(scenario, timeout=8)


def check_push(ctx: Context) -> None:
    server = _sidecar(ctx)
    ports = _ports(ctx)
    token = _token(ctx, "ada", ROOM)

    async def scenario():
        ctx.step("a websockets client with a good token connects to /ws/lobby and waits for the ready frame")
        client, ready = await _ready(ports["ws"], ROOM, token, ports["origin"], "the client", server)
        try:
            if ready["user"] != "ada":
                raise CheckFailed(f"the ready frame names the user {ready['user']!r}; the token was for 'ada'.")
            for n in (1, 2, 3):
                ctx.step(f"publishing message {n} on room:lobby with redis-py")
                message = _message(n)
                await _publish(ports["redis"].url, ROOM, message)
                await _expect_push(client, "the client", message, server)
        finally:
            await client.close()

    ctx.run_async(scenario, timeout=8)


def check_rooms(ctx: Context) -> None:
    server = _sidecar(ctx)
    ports = _ports(ctx)

    async def scenario():
        ctx.step("one client in #lobby, one in #python")
        lobby, _ = await _ready(ports["ws"], ROOM, _token(ctx, "ada", ROOM), ports["origin"], "the #lobby client",
                                server)
        python, _ = await _ready(ports["ws"], OTHER_ROOM, _token(ctx, "grace", OTHER_ROOM), ports["origin"],
                                 "the #python client", server)
        try:
            ctx.step("publishing on room:python")
            message = _message(7, OTHER_ROOM)
            await _publish(ports["redis"].url, OTHER_ROOM, message)
            await _expect_push(python, "the #python client", message, server)
            await _expect_nothing(lobby, "the #lobby client", "it was published to #python only")
            ctx.step("publishing on room:lobby")
            message = _message(8, ROOM)
            await _publish(ports["redis"].url, ROOM, message)
            await _expect_push(lobby, "the #lobby client", message, server)
            await _expect_nothing(python, "the #python client", "it was published to #lobby only")
        finally:
            await lobby.close()
            await python.close()

    ctx.run_async(scenario, timeout=8)


def check_fan_out(ctx: Context) -> None:
    server = _sidecar(ctx)
    ports = _ports(ctx)
    count = 20
    tokens = [_token(ctx, f"reader{i}", ROOM) for i in range(count)]

    async def scenario():
        ctx.step(f"{count} clients connect to #lobby")
        opened = await asyncio.gather(*(_ready(ports["ws"], ROOM, t, ports["origin"], f"client {i + 1} of {count}",
                                               server) for i, t in enumerate(tokens)), return_exceptions=True)
        clients = [o[0] for o in opened if not isinstance(o, BaseException)]
        try:
            problems = [o for o in opened if isinstance(o, BaseException)]
            if problems:
                raise problems[0]
            messages = [_message(n) for n in (100, 101, 102)]
            ctx.step(f"publishing 3 messages; each of the {count} clients must get all 3, in order")
            for message in messages:
                await _publish(ports["redis"].url, ROOM, message)

            async def receive_all(i, client):
                for message in messages:
                    await _expect_push(client, f"client {i + 1} of {count}", message, server)

            await asyncio.gather(*(receive_all(i, c) for i, c in enumerate(clients)))
        finally:
            await asyncio.gather(*(c.close() for c in clients), return_exceptions=True)

    ctx.run_async(scenario, timeout=10)


def _subscriptions(client, room: str) -> int:
    return dict(client.pubsub_numsub(f"room:{room}")).get(f"room:{room}", 0)


def _connections(client) -> int:
    return len(client.client_list()) - 1  # minus this checking connection


def check_cleanup(ctx: Context) -> None:
    server = _sidecar(ctx)
    ports = _ports(ctx)
    client = _redis(ctx)

    def settled(what: str, before: int, subscribed_before: int) -> None:
        deadline = time.monotonic() + 1.5
        while time.monotonic() < deadline:
            subscribed, connections = _subscriptions(client, ROOM), _connections(client)
            if subscribed <= subscribed_before and connections <= before:
                return
            time.sleep(0.05)
        if subscribed > subscribed_before:
            raise CheckFailed(f"after {what}, its subscription to room:lobby is still there 1.5 s later "
                              f"(PUBSUB NUMSUB room:lobby went from {subscribed_before} to {subscribed}). "
                              "Unsubscribe and close in a `finally:`, and make the handler notice the client left: "
                              "run until_client_leaves beside forward_messages."
                              f"{_sidecar_says(server)}")
        raise CheckFailed(f"after {what}, the sidecar unsubscribed but kept its Redis connection open "
                          f"({connections - before} more in CLIENT LIST): await pubsub.aclose() and client.aclose()."
                          f"{_sidecar_says(server)}")

    async def connect_and(how: str) -> None:
        ws, _ = await _ready(ports["ws"], ROOM, _token(ctx, "ada", ROOM), ports["origin"], "the client", server)
        deadline = time.monotonic() + 1.0  # SUBSCRIBE travels on another connection: give Redis a moment
        while _subscriptions(client, ROOM) <= subscribed_before and time.monotonic() < deadline:
            await asyncio.sleep(0.02)
        if _subscriptions(client, ROOM) <= subscribed_before:
            await ws.close()
            raise CheckFailed("the client got the ready frame, but PUBSUB NUMSUB room:lobby is 0: subscribe to "
                              "channel_for(room) before sending the ready frame.")
        if how == "close":
            await ws.close()
        else:
            ws.transport.abort()  # no Close frame: a laptop lid shut, a train in a tunnel
            await asyncio.sleep(0)

    ctx.step("waiting for earlier checks' subscriptions to room:lobby to end")
    deadline = time.monotonic() + 2.0
    while _subscriptions(client, ROOM) and time.monotonic() < deadline:
        time.sleep(0.05)
    before, subscribed_before = _connections(client), _subscriptions(client, ROOM)
    for how, what in (("close", "a client closed its socket cleanly"),
                      ("abort", "a client's connection broke (TCP reset, no Close frame)")):
        ctx.step(f"{what}; then PUBSUB NUMSUB and CLIENT LIST")
        ctx.run_async(connect_and, how, timeout=5)
        settled(what, before, subscribed_before)


# -- 3. Django and the sidecar together --------------------------------------------------------------------
def _http(url: str, method: str = "GET", *, cookie: str | None = None, form: dict | None = None
          ) -> tuple[int, dict, bytes]:
    parts = urllib.parse.urlsplit(url)
    connection = http.client.HTTPConnection(parts.hostname, parts.port, timeout=3)
    headers = {"Accept": "application/json"}
    body = None
    if cookie:
        headers["Cookie"] = cookie
    if form is not None:
        body = urllib.parse.urlencode(form)
        headers["Content-Type"] = "application/x-www-form-urlencoded"
    try:
        connection.request(method, parts.path + (f"?{parts.query}" if parts.query else ""), body, headers)
        response = connection.getresponse()
        return response.status, {k.lower(): v for k, v in response.getheaders()}, response.read()
    finally:
        connection.close()


def _django_answer(what: str, status: int, headers: dict, body: bytes, expected: int) -> dict:
    if status != expected:
        problem = headers.get("x-workshop-error")
        raise CheckFailed(f"{what} answered HTTP {status}" + (f": {problem}" if problem else f" {body[:150]!r}")
                          + f"; expected {expected}.")
    return json.loads(body)


def _login(url: str, name: str) -> str:
    status, headers, _ = _http(f"{url}/login?name={name}&next=/room/{ROOM}/")
    if status != 302 or "set-cookie" not in headers:
        raise CheckFailed(f"logging in as {name} answered HTTP {status} (scaffolding); is the lesson folder intact?")
    return headers["set-cookie"].split(";", 1)[0]


def check_end_to_end(ctx: Context) -> None:
    server = _sidecar(ctx)
    url = _site(ctx)
    ports = _ports(ctx)
    _redis(ctx)
    cookie = _login(url, "ada")
    ctx.step("GET /room/lobby/token (make_token) as ada")
    ticket = _django_answer("GET /room/lobby/token", *_http(f"{url}/room/{ROOM}/token", cookie=cookie), 200)

    async def scenario():
        ctx.step(f"connecting to {ticket['url']} with Django's token")
        client, ready = await _ready(ports["ws"], ROOM, ticket["token"], ports["origin"], "the client", server)
        try:
            if ready["user"] != "ada":
                raise CheckFailed(f"the sidecar's ready frame says user {ready['user']!r}; Django's token was for ada.")
            ctx.step("POST /room/lobby/messages text=… as ada (Django stores it and calls publish_message)")
            loop = asyncio.get_running_loop()
            answer = await loop.run_in_executor(None, lambda: _http(f"{url}/room/{ROOM}/messages", "POST", cookie=cookie,
                                                                    form={"text": "from Django to the socket"}))
            stored = _django_answer("POST /room/lobby/messages", *answer, 201)
            await _expect_push(client, "the client", stored, server)
        finally:
            await client.close()

    ctx.run_async(scenario, timeout=8)


def check_browser_two_pages(ctx: Context) -> None:
    import threading

    box: dict = {}

    def start_servers():
        try:
            box["sidecar"] = _sidecar(ctx)
            box["url"] = _site(ctx)
        except BaseException as exc:  # noqa: BLE001 - re-raised below, in the check's own thread
            box["error"] = exc

    starter = threading.Thread(target=start_servers, daemon=True)
    starter.start()
    ctx.browser()  # Chromium launches while the sidecar imports websockets, redis and Django's signing
    starter.join(20)
    if "error" in box:
        raise box["error"]
    server, url = box["sidecar"], box["url"]
    client = _redis(ctx)
    from newsroom import store

    store.save_message(client, ROOM, "carol", "welcome to the lobby")

    def open_room(name: str):
        page = ctx.new_page()
        ctx.step(f"{name} opens {url}/room/{ROOM}/ in Chromium")
        page.goto(f"{url}/login?name={name}&next=/room/{ROOM}/")
        try:
            page.wait_for_function("document.body.dataset.state === 'live' || document.body.dataset.problem",
                                   timeout=4000)
        except Exception:  # noqa: BLE001 - Playwright's TimeoutError
            pass
        if page.evaluate("document.body.dataset.state") != "live":
            problem = page.evaluate("document.body.dataset.problem") or page.evaluate(
                "document.getElementById('status').textContent")
            raise CheckFailed(f"{name}'s page never went live (the sidecar's ready frame did not arrive): "
                              f"{problem}{_sidecar_says(server)}")
        return page

    def shown(page) -> list[str]:
        return page.eval_on_selector_all("#messages li", "items => items.map(li => li.textContent)")

    def wait_for(page, name: str, text: str) -> None:
        ctx.step(f"waiting for {text!r} on {name}'s page")
        try:
            page.wait_for_function(
                f"[...document.querySelectorAll('#messages li')].some(li => li.textContent.includes({json.dumps(text)}))",
                timeout=3000)
        except Exception:  # noqa: BLE001
            raise CheckFailed(f"{name}'s page shows {shown(page)}; expected a line with {text!r}."
                              f"{_sidecar_says(server)}") from None

    ada = open_room("ada")
    grace = open_room("grace")
    wait_for(grace, "grace", "welcome to the lobby")
    ctx.step("ada types a message and presses Post")
    ada.fill("#post input[name=text]", "Hello Grace, via Redis!")
    ada.click("#post button")
    wait_for(grace, "grace", "Hello Grace, via Redis!")
    if grace.eval_on_selector_all("#messages li.pushed", "items => items.length") < 1:
        raise CheckFailed("grace's page shows ada's message, but not as a push from the sidecar.")
    wait_for(ada, "ada", "Hello Grace, via Redis!")
    grace.fill("#post input[name=text]", "Loud and clear")
    grace.press("#post input[name=text]", "Enter")
    wait_for(ada, "ada", "Loud and clear")
    for page, name in ((ada, "ada"), (grace, "grace")):
        lines = shown(page)
        twice = sorted({line for line in lines if lines.count(line) > 1})
        if twice:
            raise CheckFailed(f"{name}'s page shows {twice} more than once; a message has one id and is shown once.")


CHECKS = register(
    check_tokens, check_publish, check_origin, check_sidecar_refuses, check_push, check_rooms,
    check_fan_out, check_cleanup, check_end_to_end, check_browser_two_pages,
)
