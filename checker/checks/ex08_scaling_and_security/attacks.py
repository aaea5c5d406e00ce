"""Attacks the learner's bookkeeping must survive (the attack run's findings, as checks).

* A client closes nothing: it sends an oversized frame, the server closes with 4413, the client
  never answers the Close, and a broadcast arrives meanwhile. Sending on the closing socket
  raises; a consumer that lets it escape dies, ``disconnect()`` never runs, and the socket stays
  counted and in the group. Read from Redis: the user's live set and the group must empty again.
* The user's key vanishes while sockets are open (expiry, a Redis restart, an operator's DEL):
  the heartbeats must rebuild it, so the cap holds again, and releasing never goes negative.
"""

from __future__ import annotations

import asyncio
import json

from checker.api import CheckFailed, Context
from checker.expect import see
from checker.probes import ws
from checker.probes.wire import TEXT, wire

from . import support

GROUP_KEY = "asgi:group:room.lobby"  # channels_redis's sorted set of the group's members


def check_closed_socket(ctx: Context) -> None:
    cluster = support.cluster(ctx)
    mute, talker = support.users("mute", "talker")
    mute_cookie = support.cookie(mute)
    key = ctx.import_learner("consumers").connections_key(support.user_pk(mute))

    async def scenario():
        redis = support.redis_client(ctx)
        speaker, _ = await support.open_as(cluster, talker, support.cookie(talker))
        writer = None
        try:
            ctx.step("mute opens a raw socket, then sends 5,000 characters (the server closes with 4413)")
            reader, writer = await ws.raw_open("127.0.0.1", cluster.port, "/ws/chat/", timeout=cluster.handshake,
                                               origin=cluster.origin, cookie=f"sessionid={mute_cookie}")
            await asyncio.wait_for(reader.read(1), cluster.wait)  # the hello has started to arrive
            channels = await redis.zrange(key, 0, -1)  # mute's socket, by its channel name
            writer.write(wire(TEXT, json.dumps({"type": "message", "text": "x" * 5000}).encode()))
            await writer.drain()
            ctx.step("mute never answers the Close; meanwhile talker broadcasts 8 messages over about a second")
            for i in range(8):
                await speaker.send(json.dumps({"type": "message", "text": f"while closing {i}"}))
                await asyncio.sleep(0.12)
            ctx.step("waiting for Daphne to drop mute's TCP connection (Autobahn waits 1 s for the Close)")
            live = await support.settles(lambda: redis.zcard(key), 0, cluster.wait * 3)

            async def still_in_group():
                return sum([await redis.zscore(GROUP_KEY, name) is not None for name in channels])

            members = await support.settles(still_in_group, 0, cluster.wait)
        finally:
            if writer is not None:
                writer.close()
            await speaker.close()
            await redis.aclose()
        if live != 0 or members:
            raise CheckFailed(f"after mute's connection was dropped, Redis still counts {live} socket(s) for mute "
                              f"and {'keeps' if members else 'not'} its channel in the group: disconnect() never ran. "
                              "A group message arrived while the socket was closing, send_json raised Disconnected "
                              "and the exception killed the consumer. Send through send_frame, which catches it."
                              f"{support.server_says(cluster)}")

    ctx.run_async(scenario, timeout=support.SCENARIO * 1.5)


def check_connections_repaired(ctx: Context) -> None:
    cluster = support.cluster(ctx)
    (ora,) = support.users("ora")
    cookie = support.cookie(ora)
    key = ctx.import_learner("consumers").connections_key(support.user_pk(ora))

    async def scenario():
        redis = support.redis_client(ctx)
        clients = []
        try:
            for i in range(3):
                ctx.step(f"ora opens socket {i + 1} of 3")
                clients.append((await support.open_as(cluster, f"ora's socket {i + 1}", cookie))[0])
            ctx.step(f"the key {key} vanishes while the 3 sockets are open (DEL, as an expiry would)")
            await redis.delete(key)
            ctx.step("the heartbeats (one every 2 s here) must put the 3 live sockets back")
            live = await support.settles(lambda: redis.zcard(key), 3, cluster.wait * 3)
            if live != 3:
                raise CheckFailed(f"{cluster.wait * 3:g} s after the key vanished Redis counts {live} live sockets for "
                                  "ora; expected 3 again: every WS_HEARTBEAT seconds each live consumer counts its "
                                  "own channel again. " + see("08", "6. Limits"))
            fourth = await support.connect(cluster, cookie)
            code, _ = await support.closed_with(fourth, "ora's 4th socket", cluster)
            await fourth.close()
            if code != 4409:
                raise CheckFailed(f"once repaired, a 4th socket {support.how_closed(code)};"
                                  " expected 4409.")
            ctx.step("ora closes all three: the count must come to 0, never below")
            for client in clients:
                await client.close()
            clients = []
            left = await support.settles(lambda: redis.zcard(key), 0, cluster.wait * 2)
            if left != 0:
                raise CheckFailed(f"after ora closed every socket Redis still counts {left}.")
        finally:
            for client in clients:
                await client.close()
            await redis.aclose()

    ctx.run_async(scenario, timeout=support.SCENARIO * 1.5)
