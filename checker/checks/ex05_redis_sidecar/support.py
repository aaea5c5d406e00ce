"""What lesson 05's checks share: the servers (from the lesson's launcher), tokens, and clients.

One grading process per group: the ``sidecar`` group starts Redis, a ``RedisProxy`` in front of
it for the sidecar (a check can slow the sidecar's Redis down), the learner's sidecar process and
Django in this process, once, through ``lessons/05-redis-sidecar/launch.py``.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import secrets
import time
import urllib.parse
from dataclasses import dataclass, field
from unittest import mock

from checker import launchers
from checker.api import CheckFailed, CheckSkipped, Context
from checker.probes import node as node_probe
from checker.probes import ws as ws_probe
from checker.probes.redis_watch import RedisProxy
from workshop.launch import Ports

ROOM = "lobby"
OTHER_ROOM = "python"
RECV = 1.0  # seconds a pushed message may take (scaled)
BLOCKED = "Lesson 05: blocked event loop: "  # the sidecar's watchdog (newsroom/loop_watch.py)


# -- the two sidecars ------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Sidecar:
    """One way to write the sidecar: the same checks grade both, in words of its own language."""

    name: str  # the launcher's ``sidecar=`` ("python" or "node")
    file: str  # the learner's file
    command: str  # how it runs, for the progress line
    advice: dict = field(default_factory=dict)  # what a failing check suggests, by situation


PYTHON = Sidecar("python", "sidecar.py", "python newsroom/sidecar_server.py", {
    "binary": "with decode_responses=True, pubsub data is a str, and broadcast(sockets, str) makes text frames.",
    "push": "In handler, await join(...) before sending the ready frame (a message published earlier is lost), and "
            "let dispatch broadcast the data of each published message to the room's sockets in hub.rooms.",
    "ready_early": "In join, await hub.subscribe(channel_for(room)): it returns once Redis confirmed; send the ready "
                   "frame after join returned, never before.",
    "lingers": "Call leave in a `finally:` around join and until_client_leaves, and in leave unsubscribe (await "
               "hub.unsubscribe(...)) when the room's last socket has gone.",
    "connection_open": "use the hub's one connection (hub.subscribe, hub.client), never a Redis client per socket.",
})
NODE = Sidecar("node", "sidecar.js", "node node/server.js", {
    "binary": "send the published text as it came (a string makes a text frame; a Buffer a binary one).",
    "push": "Send the ready frame only after `await join(hub, room, socket)` (hub.subscribe resolves once Redis "
            "confirmed), and let dispatch call forwardMessage(socket, text) for each socket of the room.",
    "ready_early": "In join, await hub.subscribe(channelFor(room)): it resolves once Redis confirmed; send ready "
                   "after join resolved, never before.",
    "lingers": "Register socket.on('close', () => leave(hub, room, socket)), leave at once when the client left while "
               "you were joining (socket.readyState is no longer 1), and unsubscribe in leave when the room is empty.",
    "connection_open": "use the hub's connections (hub.subscribe, hub.client), never createClient per socket.",
})


def sidecar_for(ctx: Context) -> Sidecar:
    """The sidecar this grading is for: the lesson's variant (``python -m checker pick 05 node``)."""
    return NODE if ctx.lesson.variant == NODE.name else PYTHON


def require_node(ctx: Context) -> str:
    """The ``node`` binary, with the lesson's packages installed; ``CheckSkipped`` (with what to do) otherwise."""
    binary = node_probe.find_node()
    if binary is None:
        raise CheckSkipped(node_probe.install_advice())
    missing = node_probe.packages_missing(ctx.lesson_dir / "node")
    if missing:
        raise CheckSkipped(missing)
    return binary


# -- servers ---------------------------------------------------------------------------------------------
def django_app(ctx: Context):
    """Django set up with the newsroom's settings (SECRET_KEY for signing), once per grading process."""
    from newsroom.wsgi import application_for

    return ctx.resource("django", lambda: contextlib.nullcontext(application_for(ctx.exercise_dir)))


def proxy(ctx: Context) -> RedisProxy:
    return ctx.resource("redis-proxy", lambda: RedisProxy(ctx.redis().url, ready_timeout=ctx.timeout(5)))


