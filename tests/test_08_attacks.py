"""Issue 16's attacks on lesson 08 (findings 2 and 3), kept as tests against the reference solution.

Real parts only: a real Redis, two Daphne processes serving ``solutions/08-scaling-and-security``
behind the lesson's balancer, real sockets on 127.0.0.1, users logged in through the page's form.
Every count is read from Redis, the servers' own state. Loads are small and bounded; nothing here
times anything: each test waits (boundedly) for a state and asserts it.

What each attack did before the fix, on the same setup:
* SIGKILL/SIGTERM of a Daphne left ``ws:connections:<id>`` at 3: 4409 on the survivor for an hour.
* A client that never answered the Close (4413) while a broadcast arrived: ``Disconnected`` in
  ``chat_message`` killed the consumer, ``disconnect()`` never ran (count and group leaked).
* The key expiring while sockets were open: the count went to -3 and the cap let 6 in.
* "Open, send 10, close" in a loop: 313 broadcasts/s from one user against ~18/s nominal.
* A 1 MiB binary frame skipped the 4413 size check.
"""

from __future__ import annotations

import asyncio
import json
import signal
import sys
import uuid

import pytest

from checker import launchers
from checker.probes import ws
from checker.probes.chat_clients import login
from checker.probes.wire import BINARY, TEXT, wire
from workshop import paths
from workshop.launch import Ports

pytestmark = pytest.mark.timeout(180)

SLUG = "08-scaling-and-security"
LESSON = paths.lesson_dir(SLUG)
SOLUTION = paths.exercise_dir(paths.SOLUTIONS, SLUG)
TTL = 3.0  # seconds a socket counts after its last heartbeat (one heartbeat a second)
ENV = {"WORKSHOP_WS_CONNECTION_TTL": str(TTL), "WORKSHOP_WS_TAIL_CHECK": "1"}
GROUP_KEY = "asgi:group:room.lobby"
WAIT = 20.0  # the longest any state may take to appear, on a loaded machine


def _cluster():
    return launchers.load(LESSON).launch(SOLUTION, Ports.free("http"), backends=2, extra_env=ENV, ready_timeout=60)


@pytest.fixture(scope="module")
def cluster():
    with _cluster() as site:
        yield site


def _user(site, prefix: str) -> tuple[str, str]:
    """A new user logged in through the balancer: (name, sessionid)."""
    name = f"{prefix}-{uuid.uuid4().hex[:6]}"
    return name, login(site.ports["http"], name, page="/", action="/login/")


def _url(site, port: int | None = None) -> str:
    return f"ws://127.0.0.1:{port or site.ports['http']}/ws/chat/"


async def _open(site, cookie: str, port: int | None = None):
    """(client, its first frame), or (client, {}) when the server closed at once (its code: ws.closed_with)."""
    from websockets.exceptions import ConnectionClosed

    client = await ws.connect(_url(site, port), timeout=WAIT, origin=site.extras["origin"], cookie=f"sessionid={cookie}")
    try:
        return client, json.loads(await ws.recv(client, timeout=WAIT))
    except ConnectionClosed:
        return client, {}


async def _closed_with(client) -> int | None:
    from websockets.exceptions import ConnectionClosed

    try:
        async with asyncio.timeout(WAIT):
            async for _ in client:
                pass
    except ConnectionClosed:
        pass
    return ws.closed_with(client)


async def _settles(read, predicate, wait: float = WAIT):
    end = asyncio.get_running_loop().time() + wait
    while True:
        value = await read()
        if predicate(value) or asyncio.get_running_loop().time() > end:
            return value
        await asyncio.sleep(0.1)


def _redis(site):
    import redis.asyncio as aioredis

    return aioredis.Redis.from_url(site.extras["redis_url"], decode_responses=True)


async def _user_key(redis, channel_name_of) -> str:
    """The connections key holding ``channel_name_of`` (found by scanning the live sets)."""
    async for key in redis.scan_iter("ws:connections:*"):
        if await redis.zscore(key, channel_name_of) is not None:
            return key
    raise AssertionError(f"no live set holds {channel_name_of}")


@pytest.mark.parametrize("how", [signal.SIGKILL, signal.SIGTERM], ids=["SIGKILL", "SIGTERM"])
def test_a_dead_daphne_does_not_lock_its_users_out(how):
    with _cluster() as site:
        name, cookie = _user(site, "crash")
        doomed, survivor = site.services["daphne-2"], site.services["daphne-1"]

        async def scenario():
            redis = _redis(site)
            clients = [(await _open(site, cookie, doomed.port))[0] for _ in range(3)]
            key = f"ws:connections:{await _user_pk(redis, clients)}"
            assert await redis.zcard(key) == 3
            doomed.proc.send_signal(how)
            doomed.proc.wait(timeout=WAIT)
            for client in clients:
                client.transport.abort()
            # The dead process never released its 3 sockets; after TTL without heartbeats they are stale.
            async def try_survivor():
                client, hello = await _open(site, cookie, survivor.port)
                code = None if hello.get("type") == "hello" else ws.closed_with(client)
                await client.close()
                return code

            code = await _settles(try_survivor, lambda c: c is None, wait=WAIT)
            assert code is None, f"the survivor still refuses {name} with {code} after {WAIT} s"
            left = await _settles(lambda: redis.zcard(key), lambda n: n == 0)
            assert left == 0
            await redis.aclose()

        asyncio.run(scenario())


