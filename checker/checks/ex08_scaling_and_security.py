"""Checks for lesson 08 (scaling out and security).

Two rings:

1. The helpers as plain code: ``origin_allowed`` on a table of tricky origins, ``TokenBucket``
   with a clock the check controls (the clock is the learner's own parameter), ``validate_message``,
   and the Redis connection counter against a real Redis.
2. A real cluster: a real Redis, two Daphne processes running the learner's consumer, and the
   lesson's round-robin balancer in front; ``websockets`` clients (and, in its own worker, two
   Chromium pages) connect to the balancer's single port.

Every server shares this grading process's SQLite file, so the session cookies made here work on
both backends. Each check uses user names of its own, so the Redis counts never mix.
"""

from __future__ import annotations

import asyncio
import itertools
import json
import re
import socket
import threading
import uuid
from concurrent.futures import ThreadPoolExecutor

from checker.checks import register
from checker.api import CheckFailed, Context

RECV = 2.0  # seconds to wait for a frame the server should send
FOREIGN_ORIGINS = ["http://evil.example", "http://127.0.0.1.evil.example"]

_DB_THREAD = ThreadPoolExecutor(max_workers=1, thread_name_prefix="checks-orm")


def _db(function, *args):
    return _DB_THREAD.submit(function, *args).result(timeout=15)


# -- 1. plain code -------------------------------------------------------------------------------
ALLOWED = ["http://127.0.0.1:8000", "https://chat.example.com"]
ORIGIN_TABLE = [
    ("http://127.0.0.1:8000", True, "the page's own origin"),
    ("HTTP://127.0.0.1:8000", True, "the scheme in capitals (schemes are case-insensitive)"),
    ("https://chat.example.com", True, "an allowed https origin"),
    ("https://CHAT.Example.com", True, "the host in capitals (host names are case-insensitive)"),
    ("https://chat.example.com:443", True, "https's default port written out (same origin)"),
    (None, False, "no Origin header at all"),
    ("", False, "an empty Origin"),
    ("null", False, "'null' (sandboxed iframes, file:// pages)"),
    ("http://127.0.0.1:8001", False, "another port"),
    ("https://127.0.0.1:8000", False, "https instead of http"),
    ("http://127.0.0.1", False, "no port (that is port 80)"),
    ("http://127.0.0.1.evil.example:8000", False, "a host that merely starts with 127.0.0.1"),
    ("http://127.0.0.1:8000.evil.example", False, "a host that starts with '127.0.0.1:8000'"),
    ("http://127.0.0.1:8000@evil.example", False, "user info before another host (the host is evil.example)"),
    ("https://chat.example.com.evil.example", False, "an allowed host as a prefix of another"),
    ("https://evilchat.example.com", False, "an allowed host as a suffix of another"),
    ("https://sub.chat.example.com", False, "a subdomain"),
    ("http://chat.example.com", False, "http where only https is allowed"),
    ("https://chat.example.com:8443", False, "another port on an allowed host"),
    ("ws://127.0.0.1:8000", False, "a ws:// 'origin' (pages have http(s) origins)"),
]


def check_origin_allowed(ctx: Context) -> None:
    security = ctx.import_learner("security")
    wrong = []
    for origin, expected, what in ORIGIN_TABLE:
        ctx.step(f"origin_allowed({origin!r}, {ALLOWED})")
        got = security.origin_allowed(origin, list(ALLOWED))
        if bool(got) != expected or not isinstance(got, bool):
            wrong.append(f"  {origin!r} ({what}): returned {got!r}, expected {expected}")
    if wrong:
        raise CheckFailed(f"origin_allowed(origin, {ALLOWED}) was wrong for {len(wrong)} of {len(ORIGIN_TABLE)} "
                          "origins:\n" + "\n".join(wrong[:6]) +
                          "\nCompare (scheme, host, port) exactly, after urllib.parse.urlsplit; never startswith/in.")


class _Clock:
    """A clock the check moves by hand: ``clock()`` is the time, ``clock.now += 0.5`` moves it."""

    def __init__(self, start: float = 1000.0):
        self.now = start

    def __call__(self) -> float:
        return self.now


