"""Rings 2 and 3: the learner's ``offload.py`` on the real offloading pair, as uWSGI's article sets it up.

One grading process starts Redis and the lesson's two uWSGI instances (the launcher's
``Ports(front=0, held=0)``): Django in 4 plain workers with an offload thread each, and the gevent
instance holding the streams. The checks talk only to the front, like a browser would, and judge
by what the servers themselves report: the held instance's ``X-Offloaded`` header (the mark it
received), Redis's ``PUBSUB NUMSUB`` (live subscriptions), and the ``[workshop]`` lines of both
logs. "More streams than workers" is shown, not timed: 12 streams are open on 4 Django workers,
and an ordinary page still gets an answer at all.
"""

from __future__ import annotations

import json
import socket

from checker import launchers
from checker.api import CheckFailed, Context, lazy_import
from checker.probes import page as page_probe
from checker.probes import redis_watch
from checker.probes import ws as ws_probe
from checker.probes.uwsgi_log import UwsgiLog
from workshop.launch import Ports

from .support import failure, started

http_probe = lazy_import("checker.probes.http")  # these two import Django: not for ring 1's gradings
sse_probe = lazy_import("checker.probes.sse")

WORKERS = 4  # Django's workers on the front
HELD = 3 * WORKERS  # streams held at once: three times the workers
ROOM = "lobby"
SESSION = 20  # seconds for a whole websockets session (scaled by ctx.run_async)


class Pair:
    """The running pair: URLs, both logs, a Redis client, and logging in."""

    def __init__(self, site, redis_url: str):
        import redis

        self.site, self.port = site, site.ports["front"]
        self.url, self.ws_url = site.url("front"), site.url("front", "ws")
        self.redis = redis.Redis.from_url(redis_url)
        self.logs: list[UwsgiLog] = []
        self.read_logs_from_now()

    def read_logs_from_now(self) -> None:
        """Each check judges only what both instances logged while it ran."""
        self.logs = [UwsgiLog(self.site.services[name].log_path) for name in ("front", "held")]

    def login(self, name: str, wait: float) -> str:
        reply = http_probe.post(self.url + "/login", {"name": name}, timeout=wait)
        cookie = reply.headers.get("Set-Cookie", "").split(";")[0]
        if reply.status != 200 or not cookie:
            raise CheckFailed(f"POST /login as {name} answered HTTP {reply.status} without a cookie (lesson scaffolding).")
        return cookie

    def post(self, cookie: str, text: str, wait: float, room: str = ROOM) -> None:
        """Django's own publishing view, as a logged-in user."""
        import urllib.request

        request = urllib.request.Request(f"{self.url}/rooms/{room}/messages", data=json.dumps({"text": text}).encode(),
                                         method="POST", headers={"Cookie": cookie})
        with urllib.request.urlopen(request, timeout=wait) as reply:
            reply.read()

    def raise_problems(self, during: str, settle: float, front_only: bool = False) -> None:
        for log in self.logs[:1] if front_only else self.logs:
            log.raise_problems(during, settle=settle)

    def subscribers(self, room: str = ROOM) -> int:
        return redis_watch.subscribers(self.redis, f"room:{room}".encode())

    def publish(self, user: str, text: str, room: str = ROOM) -> None:
        self.redis.publish(f"room:{room}", json.dumps({"user": user, "text": text}))


def _pair(ctx: Context) -> Pair:
    lesson = launchers.load(ctx.lesson_dir)
    redis_url = ctx.redis().url
    ctx.step(f"starting the offloading pair: Django in {WORKERS} uWSGI workers, and the gevent instance")
    site = started(ctx, lesson, "offload", lambda: lesson.launch(
        ctx.exercise_dir, Ports(front=0, held=0), redis_url=redis_url, front_processes=WORKERS,
        ready_timeout=ctx.timeout(15)))
    pair = ctx.resource("offload-pair", lambda: _Holder(Pair(site, redis_url))).value
    pair.read_logs_from_now()
    return pair


class _Holder:
    def __init__(self, value):
        self.value = value

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.value.redis.close()


def _head(pair: Pair, path: str, headers: dict, wait: float) -> tuple[int, dict]:
    """Send ``GET path``; return the status and headers of the answer, then hang up."""
    lines = [f"GET {path} HTTP/1.1", f"Host: 127.0.0.1:{pair.port}", *(f"{k}: {v}" for k, v in headers.items()), "", ""]
    with socket.create_connection(("127.0.0.1", pair.port), timeout=wait) as sock:
        sock.sendall("\r\n".join(lines).encode())
        data = b""
        while b"\r\n\r\n" not in data:
            chunk = sock.recv(4096)
            if not chunk:
                break
            data += chunk
    status_line, *rest = data.split(b"\r\n\r\n")[0].decode("latin-1").split("\r\n")
    if not status_line:
        raise CheckFailed(f"GET {path}: the connection closed without an answer.")
    return int(status_line.split()[1]), {k.strip().lower(): v.strip() for k, _, v in (h.partition(":") for h in rest)}


