"""What lesson 08's server and browser rings share: the cluster (the lesson's launcher on the
check's Redis and this process's SQLite file), signed-in users, and ``websockets`` clients that
explain what they saw.

Every server shares this grading process's SQLite file, so the session cookies made here work on
both backends. Each check uses user names of its own, so the Redis counts never mix.
"""

from __future__ import annotations

import asyncio
import json
import re
import uuid
from dataclasses import dataclass

from checker import launchers
from checker.api import CheckFailed, Context
from checker.probes import db, ws
from workshop.launch import Launch, Ports
from workshop.channels_support import ensure_django as _ensure_django

RECV = 2.0       # seconds (at scale 1) to wait for a frame the server should send
HANDSHAKE = 3.0  # seconds (at scale 1) for a WebSocket handshake through the balancer
SCENARIO = 10.0  # seconds (at scale 1) for one asynchronous scenario
SETTINGS = "scalesite.settings"


def ensure_django() -> None:
    _ensure_django(SETTINGS)


@dataclass
class Cluster:
    """The running cluster, seen from one check: its URLs and the waits that check may spend."""

    site: Launch
    wait: float       # for one frame
    handshake: float  # for one handshake

    @property
    def port(self) -> int:
        return self.site.ports["http"]

    @property
    def origin(self) -> str:
        return self.site.extras["origin"]

    @property
    def url(self) -> str:
        return self.site.url("http") + "/"

    def logs(self, lines: int = 40) -> str:
        return launchers.load(self.site.extras["lesson_dir"]).logs(self.site, lines)


#: Every check's cluster: sockets go stale 6 s after their last heartbeat (one every 2 s), and
#: each consumer looks at the store for lost notifications every second.
ENV = {"WORKSHOP_WS_CONNECTION_TTL": "6", "WORKSHOP_WS_TAIL_CHECK": "1"}
#: The overflow check's own cluster: a channel layer of capacity 4, so a burst overflows it on
#: purpose, and limits out of the way of the burst.
OVERFLOW_ENV = {**ENV, "WORKSHOP_LAYER_CAPACITY": "4", "WORKSHOP_WS_RATE": "10000", "WORKSHOP_WS_BURST": "10000",
                "WORKSHOP_WS_MAX_CONNECTIONS": "100"}


def database(ctx: Context) -> str:
    """This grading process's SQLite file, its tables made: every Daphne of the checks shares it."""
    from django.conf import settings

    from workshop.channels_support import ensure_schema

    ensure_django()
    db.run(ensure_schema, SETTINGS, timeout=ctx.timeout(15))
    return str(settings.DATABASES["default"]["NAME"])


def cluster(ctx: Context, *, overflow: bool = False) -> Cluster:
    """Redis, two Daphnes with the learner's consumer, the balancer: once per grading process
    (``overflow``: a second cluster, on the same Redis, whose channel layer overflows easily)."""

    def factory():
        redis_url = ctx.redis().url
        ctx.step("starting Redis, two Daphne processes and the front (nginx, or the TCP balancer without it)"
                 + (" (channel layer capacity 4)" if overflow else ""))
        launcher = launchers.load(ctx.lesson_dir)
        # The front runs the reference proxy.conf; the learner's is graded on a front of its own
        # (proxy.py), on these ports, whose origins the Daphnes must allow from the start. That front
        # starts only when a proxy check runs, so the ports are held until then (nothing else takes them).
        learner_ports = ctx.resource("learner-ports-overflow" if overflow else "learner-ports",
                                     lambda: Ports.held("http", "https"))
        site = launcher.launch(
            ctx.exercise_dir, Ports.free(*ctx.lesson.ports), backends=2, redis_url=redis_url,
            db_path=database(ctx), ready_timeout=ctx.timeout(20),
            extra_env=OVERFLOW_ENV if overflow else ENV, proxy_conf=launcher.reference_proxy(),
            extra_origins=[learner_ports.url("http"), learner_ports.url("https", "https")])
        site.extras.update(lesson_dir=ctx.lesson_dir, learner_ports=learner_ports)
        return site

    try:
        site = ctx.resource("cluster-overflow" if overflow else "cluster", factory)
    except RuntimeError as exc:
        raise CheckFailed(f"the cluster did not start: {exc}") from None
    return Cluster(site, ctx.timeout(RECV), ctx.timeout(HANDSHAKE))


def cookie(name: str) -> str:
    """A signed-in ``sessionid`` for user ``name`` (created if need be) in the shared database."""
    from scaleroom.accounts import session_cookie_for

    return db.run(session_cookie_for, name)


def user_pk(name: str):
    from django.contrib.auth import get_user_model

    return db.run(lambda: get_user_model().objects.get(username=name).pk)


def users(*prefixes: str) -> list[str]:
    tag = uuid.uuid4().hex[:6]
    return [f"{p}-{tag}" for p in prefixes]


def server_says(cluster) -> str:
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