def site(ctx: Context, *, via_proxy: bool = True):
    """Django and the learner's sidecar (the one they picked) on Redis, started by the lesson's
    launcher, once per grading process."""
    sidecar = sidecar_for(ctx)
    if sidecar is NODE:
        require_node(ctx)
    lesson = launchers.load(ctx.lesson_dir)
    sidecar_redis = proxy(ctx).url if via_proxy else None
    ctx.step(f"starting the sidecar ({sidecar.command}, your {sidecar.file}) and Django")
    try:
        return ctx.resource(f"site-{sidecar.name}", lambda: lesson.launch(
            ctx.exercise_dir, Ports(http=0, sidecar=0), redis_url=ctx.redis().url, sidecar_redis_url=sidecar_redis,
            ready_timeout=ctx.timeout(15), sidecar=sidecar.name))
    except RuntimeError as exc:
        raise CheckFailed(f"the sidecar did not start:\n{exc}") from None


def redis_client(ctx: Context):
    """A synchronous redis-py client on the grading process's Redis, with the lesson's keys emptied."""
    import redis

    url = ctx.redis().url
    client = ctx.resource("redis-client", lambda: contextlib.closing(redis.Redis.from_url(url, decode_responses=True)))
    django_app(ctx)
    from newsroom import store

    for room in (ROOM, OTHER_ROOM):
        store.clear(client, room)
    return client


def sidecar_says(launched) -> str:
    """The sidecar's own notices ("Lesson 05: ..."), else its last error line."""
    log = launched.services["sidecar"].log_tail(40).splitlines()
    notices = [line.split("Lesson 05: ", 1)[1] for line in log if "Lesson 05: " in line]
    if notices:
        return "\nThe sidecar says: " + notices[-1]
    errors = [line for line in log if "Error" in line or "Exception" in line]
    return ("\nThe sidecar's log shows: " + " | ".join(errors[-2:])) if errors else ""


def blocked_loop(launched) -> str | None:
    """The watchdog's report of a blocking call in the learner's coroutines, if it made one."""
    log = launched.services["sidecar"].log_path.read_text(errors="replace")
    reports = [line.split(BLOCKED, 1)[1] for line in log.splitlines() if BLOCKED in line]
    return reports[0] if reports else None


def session(ctx: Context, launched, scenario, *, timeout: float) -> None:
    """Run a client scenario against the sidecar. A stalled event loop is reported as what it is,
    whatever the scenario saw (late messages, a timeout) or even when it passed."""

    def raise_if_blocked():
        if ctx.wait_until(lambda: blocked_loop(launched) is not None, 0.05):
            raise CheckFailed("the sidecar's event loop stalled: a coroutine made a blocking call. "
                              + blocked_loop(launched)) from None

    try:
        ctx.run_async(scenario, timeout=timeout)
    except Exception:
        raise_if_blocked()
        raise
    raise_if_blocked()


# -- tokens and messages ---------------------------------------------------------------------------------
def token(ctx: Context, user: str, room: str, age: float = 0.0, nonce: str | None = None) -> str:
    """A token signed by the reference recipe (as Django would), ``age`` seconds old, with a fresh nonce."""
    django_app(ctx)
    from django.core import signing

    from newsroom.protocol import TOKEN_SALT

    payload = {"user": user, "room": room, "nonce": nonce or secrets.token_urlsafe(16)}
    if not age:
        return signing.dumps(payload, salt=TOKEN_SALT)
    with mock.patch("time.time", return_value=time.time() - age):
        return signing.dumps(payload, salt=TOKEN_SALT)


def path(room: str, signed: str) -> str:
    return f"/ws/{room}?token={urllib.parse.quote(signed)}"


def message(n: int, room: str = ROOM, author: str = "checker") -> dict:
    return {"id": n, "room": room, "author": author, "text": f"message {n} for #{room}", "sent_at": time.time()}


async def publish(url: str, room: str, payload: dict) -> None:
    import redis.asyncio as aioredis

    client = aioredis.Redis.from_url(url)
    try:
        await client.publish(f"room:{room}", json.dumps(payload))
    finally:
        await client.aclose()


def as_json(text, what: str, sidecar: Sidecar) -> dict:
    if not isinstance(text, str):
        raise CheckFailed(f"{what} was a binary frame ({text[:60]!r}); send text: {sidecar.advice['binary']}")
    try:
        value = json.loads(text)
    except ValueError:
        raise CheckFailed(f"{what} is not JSON: {text[:120]!r}") from None
    if not isinstance(value, dict):
        raise CheckFailed(f"{what} is {value!r:.120}; expected a JSON object.")
    return value