def _refused(pair: Pair, what: str, path: str, headers: dict, wait: float, why: str) -> None:
    status, got = _head(pair, path, headers, wait)
    if status in (500, 501) and "x-workshop-error" in got:
        raise CheckFailed(f"{what}: HTTP {status}: {got['x-workshop-error']}")
    if "x-offloaded" in got or status in (101, 200):
        raise CheckFailed(f"{what} was handed to the held instance (HTTP {status}); it must be refused with 403: {why}")
    if status != 403:
        raise CheckFailed(f"{what} answered HTTP {status}; expected 403 ({why}).")


def _offloaded(pair: Pair, what: str, path: str, headers: dict, wait: float, expected: dict) -> None:
    status, got = _head(pair, path, headers, wait)
    if status == 501 and "x-offloaded" not in got:
        raise CheckFailed(f"{what}: HTTP 501: {got.get('x-workshop-error', 'not written yet')}")
    if status == 500 and "x-offloaded" not in got:
        raise CheckFailed(f"{what} crashed in Django (HTTP 500): {got.get('x-workshop-error', '')}")
    if status == 400 and "x-offloaded" not in got:
        raise CheckFailed(f"{what}: the held instance could not read the mark: X-Offload must be the JSON text of "
                          f"{json.dumps(expected)}.")
    if status == 101 and expected["kind"] == "ws":
        return  # the held instance's websocket() answered: the mark arrived
    if "x-offloaded" not in got:
        raise CheckFailed(f"{what} was answered by Django itself (HTTP {status}), not handed off: return an empty "
                          "response with the header X-Offload (uWSGI collects exactly that header).")
    try:
        mark = json.loads(got["x-offloaded"])
    except ValueError:
        mark = got["x-offloaded"]
    if mark != expected:
        raise CheckFailed(f"{what}: the held instance received the mark {got['x-offloaded']}; expected "
                          f"{json.dumps(expected)} (the user from the signed cookie, never from the request).")


def check_offload_handoff(ctx: Context) -> None:
    ctx.import_learner("offload")
    pair, wait = _pair(ctx), ctx.timeout(3)
    ada = pair.login("ada", wait)
    origin = pair.url
    upgrade = {"Upgrade": "websocket", "Connection": "Upgrade", "Sec-WebSocket-Version": "13",
               "Sec-WebSocket-Key": "dGhlIHNhbXBsZSBub25jZQ=="}
    ctx.step("GET /events/lobby without a cookie, then with a forged one: 403, nothing handed off")
    _refused(pair, "GET /events/lobby without a cookie", "/events/lobby", {}, wait, "nobody is logged in")
    _refused(pair, "GET /events/lobby with a forged cookie", "/events/lobby", {"Cookie": "workshop_user=ada:x:forged"},
             wait, "the cookie's signature is wrong: get_signed_cookie(..., default=None) gives None")
    ctx.step("GET /events/lobby?user=mallory as ada: handed off with the mark of ada")
    _offloaded(pair, "GET /events/lobby as ada", "/events/lobby?user=mallory", {"Cookie": ada, "X-User": "mallory"},
               wait, {"kind": "sse", "user": "ada", "room": "lobby"})
    _offloaded(pair, "GET /events/kitchen as ada", "/events/kitchen", {"Cookie": ada}, wait,
               {"kind": "sse", "user": "ada", "room": "kitchen"})
    ctx.step("WebSocket requests to /ws/lobby: refused from a foreign Origin or without a cookie, handed off otherwise")
    _refused(pair, "a WebSocket to /ws/lobby from Origin http://evil.example", "/ws/lobby",
             {**upgrade, "Cookie": ada, "Origin": "http://evil.example"}, wait,
             "another site's page would be using ada's cookie; compare the Origin's host with request.get_host()")
    _refused(pair, "a WebSocket to /ws/lobby without a cookie", "/ws/lobby", {**upgrade, "Origin": origin}, wait,
             "nobody is logged in")
    _offloaded(pair, "a WebSocket to /ws/lobby as ada from the site's own page", "/ws/lobby",
               {**upgrade, "Cookie": ada, "Origin": origin}, wait, {"kind": "ws", "user": "ada", "room": "lobby"})
    pair.raise_problems("the handoff requests", ctx.timeout(0.05), front_only=True)  # sse() may be a stub still