async def connect(cluster: Cluster, session: str | None, origin: str | None = "own"):
    """A handshake through the balancer with ``session`` (a sessionid) and ``origin`` ("own": the page's)."""
    return await ws.connect(f"ws://127.0.0.1:{cluster.port}/ws/chat/", timeout=cluster.handshake,
                            origin=cluster.origin if origin == "own" else origin,
                            cookie=f"sessionid={session}" if session else None, max_size=2 ** 22)


async def recv(client, who: str, waiting_for: str, cluster: Cluster) -> dict:
    from websockets.exceptions import ConnectionClosed

    try:
        text = await asyncio.wait_for(client.recv(), cluster.wait)
    except (asyncio.TimeoutError, TimeoutError):
        raise CheckFailed(f"{who} waited {cluster.wait:g} s for {waiting_for}; nothing came.{server_says(cluster)}") from None
    except ConnectionClosed as closed:
        raise CheckFailed(f"{who}'s connection closed (code {closed.rcvd.code if closed.rcvd else 'none'}) while "
                          f"waiting for {waiting_for}.{server_says(cluster)}") from None
    try:
        return json.loads(text)
    except ValueError:
        raise CheckFailed(f"{who} got a frame that is not JSON: {text!r:.100}") from None


async def open_as(cluster: Cluster, name: str, session: str) -> tuple[object, str]:
    """A signed-in client through the balancer, past its hello; (client, backend name)."""
    from websockets.exceptions import InvalidStatus

    try:
        client = await connect(cluster, session)
    except InvalidStatus as refused:
        status = refused.response.status_code
        why = ("connect() raised an exception (Daphne answers 500)" if status >= 500 else
               "a signed-in user from the page's own origin must be accepted")
        raise CheckFailed(f"{name} (signed in, Origin {cluster.origin}) was refused with HTTP {status}: {why}."
                          f"{server_says(cluster)}") from None
    hello = await recv(client, name, 'the hello ({"type": "hello", "backend": ...}) after accept()', cluster)
    if not isinstance(hello, dict) or hello.get("type") != "hello" or not hello.get("backend"):
        await client.close()
        raise CheckFailed(f"{name}'s first frame was {hello!r:.150}; expected {{\"type\": \"hello\", \"backend\": "
                          "settings.BACKEND_NAME, \"user\": ...}.")
    return client, hello["backend"]


async def on_two_backends(cluster: Cluster, names: list[str]) -> list[tuple[object, str, str]]:
    """Connect ``names`` in turn through the balancer until the first two sit on different backends."""
    opened = []
    for name in names:
        client, backend = await open_as(cluster, name, cookie(name))
        opened.append((client, backend, name))
    backends = {b for _, b, _ in opened}
    if len(backends) < 2:
        for client, _, _ in opened:
            await client.close()
        raise CheckFailed(f"every connection through the balancer said it was on {backends}; the hello must carry "
                          "settings.BACKEND_NAME (each Daphne has its own).")
    return opened


async def closed_with(client, who: str, cluster: Cluster, waiting: float | None = None) -> tuple[int | None, list]:
    """Read until the server closes; (close code, frames seen meanwhile)."""
    from websockets.exceptions import ConnectionClosed

    frames = []
    try:
        async with asyncio.timeout(cluster.wait if waiting is None else waiting):
            while True:
                frames.append(json.loads(await client.recv()))
    except ConnectionClosed as closed:
        return (closed.rcvd.code if closed.rcvd else None), frames
    except (asyncio.TimeoutError, TimeoutError):
        return None, frames



def how_closed(code: int | None) -> str:
    """What the connection did, for a failure message: "stayed open" or "closed with N".

    A 1011 gets a note: it is what Daphne sends when the application closes with a code it may not
    use (Daphne lets applications close only with 1000 or 3000-4999, so close(code=1008) arrives as
    1011), and a learner looking for their own code would not guess that."""
    if not code:
        return "stayed open"
    if code == 1011:
        return (f"closed with {code} (1011 is what Daphne sends when the application closes with a code it may not "
                "use: Daphne lets applications close only with 1000 or 3000-4999, so close(code=1008) arrives as 1011)")
    return f"closed with {code}"


def redis_client(ctx: Context):
    """An asyncio client of the cluster's Redis (``decode_responses``): the servers' shared state."""
    import redis.asyncio as aioredis

    return aioredis.Redis.from_url(ctx.redis().url, decode_responses=True)


async def settles(read, wanted, wait: float, interval: float = 0.05):
    """Poll ``await read()`` until it equals ``wanted`` or ``wait`` seconds pass; its last value."""
    end = asyncio.get_running_loop().time() + wait
    while True:
        value = await read()
        if value == wanted or asyncio.get_running_loop().time() > end:
            return value
        await asyncio.sleep(interval)


async def frames_until(client, done, wait: float) -> list[dict]:
    """Frames (JSON) until ``done(frames)`` is true or ``wait`` seconds pass; what arrived."""
    frames: list[dict] = []
    end = asyncio.get_running_loop().time() + wait
    while not done(frames):
        left = end - asyncio.get_running_loop().time()
        if left <= 0:
            break
        try:
            frames.append(json.loads(await asyncio.wait_for(client.recv(), left)))
        except (asyncio.TimeoutError, TimeoutError):
            break
    return frames