def check_token_bucket(ctx: Context) -> None:
    security = ctx.import_learner("security")
    clock = _Clock()
    ctx.step("TokenBucket(rate=4, burst=3, clock=clock)")
    bucket = security.TokenBucket(4, 3, clock=clock)

    def expect(pattern: list[bool], when: str) -> None:
        got = [bucket.allow() for _ in pattern]
        if got != pattern:
            raise CheckFailed(f"TokenBucket(rate=4/s, burst=3): {when}, allow() x{len(pattern)} returned {got}; "
                              f"expected {pattern}.")

    ctx.step("a full bucket lets a burst of 3 through, then refuses")
    expect([True, True, True, False, False], "with no time passing")
    clock.now += 0.125
    expect([False], "0.125 s later (half a token)")
    clock.now += 0.125
    expect([True, False], "0.125 s more (a whole token: a refused call must not have spent the half)")
    clock.now += 100
    expect([True, True, True, False], "100 s later (the bucket holds at most burst=3)")
    clock.now -= 50
    expect([False], "after the clock went back 50 s (no tokens from a backwards clock)")
    clock.now += 0.5
    got = bucket.allow()
    if got is not True:
        raise CheckFailed("after the clock went back and then forward 0.5 s (2 tokens at 4/s), allow() returned "
                          f"{got!r}; expected True. Remember the clock's reading each time, even when it went back.")
    for rate, burst in ((0, 3), (-1, 3), (4, 0)):
        ctx.step(f"TokenBucket(rate={rate}, burst={burst}) must raise ValueError")
        try:
            security.TokenBucket(rate, burst, clock=clock)
        except ValueError:
            continue
        raise CheckFailed(f"TokenBucket(rate={rate}, burst={burst}) was accepted; raise ValueError (a bucket that "
                          "never refills or never holds a token is a configuration mistake).")


def check_validate_message(ctx: Context) -> None:
    security = ctx.import_learner("security")
    for data, expected in [('{"type": "message", "text": "hi"}', "hi"),
                           ('{"type": "message", "text": "  spaced  ", "x": 1}', "spaced"),
                           (json.dumps({"type": "message", "text": "é" * 50}, ensure_ascii=False), "é" * 50)]:
        ctx.step(f"validate_message({data!r:.50}, 100)")
        got = security.validate_message(data, 100)
        if got != expected:
            raise CheckFailed(f"validate_message({data!r:.60}, 100) returned {got!r:.60}; expected {expected!r:.60}.")
    big = json.dumps({"type": "message", "text": "x" * 200})
    ctx.step("validate_message(a 213-character frame, 100)")
    try:
        security.validate_message(big, 100)
    except security.MessageTooLarge:
        pass
    except security.InvalidMessage:
        raise CheckFailed("a 213-character frame with max_length=100 raised InvalidMessage; raise MessageTooLarge "
                          "(the consumer closes the connection for it).") from None
    else:
        raise CheckFailed("a 213-character frame with max_length=100 was accepted; raise MessageTooLarge.")
    ctx.step("validate_message(<50,000 characters of not-JSON>, 100)")
    try:
        security.validate_message("[" * 50_000, 100)
    except security.MessageTooLarge:
        pass
    except Exception as exc:  # noqa: BLE001 - what the learner's function raised
        raise CheckFailed(f"50,000 characters of '[' raised {type(exc).__name__}; expected MessageTooLarge. Check "
                          "the size BEFORE json.loads: parsing an oversized frame is the cost you are avoiding.") from None
    for data, what in [(None, "a binary frame (None)"), ("{oops", "not JSON"), ("[1]", "a JSON array"),
                       ('{"type": "shout", "text": "hi"}', "another type"), ('{"type": "message"}', "no text"),
                       ('{"type": "message", "text": 5}', "a number as text"),
                       ('{"type": "message", "text": "   "}', "only spaces")]:
        ctx.step(f"validate_message({data!r}, 100) ({what})")
        try:
            got = security.validate_message(data, 100)
        except security.MessageTooLarge:
            raise CheckFailed(f"{what} raised MessageTooLarge; it is small: raise InvalidMessage.") from None
        except security.InvalidMessage as problem:
            if not str(problem).strip():
                raise CheckFailed(f"{what}: InvalidMessage() has no text; say why (the sender sees it).") from None
            continue
        except Exception as exc:  # noqa: BLE001
            raise CheckFailed(f"validate_message({data!r}, 100) ({what}) raised {type(exc).__name__}: {exc}; "
                              "raise InvalidMessage('why') instead.") from None
        raise CheckFailed(f"validate_message({data!r}, 100) ({what}) returned {got!r}; raise InvalidMessage.")