def _stream(ctx: Context, pair: Pair, cookie: str, room: str = ROOM) -> sse_probe.Stream:
    stream = sse_probe.Stream(pair.port, f"/events/{room}", {"Cookie": cookie}, timeout=ctx.timeout(3))
    if stream.status != 200:
        stream.close()
        raise CheckFailed(f"GET /events/{room} as {_user(cookie)} answered HTTP {stream.status}, not a stream: "
                          "handoff() must hand a logged-in user's request to the held instance.")
    if not stream.read_until(lambda: stream.parser.events, ctx.timeout(3)):
        stream.close()
        pair.raise_problems(f"an SSE stream of /events/{room}", ctx.timeout(0.05))
        raise CheckFailed(f"GET /events/{room}: no complete event within {ctx.timeout(3):g} s; the first frame must be "
                          "'event: ready' with a data line, ended by an empty line.")
    first = stream.parser.events[0]
    if first.type != "ready" or _json(first.data) != {"user": _user(cookie), "room": room}:
        stream.close()
        raise CheckFailed(f"GET /events/{room}: the first event was {first.type!r} with data {first.data!r}; expected "
                          f"'ready' with {json.dumps({'user': _user(cookie), 'room': room})}.")
    return stream


def _user(cookie: str) -> str:
    return cookie.split("=", 1)[1].split(":", 1)[0]


def _json(text):
    try:
        return json.loads(text)
    except (TypeError, ValueError):
        return text


def _expect_event(ctx: Context, stream, who: str, wanted: dict) -> None:
    count = len(stream.parser.events)
    stream.read_until(lambda: len(stream.parser.events) > count, ctx.timeout(3))
    got = stream.parser.events[count:count + 1]
    if not got:
        raise CheckFailed(f"{who}'s stream got nothing within {ctx.timeout(3):g} s after {json.dumps(wanted)} was "
                          "published in its room: a 'data:' frame per message of the room's channel.")
    if got[0].type != "message" or _json(got[0].data) != wanted:
        raise CheckFailed(f"{who}'s stream got {got[0].type!r} {got[0].data!r}; expected a plain event whose data is "
                          f"{json.dumps(wanted)} (the published text, unchanged).")


def _cleaned_up(ctx: Context, pair: Pair, what: str) -> None:
    def gone() -> bool:
        pair.publish("checker", "anyone there?")  # a write is how the held side learns its client left
        return pair.subscribers() == 0

    if not ctx.wait_until(gone, 3, interval=0.1):
        raise CheckFailed(f"after every {what} client left, Redis still has {pair.subscribers()} subscriptions to "
                          "room:lobby: close the pubsub in a `finally` (uWSGI closes the generator, or your loop gets "
                          "OSError, when the client is gone).")


def check_offload_sse(ctx: Context) -> None:
    ctx.import_learner("offload")
    pair, wait = _pair(ctx), ctx.timeout(3)
    ada, bob = pair.login("ada", wait), pair.login("bob", wait)
    streams = []
    try:
        ctx.step("ada opens /events/lobby and /events/kitchen: each starts with its ready event")
        lobby = _stream(ctx, pair, ada)
        streams.append(lobby)
        kitchen = _stream(ctx, pair, ada, "kitchen")
        streams.append(kitchen)
        ctx.step("bob posts to the lobby, then to the kitchen: each stream gets its own room's message")
        pair.post(bob, "hello lobby", wait)
        _expect_event(ctx, lobby, "ada's lobby", {"user": "bob", "text": "hello lobby"})
        pair.publish("bob", "hello kitchen", "kitchen")
        _expect_event(ctx, kitchen, "ada's kitchen", {"user": "bob", "text": "hello kitchen"})
        kitchen.close()
        ctx.step(f"{HELD} more streams of the lobby at once, on {WORKERS} Django workers; then GET /ping")
        streams += [_stream(ctx, pair, bob) for _ in range(HELD)]
        ping = http_probe.get(pair.url + "/ping", timeout=wait)
        if ping.status != 200:
            raise CheckFailed(f"GET /ping answered HTTP {ping.status} while {HELD + 1} streams were open.")
        pair.publish("carol", "to everyone")
        for i, stream in enumerate(streams[2:]):
            _expect_event(ctx, stream, f"stream {i + 1} of {HELD}", {"user": "carol", "text": "to everyone"})
    finally:
        for stream in streams:
            stream.close()
    pair.raise_problems("the SSE streams", ctx.timeout(0.05))
    ctx.step("every client hangs up: the held instance must drop its subscriptions")
    _cleaned_up(ctx, pair, "SSE")