# -- websockets clients (inside ctx.run_async) -------------------------------------------------------------
async def close_all(clients) -> None:
    """Close every client, whatever state each is in."""
    await asyncio.gather(*(client.close() for client in clients), return_exceptions=True)


class Clients:
    """Clients of one launched sidecar; ``wait`` is the scaled time a pushed message may take."""

    def __init__(self, ctx: Context, launched):
        self.launched = launched
        self.sidecar = sidecar_for(ctx)  # whose words a failing check's advice is in
        self.port = launched.ports["sidecar"]
        self.origin = launched.extras["origin"]
        self.wait = ctx.timeout(RECV)
        self.open = ctx.timeout(3)

    def says(self) -> str:
        return sidecar_says(self.launched)

    async def connect(self, at: str, origin: str | None):
        return await ws_probe.connect(f"ws://127.0.0.1:{self.port}{at}", timeout=self.open, origin=origin)

    async def ready(self, room: str, signed: str, who: str, *, wait: float | None = None):
        """A connected client that has received the ready frame (so its subscription exists)."""
        from websockets.exceptions import ConnectionClosed, InvalidStatus

        wait = wait or 2 * self.wait
        try:
            client = await self.connect(path(room, signed), self.origin)
        except InvalidStatus as refused:
            raise CheckFailed(f"the sidecar refused {who} with HTTP {refused.response.status_code}; a good token "
                              f"from the allowed Origin must be accepted.{self.says()}") from None
        try:
            text = await ws_probe.recv(client, timeout=wait)
        except (asyncio.TimeoutError, TimeoutError):
            await client.close()
            raise CheckFailed(f"{who} waited {wait:.1f} s for the ready frame ({{\"type\": \"ready\", ...}}, sent once "
                              f"the Redis subscription exists); nothing came.{self.says()}") from None
        except ConnectionClosed:
            raise CheckFailed(f"the sidecar closed {who}'s connection (code {client.close_code}, "
                              f"{client.close_reason!r}) instead of sending the ready frame.{self.says()}") from None
        frame = as_json(text, f"{who}'s first frame", self.sidecar)
        if frame.get("type") != "ready" or frame.get("room") != room or not isinstance(frame.get("user"), str):
            await client.close()
            raise CheckFailed(f"{who}'s first frame was {frame!r:.200}; expected "
                              f'{{"type": "ready", "room": "{room}", "user": "<the name in the token>"}}.')
        return client, frame

    async def all_ready(self, wanted) -> list:
        """Clients for each ``(room, token, who)`` of ``wanted``, connected side by side, each past its
        ready frame. If one fails, the others are closed and the first problem is raised."""
        opened = await asyncio.gather(*(self.ready(room, signed, who) for room, signed, who in wanted),
                                      return_exceptions=True)
        problems = [o for o in opened if isinstance(o, BaseException)]
        if problems:
            await close_all([o[0] for o in opened if not isinstance(o, BaseException)])
            raise problems[0]
        return [client for client, _ in opened]

    async def expect_push(self, client, who: str, expected: dict) -> None:
        from websockets.exceptions import ConnectionClosed

        try:
            text = await ws_probe.recv(client, timeout=self.wait)
        except (asyncio.TimeoutError, TimeoutError):
            raise CheckFailed(f"{who} did not receive the message published to Redis within {self.wait:.1f} s "
                              f"(expected {expected!r:.120}). {self.sidecar.advice['push']}{self.says()}") from None
        except ConnectionClosed:
            raise CheckFailed(f"{who}'s connection closed (code {client.close_code}) while waiting for a published "
                              f"message.{self.says()}") from None
        got = as_json(text, f"the frame {who} received", self.sidecar)
        if got != expected:
            raise CheckFailed(f"{who} received {got!r:.200}; expected exactly what was published, {expected!r:.200} "
                              "(forward the published JSON text unchanged).")

    async def expect_nothing(self, client, who: str, why: str) -> None:
        with contextlib.suppress(asyncio.TimeoutError, TimeoutError):
            text = await ws_probe.recv(client, timeout=self.wait / 3)
            raise CheckFailed(f"{who} received {text!r:.150}, but {why}.")