def _ensure_django() -> None:
    from scalesite.setup import ensure_django

    ensure_django()


def check_count_connections(ctx: Context) -> None:
    _ensure_django()
    consumers = ctx.import_learner("consumers")
    url = ctx.redis().url
    user, other = f"u-{uuid.uuid4().hex[:8]}", f"v-{uuid.uuid4().hex[:8]}"

    async def scenario():
        import redis.asyncio as aioredis

        client = aioredis.Redis.from_url(url, decode_responses=True)
        try:
            got = []
            for _ in range(3):
                ctx.step(f"count_connection(redis, {user!r}, ttl=60)")
                got.append(await consumers.count_connection(client, user, 60))
            if got != [1, 2, 3]:
                raise CheckFailed(f"count_connection returned {got} for three connections; expected [1, 2, 3] "
                                  "(redis.incr returns the new value).")
            first = await consumers.count_connection(client, other, 60)
            if first != 1:
                raise CheckFailed(f"another user's first connection was counted as {first}; each user needs a key of "
                                  "its own (connections_key(user_id)).")
            ttl = await client.ttl(consumers.connections_key(user))
            if not 0 < ttl <= 60:
                raise CheckFailed(f"the key {consumers.connections_key(user)!r} has TTL {ttl}; set one (redis.expire) "
                                  "so a crashed process's counts do not lock a user out forever.")
            ctx.step(f"release_connection(redis, {user!r})")
            left = await consumers.release_connection(client, user)
            stored = await client.get(consumers.connections_key(user))
            if left != 2 or str(stored) != "2":
                raise CheckFailed(f"after one release, release_connection returned {left!r} and Redis holds {stored!r};"
                                  " expected 2 (redis.decr).")
        finally:
            await client.aclose()

    ctx.run_async(scenario, timeout=5)


# -- 2. the cluster ------------------------------------------------------------------------------
def _cluster(ctx: Context):
    """Redis, two Daphnes with the learner's consumer, the balancer: once per grading worker."""

    def factory():
        import contextlib

        from django.conf import settings

        from cluster import Cluster
        from scalesite.setup import ensure_schema

        _ensure_django()
        _db(ensure_schema)
        redis_url = ctx.redis().url
        ctx.step("starting Redis, two Daphne processes and the round-robin balancer")

        @contextlib.contextmanager
        def running():
            cluster = Cluster(ctx.exercise_dir, backends=2, redis_url=redis_url,
                              db_path=str(settings.DATABASES["default"]["NAME"]))
            try:
                cluster.start()
            except RuntimeError as exc:
                raise CheckFailed(str(exc)) from None
            try:
                yield cluster
            finally:
                cluster.stop()

        return running()

    return ctx.resource("cluster", factory)


def _cookie(name: str) -> str:
    from scaleroom.accounts import session_cookie_for

    return _db(session_cookie_for, name)


def _users(*prefixes: str) -> list[str]:
    tag = uuid.uuid4().hex[:6]
    return [f"{p}-{tag}" for p in prefixes]