async def _user_pk(redis, clients) -> str:
    """The user id in the one live set that exists for this test's user (its 3 sockets)."""
    for _ in range(50):
        async for key in redis.scan_iter("ws:connections:*"):
            if await redis.zcard(key) == len(clients):
                return key.rsplit(":", 1)[1]
        await asyncio.sleep(0.1)
    raise AssertionError("no live set with the user's sockets")


def test_a_client_that_never_answers_close_still_leaves(cluster):
    _, talker = _user(cluster, "talker")
    _, mute = _user(cluster, "mute")

    async def scenario():
        redis = _redis(cluster)
        speaker, _ = await _open(cluster, talker)
        reader, writer = await ws.raw_open("127.0.0.1", cluster.ports["http"], "/ws/chat/", timeout=WAIT,
                                           origin=cluster.extras["origin"], cookie=f"sessionid={mute}")
        await reader.readuntil(b"}")  # the hello
        members = set(await redis.zrange(GROUP_KEY, 0, -1))
        writer.write(wire(TEXT, json.dumps({"type": "message", "text": "x" * 5000}).encode()))
        await writer.drain()
        for i in range(8):  # broadcasts while the server waits for a Close that never comes
            await speaker.send(json.dumps({"type": "message", "text": f"closing {i}"}))
            await asyncio.sleep(0.12)
        gone = await _settles(lambda: redis.zrange(GROUP_KEY, 0, -1), lambda now: len(set(now) & members) <= 1)
        writer.close()
        await speaker.close()
        still = set(gone) & members
        assert len(still) <= 1, f"the muted client's channel stayed in the group: {still}"
        await redis.aclose()

    asyncio.run(scenario())


def test_429_storms_leave_nothing_counted(cluster):
    name, cookie = _user(cluster, "storm")

    async def scenario():
        redis = _redis(cluster)
        codes = []
        for _ in range(6):
            client, _ = await _open(cluster, cookie)
            for i in range(30):
                try:
                    await client.send(json.dumps({"type": "message", "text": f"storm {i}"}))
                except Exception:  # noqa: BLE001 - closed with 4429 mid-way
                    break
            codes.append(await _closed_with(client))
        assert 4429 in codes
        keys = [key async for key in redis.scan_iter("ws:connections:*")]
        counts = await _settles(lambda: asyncio.gather(*(redis.zcard(k) for k in keys)), lambda c: sum(c) == 0)
        assert sum(counts) == 0, f"after 6 storms closed with {codes}, Redis still counts {counts}"
        await redis.aclose()

    asyncio.run(scenario())


def test_the_key_vanishing_while_sockets_are_open_never_lets_more_in(cluster):
    _, cookie = _user(cluster, "expiry")

    async def scenario():
        redis = _redis(cluster)
        clients = [(await _open(cluster, cookie))[0] for _ in range(3)]
        key = f"ws:connections:{await _user_pk(redis, clients)}"
        await redis.delete(key)  # as an expiry would
        assert await _settles(lambda: redis.zcard(key), lambda n: n == 3) == 3  # the heartbeats rebuild it
        extra, hello = await _open(cluster, cookie)
        assert await _closed_with(extra) == 4409
        for client in clients:
            await client.close()
        assert await _settles(lambda: redis.zcard(key), lambda n: n == 0) == 0
        await redis.aclose()

    asyncio.run(scenario())


def test_reconnecting_does_not_refill_the_bucket(cluster):
    name, cookie = _user(cluster, "loop")

    async def scenario():
        redis = _redis(cluster)
        from scalesite import history

        start = await history.last(redis, "lobby")
        for _ in range(5):  # open, send 10, close: 50 messages
            client, _ = await _open(cluster, cookie)
            try:
                for i in range(10):
                    await client.send(json.dumps({"type": "message", "text": f"loop {i}"}))
            except Exception:  # noqa: BLE001 - refused with 4429
                pass
            await client.close()
        stored = [m for m in await history.after(redis, "lobby", start) if m["author"] == name]
        assert len(stored) < 25, f"{len(stored)} of 50 messages passed a bucket of 10 (+5/s)"
        await redis.aclose()

    sys.path.insert(0, str(LESSON))  # scalesite.history, the store (no Django needed)
    asyncio.run(scenario())


def test_an_oversized_binary_frame_is_closed_with_4413(cluster):
    _, cookie = _user(cluster, "binary")

    async def scenario():
        reader, writer = await ws.raw_open("127.0.0.1", cluster.ports["http"], "/ws/chat/", timeout=WAIT,
                                           origin=cluster.extras["origin"], cookie=f"sessionid={cookie}")
        await reader.readuntil(b"}")
        writer.write(wire(BINARY, b"\0" * 100_000))
        await writer.drain()
        data = await asyncio.wait_for(reader.read(64), WAIT)
        writer.close()
        assert data[:1] == b"\x88" and int.from_bytes(data[2:4], "big") == 4413, data

    asyncio.run(scenario())