async def _websocket_session(pair: Pair, ada: str, bob: str, wait: float) -> list[str]:
    url = f"{pair.ws_url}/ws/{ROOM}"
    sockets = []
    try:
        for cookie in (ada, bob):
            sockets.append(await ws_probe.connect(url, timeout=wait, cookie=cookie, origin=pair.url))
            ready = _json(await ws_probe.recv(sockets[-1], timeout=wait))
            if ready != {"ready": True, "user": _user(cookie), "room": ROOM}:
                return [f"the first message on /ws/{ROOM} was {ready!r}; expected "
                        f"{json.dumps({'ready': True, 'user': _user(cookie), 'room': ROOM})}"]
        a, b = sockets
        await a.send('{"user": "mallory", "text": "hi from ada"}')
        wanted = {"user": "ada", "text": '{"user": "mallory", "text": "hi from ada"}'}
        for ws, who in ((b, "bob"), (a, "ada (the author)")):
            got = await ws_probe.collect(ws, 1, timeout=wait)
            if [_json(m) for m in got] != [wanted]:
                extra = ("; bob heard nothing while his client was silent: wait on both the client's socket and the "
                         "pubsub's with select.select" if ws is b and not got else "")
                return [f"{who} received {got!r} after ada sent a message; expected the JSON {json.dumps(wanted)} "
                        f"(published as mark['user'], whatever the text says){extra}"]
        pair.publish("dan", "from redis")
        for ws, who in ((a, "ada"), (b, "bob")):
            got = await ws_probe.collect(ws, 1, timeout=wait)
            if [_json(m) for m in got] != [{"user": "dan", "text": "from redis"}]:
                return [f"{who} received {got!r} after a message was published on room:lobby; expected it as sent"]
        for _ in range(HELD):
            sockets.append(await ws_probe.connect(url, timeout=wait, cookie=bob, origin=pair.url))
            await ws_probe.recv(sockets[-1], timeout=wait)
        if http_probe.get(pair.url + "/ping", timeout=wait).status != 200:
            return [f"GET /ping failed while {HELD + 2} WebSockets were open"]
        await a.send("to all")
        for i, ws in enumerate(sockets):
            got = await ws_probe.collect(ws, 1, timeout=wait)
            if [_json(m) for m in got] != [{"user": "ada", "text": "to all"}]:
                return [f"socket {i + 1} of {len(sockets)} open at once received {got!r}; expected ada's 'to all'"]
    finally:
        for ws in sockets:
            await ws.close()
    return []


def check_offload_websocket(ctx: Context) -> None:
    ctx.import_learner("offload")
    pair, wait = _pair(ctx), ctx.timeout(3)
    ada, bob = pair.login("ada", wait), pair.login("bob", wait)
    ctx.step(f"ada and bob open /ws/{ROOM}, talk both ways through Redis; then {HELD} more sockets and GET /ping")
    during = f"talking on /ws/{ROOM} through the front"
    try:
        problems = ctx.run_async(_websocket_session, pair, ada, bob, wait, timeout=SESSION)
    except CheckFailed:
        pair.raise_problems(during, ctx.timeout(0.05))
        raise
    except Exception as exc:  # noqa: BLE001 - the client's view of what went wrong
        pair.raise_problems(during, ctx.timeout(0.05))
        raise CheckFailed(f"{during}: {failure(exc)}") from None
    pair.raise_problems(during, ctx.timeout(0.05))
    if problems:
        raise CheckFailed(f"{during}:\n- " + "\n- ".join(problems))
    ctx.step("every client hangs up: the held instance must drop its subscriptions")
    _cleaned_up(ctx, pair, "WebSocket")


def check_browser_offload(ctx: Context) -> None:
    ctx.import_learner("offload")
    pair = _pair(ctx)
    page = ctx.new_page()
    ctx.step(f"Chromium opens {pair.url}/, logs in as Ada and connects its EventSource and WebSocket")
    page.goto(pair.url + "/")
    page.fill("#name", "Ada")
    page.click("#login")
    if not page_probe.wait_for(page, "() => window.offload.sseReady && window.offload.wsReady", ctx.timeout(5)):
        pair.raise_problems("Chromium connected", ctx.timeout(0.05))
        state = page.evaluate("[window.offload.sseReady, window.offload.wsReady]")
        missing = [name for name, ready in zip(("EventSource on /events/lobby", "WebSocket on /ws/lobby"), state)
                   if not ready]
        raise CheckFailed(f"Chromium, logged in as Ada: no ready message on the {' nor the '.join(missing)}.")
    ctx.step("Ada sends a message on the WebSocket: both logs must show it")
    page.fill("#message", "hello from Chromium")
    page.press("#message", "Enter")
    for log, what in (("#ws-log", "WebSocket"), ("#sse-log", "EventSource")):
        if not page_probe.wait_for(page, f"() => document.querySelector('{log}').textContent.includes("
                                         "'Ada: hello from Chromium')", ctx.timeout(3)):
            pair.raise_problems("Chromium sent a message", ctx.timeout(0.05))
            raise CheckFailed(f"Ada sent 'hello from Chromium' on the WebSocket, but the page's {what} did not show it.")
    pair.raise_problems("Chromium used the page", ctx.timeout(0.05))