def _server_says(cluster) -> str:
    """What the backends' logs say that helps: a stub, a traceback's last line in the learner's code."""
    log = cluster.logs(80)
    lines = log.splitlines()
    found = []
    for line in lines:
        if "Lesson 08" in line:
            found.append(line.strip())
    where = [m for m in re.finditer(r'File "([^"]*(?:exercises|solutions)[^"]*)", line (\d+), in (\w+)', log)]
    errors = [line for line in lines if re.match(r"^\w+(Error|Exception|NotImplementedError)\b", line.strip())]
    if errors:
        text = errors[-1].strip()
        if where:
            path, number, function = where[-1].groups()
            text += f" (in {path.rsplit('/', 1)[-1]}, line {number}, in {function})"
        if "NotImplementedError" in text:
            text += ": that function is still a stub."
        found.append(text)
    return ("\nThe servers' log says: " + " | ".join(found[-2:])) if found else ""


async def _connect(cluster, cookie: str | None, origin: str | None = "own"):
    from websockets.asyncio.client import connect

    headers = {"Cookie": f"sessionid={cookie}"} if cookie else {}
    return await connect(f"ws://127.0.0.1:{cluster.port}/ws/chat/",
                         origin=cluster.origin if origin == "own" else origin,
                         additional_headers=headers, open_timeout=3, max_size=2 ** 22)


async def _recv(client, who: str, waiting_for: str, cluster) -> dict:
    from websockets.exceptions import ConnectionClosed

    try:
        text = await asyncio.wait_for(client.recv(), RECV)
    except (asyncio.TimeoutError, TimeoutError):
        raise CheckFailed(f"{who} waited {RECV:g} s for {waiting_for}; nothing came.{_server_says(cluster)}") from None
    except ConnectionClosed as closed:
        raise CheckFailed(f"{who}'s connection closed (code {closed.rcvd.code if closed.rcvd else 'none'}) while "
                          f"waiting for {waiting_for}.{_server_says(cluster)}") from None
    try:
        return json.loads(text)
    except ValueError:
        raise CheckFailed(f"{who} got a frame that is not JSON: {text!r:.100}") from None


async def _open(cluster, name: str, cookie: str) -> tuple[object, str]:
    """A signed-in client through the balancer, past its hello; (client, backend name)."""
    from websockets.exceptions import InvalidStatus

    try:
        client = await _connect(cluster, cookie)
    except InvalidStatus as refused:
        status = refused.response.status_code
        why = ("connect() raised an exception (Daphne answers 500)" if status >= 500 else
               "a signed-in user from the page's own origin must be accepted")
        raise CheckFailed(f"{name} (signed in, Origin {cluster.origin}) was refused with HTTP {status}: {why}."
                          f"{_server_says(cluster)}") from None
    hello = await _recv(client, name, 'the hello ({"type": "hello", "backend": ...}) after accept()', cluster)
    if not isinstance(hello, dict) or hello.get("type") != "hello" or not hello.get("backend"):
        await client.close()
        raise CheckFailed(f"{name}'s first frame was {hello!r:.150}; expected {{\"type\": \"hello\", \"backend\": "
                          "settings.BACKEND_NAME, \"user\": ...}.")
    return client, hello["backend"]


async def _on_two_backends(cluster, names: list[str]) -> list[tuple[object, str, str]]:
    """Connect ``names`` in turn through the balancer until the first two sit on different backends."""
    opened = []
    for name in names:
        client, backend = await _open(cluster, name, _cookie(name))
        opened.append((client, backend, name))
    backends = {b for _, b, _ in opened}
    if len(backends) < 2:
        for client, _, _ in opened:
            await client.close()
        raise CheckFailed(f"every connection through the balancer said it was on {backends}; the hello must carry "
                          "settings.BACKEND_NAME (each Daphne has its own).")
    return opened


async def _closed_with(client, who: str, cluster, waiting: float = RECV) -> tuple[int | None, list]:
    """Read until the server closes; (close code, frames seen meanwhile)."""
    from websockets.exceptions import ConnectionClosed

    frames = []
    try:
        async with asyncio.timeout(waiting):
            while True:
                frames.append(json.loads(await client.recv()))
    except ConnectionClosed as closed:
        return (closed.rcvd.code if closed.rcvd else None), frames
    except (asyncio.TimeoutError, TimeoutError):
        return None, frames


def check_cross_backend(ctx: Context) -> None:
    cluster = _cluster(ctx)
    ada, bob = _users("ada", "bob")

    async def scenario():
        ctx.step("ada and bob connect through the balancer (round-robin: two backends)")
        opened = await _on_two_backends(cluster, [ada, bob])
        (a, a_backend, _), (b, b_backend, _) = opened
        try:
            ctx.step(f"ada (on {a_backend}) sends; bob is on {b_backend}")
            await a.send(json.dumps({"type": "message", "text": "hello from A"}))
            for client, who in ((b, f"bob (on {b_backend})"), (a, f"ada (on {a_backend})")):
                frame = await _recv(client, who, "ada's message (group_send reaches every process; self.send "
                                    "only the sender)", cluster)
                if frame.get("type") != "message" or frame.get("text") != "hello from A" or frame.get("author") != ada:
                    raise CheckFailed(f"{who} received {frame!r:.200}; expected {{\"type\": \"message\", \"author\": "
                                      f"{ada!r}, \"text\": \"hello from A\", ...}}. A message must go to the group "
                                      "(group_send through the Redis layer), not to the sender (self.send).")
            ctx.step(f"bob (on {b_backend}) answers")
            await b.send(json.dumps({"type": "message", "text": "hi back from B"}))
            frame = await _recv(a, f"ada (on {a_backend})", "bob's answer from the other process", cluster)
            if frame.get("text") != "hi back from B" or frame.get("author") != bob:
                raise CheckFailed(f"ada received {frame!r:.200}; expected bob's 'hi back from B'.")
        finally:
            for client, _, _ in opened:
                await client.close()

    ctx.run_async(scenario, timeout=10)


def check_foreign_origin(ctx: Context) -> None:
    cluster = _cluster(ctx)
    (eve,) = _users("eve")

    async def scenario():
        from websockets.exceptions import InvalidStatus

        cookie = _cookie(eve)
        ctx.step("eve connects from the page's own origin (must work, twice: both backends)")
        for _ in range(2):
            client, _ = await _open(cluster, f"{eve} (own origin)", cookie)
            await client.close()
        for origin in FOREIGN_ORIGINS + [f"{cluster.origin}@evil.example", None]:
            what = f"Origin {origin}" if origin else "no Origin header"
            for _ in range(2):  # round-robin: once on each backend
                ctx.step(f"a handshake with eve's cookie and {what}")
                try:
                    client = await _connect(cluster, cookie, origin)
                except InvalidStatus as refused:
                    if refused.response.status_code != 403:
                        raise CheckFailed(f"a handshake with {what} got HTTP {refused.response.status_code}; "
                                          "expected 403 (self.close() before accept()).") from None
                    continue
                await client.close()
                raise CheckFailed(f"a handshake carrying eve's session cookie with {what} was accepted: that is "
                                  "Cross-Site WebSocket Hijacking (any site's page can open it, the browser adds the "
                                  "cookie). In connect(), refuse before accept() unless origin_allowed(origin, "
                                  "settings.WS_ALLOWED_ORIGINS).")

    ctx.run_async(scenario, timeout=10)


def check_anonymous(ctx: Context) -> None:
    cluster = _cluster(ctx)

    async def scenario():
        from websockets.exceptions import InvalidStatus

        for attempt in range(2):
            ctx.step("a handshake from the page's origin without a session cookie")
            try:
                client = await _connect(cluster, None)
            except InvalidStatus as refused:
                raise CheckFailed(f"an anonymous handshake got HTTP {refused.response.status_code}; accept() and then "
                                  "close(code=4401), so the page can tell 'sign in' from other failures."
                                  f"{_server_says(cluster)}") from None
            code, frames = await _closed_with(client, "the anonymous client", cluster)
            await client.close()
            if code != 4401:
                said = f"closed with {code}" if code else "stayed open"
                raise CheckFailed(f"an anonymous connection {said} after receiving {frames!r:.150}; expected close code "
                                  "4401 and nothing else (check scope['user'].is_authenticated).")

    ctx.run_async(scenario, timeout=10)


def check_rate_limit(ctx: Context) -> None:
    cluster = _cluster(ctx)
    (flo,) = _users("flo")

    async def scenario():
        client, backend = await _open(cluster, flo, _cookie(flo))
        try:
            ctx.step(f"flo (on {backend}) sends 30 messages at once (burst 10, 5/s)")
            for i in range(30):
                try:
                    await client.send(json.dumps({"type": "message", "text": f"flood {i}"}))
                except Exception:  # noqa: BLE001 - closed by the server mid-flood: fine
                    break
            code, frames = await _closed_with(client, "flo", cluster, waiting=3)
        finally:
            await client.close()
        delivered = [f for f in frames if f.get("type") == "message"]
        errors = [f for f in frames if f.get("type") == "error"]
        if len(delivered) < 8:
            raise CheckFailed(f"only {len(delivered)} of the first 10 messages came back; a full bucket "
                              "(burst 10) lets a burst through before limiting.")
        if len(delivered) > 20:  # 10 + 5/s refill: a slow, busy machine may let a few more through
            raise CheckFailed(f"{len(delivered)} of 30 messages sent at once were broadcast; with burst 10 and 5/s, "
                              "about 10 should pass: call self.bucket.allow() for every frame.")
        if not errors:
            raise CheckFailed("no {\"type\": \"error\"} frame told flo to slow down before the connection ended; send "
                              "one for each refused message until the strikes run out.")
        if code != 4429:
            raise CheckFailed(f"after the flood the connection {'closed with ' + str(code) if code else 'stayed open'}; "
                              f"expected close code 4429 after {3} refused messages.")

    ctx.run_async(scenario, timeout=10)


def check_message_size(ctx: Context) -> None:
    cluster = _cluster(ctx)
    (max_,) = _users("max")

    async def scenario():
        client, _ = await _open(cluster, max_, _cookie(max_))
        try:
            ctx.step("max sends a normal message, then one with 5,000 characters (limit 2,000)")
            await client.send(json.dumps({"type": "message", "text": "small"}))
            frame = await _recv(client, max_, "his own small message", cluster)
            if frame.get("text") != "small":
                raise CheckFailed(f"a normal message came back as {frame!r:.150}.")
            await client.send(json.dumps({"type": "message", "text": "x" * 5000}))
            code, frames = await _closed_with(client, max_, cluster)
        finally:
            await client.close()
        if any(f.get("type") == "message" for f in frames):
            raise CheckFailed("the 5,000-character message was broadcast; the limit is settings.WS_MAX_MESSAGE (2,000).")
        if code != 4413:
            raise CheckFailed(f"after a 5,000-character message the connection "
                              f"{'closed with ' + str(code) if code else 'stayed open'}; expected close code 4413 "
                              "(validate_message raises MessageTooLarge; the consumer closes).")

    ctx.run_async(scenario, timeout=10)


def check_connection_cap(ctx: Context) -> None:
    cluster = _cluster(ctx)
    (cap,) = _users("cap")

    async def scenario():
        cookie = _cookie(cap)
        clients, backends = [], []
        try:
            for i in range(3):
                ctx.step(f"cap opens socket {i + 1} of 3 (the limit)")
                client, backend = await _open(cluster, f"{cap}'s socket {i + 1}", cookie)
                clients.append(client)
                backends.append(backend)
            ctx.step(f"cap opens a 4th socket (the first three are on {backends})")
            fourth = await _connect(cluster, cookie)
            code, frames = await _closed_with(fourth, "the 4th socket", cluster)
            await fourth.close()
            if code != 4409:
                said = f"closed with {code}" if code else f"stayed open (frames: {frames!r:.100})"
                raise CheckFailed(f"a 4th socket for one user, with 3 open on {sorted(set(backends))}, {said}; expected "
                                  "close code 4409. The count must live in Redis (count_connection) so both "
                                  "processes see it.")
            ctx.step("cap closes one socket; a new one must be accepted (disconnect releases the count)")
            await clients.pop().close()
            for attempt in range(10):
                await asyncio.sleep(0.1)
                client = await _connect(cluster, cookie)
                text = None
                try:
                    text = await asyncio.wait_for(client.recv(), RECV)
                except Exception:  # noqa: BLE001 - closed (still over the cap) or silent
                    await client.close()
                    continue
                clients.append(client)
                if json.loads(text).get("type") == "hello":
                    return
            raise CheckFailed("after closing one of 3 sockets, new sockets were still refused: release_connection "
                              "must run in disconnect() for every counted connection (also the refused ones).")
        finally:
            for client in clients:
                await client.close()

    ctx.run_async(scenario, timeout=12)


def check_browser_two_backends(ctx: Context) -> None:
    box: dict = {}

    def start() -> None:
        try:
            box["cluster"] = _cluster(ctx)
        except BaseException as exc:  # noqa: BLE001 - re-raised in the check's thread
            box["error"] = exc

    starter = threading.Thread(target=start, daemon=True)
    starter.start()
    ctx.browser()  # Chromium launches while the Daphnes import Django
    starter.join(30)
    if "error" in box:
        raise box["error"]
    cluster = box["cluster"]
    names = itertools.chain(_users("ann", "ben", "cat", "dan"))

    def open_page(name: str):
        page = ctx.new_page()
        ctx.step(f"{name} opens {cluster.url} and enters the room")
        page.goto(cluster.url)
        page.fill("#login input[name=username]", name)
        page.click("#login button")
        try:
            page.wait_for_function("document.body.dataset.backend || document.body.dataset.state === 'closed'")
        except Exception:  # noqa: BLE001 - Playwright's TimeoutError
            pass
        backend = page.evaluate("document.body.dataset.backend")
        if not backend:
            state = page.evaluate("document.body.dataset.state")
            code = page.evaluate("document.body.dataset.closeCode")
            raise CheckFailed(f"{name}'s page: the WebSocket is {state or 'not open'}"
                              f"{' (close code ' + code + ')' if code else ''} and no hello arrived."
                              f"{_server_says(cluster)}")
        return page, backend

    pages = [open_page(next(names)) + (None,)]
    first_backend = pages[0][1]
    for _ in range(3):
        # Round-robin counts TCP connections, not pages: each page makes two (its keep-alive HTTP
        # connection and its WebSocket), so with two backends every page's socket would land on
        # the same one. One extra connection moves the turn on, as other visitors would.
        ctx.step("one extra TCP connection to the balancer (another visitor, as far as round-robin knows)")
        with socket.create_connection(("127.0.0.1", cluster.port), timeout=2):
            pass
        name = next(names)
        page, backend = open_page(name)
        if backend != first_backend:
            second = (page, backend, name)
            break
    else:
        raise CheckFailed(f"four pages through the balancer all held sockets on {first_backend}.")
    page_a, backend_a = pages[0][0], pages[0][1]
    page_b, backend_b, name_b = second
    name_a = page_a.evaluate("document.getElementById('me').textContent")

    def wait_for(page, who: str, author: str, text: str) -> None:
        ctx.step(f"waiting for {author}'s {text!r} on {who}'s page")
        try:
            page.wait_for_function(
                f"[...document.querySelectorAll(\"#messages li[data-author='{author}']\")]"
                f".some(li => li.textContent.includes({json.dumps(text)}))", timeout=3000)
        except Exception:  # noqa: BLE001
            shown = page.eval_on_selector_all("#messages li", "items => items.map(li => li.textContent)")
            raise CheckFailed(f"{who}'s page (socket on its backend) shows {shown}; expected {author}: {text}."
                              f"{_server_says(cluster)}") from None

    ctx.step(f"{name_a} (socket on {backend_a}) sends; {name_b} is on {backend_b}")
    page_a.fill("#send input[name=text]", "from the first backend")
    page_a.click("#send button")
    wait_for(page_b, name_b, name_a, "from the first backend")
    page_b.fill("#send input[name=text]", "and back from the second")
    page_b.press("#send input[name=text]", "Enter")
    wait_for(page_a, name_a, name_b, "and back from the second")


CHECKS = register(
    check_origin_allowed, check_token_bucket, check_validate_message, check_count_connections,
    check_cross_backend, check_foreign_origin, check_anonymous, check_rate_limit,
    check_message_size, check_connection_cap, check_browser_two_backends,
)
