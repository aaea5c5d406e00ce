"""Delivery that loses nothing (``delivery.py``'s ``Cursor`` and the consumer around it).

The channel layer is at most once, and these checks make it lose on purpose: a message stored
but never announced (its notification "lost"), then a real one after it; a lost notification
that nothing follows (the tail); a client that reconnects with its last id; and a burst through
a layer of capacity 4, on two Daphnes. Every client must get every message exactly once and in
order. The store is the lesson's own (``scalesite/history.py``) on the cluster's real Redis.
"""

from __future__ import annotations

import json
import uuid

from checker.api import CheckFailed, Context
from checker.expect import see
from checker.probes import ws

from . import support


def _store():
    support.ensure_django()
    from scalesite import history

    return history


def check_cursor(ctx: Context) -> None:
    delivery = ctx.import_learner("delivery")
    history = _store()
    room = f"check-{uuid.uuid4().hex[:8]}"

    ctx.step("Cursor(fetch_after, last=4).take([6, 5, 4, 8, 5])")
    cursor = delivery.Cursor(None, last=4)
    got = [m["seq"] for m in cursor.take([{"seq": s} for s in (6, 5, 4, 8, 5)])]
    if got != [5, 6] or cursor.last != 6:
        raise CheckFailed(f"take() of seqs [6, 5, 4, 8, 5] with last=4 gave {got} and last={cursor.last}; expected "
                          "[5, 6] and last=6: drop 4 (seen) and the repeated 5, hold 8 back (7 is missing).")

    async def scenario():
        redis = support.redis_client(ctx)
        asked: list[int] = []

        async def fetch_after(seq):
            asked.append(seq)
            return await history.after(redis, room, seq)

        try:
            stored = [await history.append(redis, room, {"text": f"m{i}"}) for i in range(1, 6)]
            ctx.step("a cursor at 1 receives the notification of message 2 (the next one)")
            cursor = delivery.Cursor(fetch_after, last=1)
            got = await cursor.receive(stored[1])
            if [m["seq"] for m in got] != [2] or asked:
                raise CheckFailed(f"receive(message 2) at last=1 returned {[m.get('seq') for m in got]} and asked the "
                                  f"store {len(asked)} time(s); expected [2] without asking the store (the usual case "
                                  "must stay cheap).")
            ctx.step("then the notification of message 5 (3 and 4 were lost)")
            got = await cursor.receive(stored[4])
            if [m["seq"] for m in got] != [3, 4, 5] or [m["text"] for m in got] != ["m3", "m4", "m5"]:
                raise CheckFailed(f"receive(message 5) at last=2 returned {[m.get('seq') for m in got]}; expected "
                                  "[3, 4, 5]: fill the hole from the store (fetch_after(last)) before forwarding 5.")
            ctx.step("then 4 again (a late notification) and 5 again")
            for again in (stored[3], stored[4]):
                if await cursor.receive(again):
                    raise CheckFailed(f"message {again['seq']} was forwarded a second time; a seq <= last is a duplicate.")
            ctx.step("catch_up() with nothing new, then after two messages stored silently")
            if await cursor.catch_up():
                raise CheckFailed("catch_up() with nothing new in the store returned messages.")
            await history.append(redis, room, {"text": "m6"})
            await history.append(redis, room, {"text": "m7"})
            got = await cursor.catch_up()
            if [m["seq"] for m in got] != [6, 7] or cursor.last != 7:
                raise CheckFailed(f"catch_up() after messages 6 and 7 were stored returned {[m.get('seq') for m in got]}"
                                  f" (last={cursor.last}); expected [6, 7] and last=7.")
        finally:
            await redis.delete(history.seq_key(room), history.log_key(room))
            await redis.aclose()

    ctx.run_async(scenario, timeout=support.SCENARIO)


def _mine(frames: list[dict], tag: str) -> list[dict]:
    return [f for f in frames if f.get("type") == "message" and tag in str(f.get("text", ""))]


def _in_order(who: str, frames: list[dict], tag: str, expected: list[str], cluster) -> None:
    """``who`` received exactly ``expected`` (the texts carrying ``tag``), once each, in order."""
    got = [f["text"] for f in _mine(frames, tag)]
    if got == expected:
        seqs = [f.get("seq") for f in _mine(frames, tag)]
        if all(isinstance(s, int) for s in seqs) and seqs == sorted(set(seqs)):
            return
        raise CheckFailed(f"{who} received the right texts but with seqs {seqs}; every message frame carries its "
                          "number from the store, increasing.")
    missing = [t for t in expected if t not in got]
    duplicated = sorted({t for t in got if got.count(t) > 1})
    problem = (f"missing {missing[:5]}" if missing else f"duplicated {duplicated[:5]}" if duplicated
               else "out of order")
    raise CheckFailed(f"{who} received {len(got)} of {len(expected)} messages, {problem}: {got[:8]}... "
                      f"Expected each exactly once, in the store's order.{support.server_says(cluster)}")


def check_gap_filled(ctx: Context) -> None:
    cluster = support.cluster(ctx)
    history = _store()
    gil, hal = support.users("gil", "hal")
    tag = uuid.uuid4().hex[:6]

    async def scenario():
        opened = await support.on_two_backends(cluster, [gil, hal])
        redis = support.redis_client(ctx)
        try:
            ctx.step("a message is stored but its notification is lost (the check stores it without group_send)")
            await history.append(redis, "lobby", {"author": "ghost", "text": f"{tag} lost", "backend": "check"})
            ctx.step("gil sends a message right after it: every client must get the lost one FIRST, then gil's")
            await opened[0][0].send(json.dumps({"type": "message", "text": f"{tag} next"}))
            for client, backend, name in opened:
                frames = await support.frames_until(client, lambda f: len(_mine(f, tag)) >= 2, cluster.wait * 2)
                _in_order(f"{name} (on {backend})", frames, tag, [f"{tag} lost", f"{tag} next"], cluster)
            ctx.step("another message is stored silently and nothing follows it (the tail)")
            await history.append(redis, "lobby", {"author": "ghost", "text": f"{tag} tail", "backend": "check"})
            for client, backend, name in opened:
                frames = await support.frames_until(client, lambda f: len(_mine(f, tag)) >= 1, cluster.wait * 3)
                if not _mine(frames, tag):
                    raise CheckFailed(f"{name} (on {backend}) never received a message whose notification was lost "
                                      f"and that nothing followed ({cluster.wait * 3:g} s, tail checks every 1 s); "
                                      "expected every socket to ask the store for what it missed every "
                                      "WS_TAIL_CHECK seconds, even when nothing else arrives. "
                                      + see("08", "8. Delivery that loses nothing") + support.server_says(cluster))
        finally:
            await redis.aclose()
            for client, _, _ in opened:
                await client.close()

    ctx.run_async(scenario, timeout=support.SCENARIO * 1.5)


def check_resume(ctx: Context) -> None:
    cluster = support.cluster(ctx)
    ivo, jo = support.users("ivo", "jo")
    tag = uuid.uuid4().hex[:6]

    async def scenario():
        ivo_cookie = support.cookie(ivo)
        client, _ = await support.open_as(cluster, ivo, ivo_cookie)
        await client.send(json.dumps({"type": "message", "text": f"{tag} 0"}))
        frames = await support.frames_until(client, lambda f: len(_mine(f, tag)) >= 1, cluster.wait * 2)
        mine = _mine(frames, tag)
        await client.close()
        if not mine or not isinstance(mine[0].get("seq"), int):
            raise CheckFailed(f"ivo's own message came back as {mine[:1]!r:.150}; a message frame needs the 'seq' the "
                              "store gave it (history.append returns the message with it).")
        last = mine[0]["seq"]
        ctx.step(f"ivo goes away after message {last}; jo sends three")
        other, _ = await support.open_as(cluster, jo, support.cookie(jo))
        try:
            for i in (1, 2, 3):
                await other.send(json.dumps({"type": "message", "text": f"{tag} {i}"}))
            await support.frames_until(other, lambda f: len(_mine(f, tag)) >= 3, cluster.wait * 2)
        finally:
            await other.close()
        ctx.step(f"ivo reconnects with ?last_id={last}: he must get jo's three, once each, in order")
        back = await ws.connect(f"ws://127.0.0.1:{cluster.port}/ws/chat/?last_id={last}",
                                  timeout=cluster.handshake, origin=cluster.origin, cookie=f"sessionid={ivo_cookie}")
        try:
            frames = await support.frames_until(back, lambda f: len(_mine(f, tag)) >= 3, cluster.wait * 2)
            frames += await support.frames_until(back, lambda f: False, cluster.wait / 2)  # no duplicates after
        finally:
            await back.close()
        hello = frames[0] if frames else {}
        if hello.get("type") != "hello" or hello.get("last_id") != last:
            raise CheckFailed(f"on reconnecting with ?last_id={last} the hello was {hello!r:.150}; expected \"last_id\": "
                              f"{last} (history.start_point of the query string's last_id).")
        _in_order("ivo, back", frames, tag, [f"{tag} 1", f"{tag} 2", f"{tag} 3"], cluster)

    ctx.run_async(scenario, timeout=support.SCENARIO * 1.5)


def check_overflow(ctx: Context) -> None:
    cluster = support.cluster(ctx, overflow=True)
    names = support.users("kim", "lou", "max", "ned")
    tag = uuid.uuid4().hex[:6]
    per_sender = 40

    async def scenario():
        opened = await support.on_two_backends(cluster, names)
        try:
            ctx.step(f"kim and lou each send {per_sender} messages at once through a layer of capacity 4")
            expected = []
            for i in range(per_sender):
                for client, _, name in opened[:2]:
                    text = f"{tag} {name[:3]} {i}"
                    expected.append(text)
                    await client.send(json.dumps({"type": "message", "text": text}))
            for client, backend, name in opened:
                frames = await support.frames_until(client, lambda f: len(_mine(f, tag)) >= len(expected),
                                                    cluster.wait * 5)
                got = [f["text"] for f in _mine(frames, tag)]
                if sorted(got) != sorted(expected) or len(set(got)) != len(got):
                    _in_order(f"{name} (on {backend})", frames, tag, expected, cluster)
                seqs = [f.get("seq") for f in _mine(frames, tag)]
                if seqs != sorted(seqs):
                    raise CheckFailed(f"{name} (on {backend}) got every message, but out of order (seqs {seqs[:12]}"
                                      "...): hold back what follows a hole until the store has filled it.")
                for sender in (n[:3] for _, _, n in opened[:2]):
                    order = [int(t.rsplit(" ", 1)[1]) for t in got if f" {sender} " in t]
                    if order != sorted(order):
                        raise CheckFailed(f"{name} got {sender}'s messages in the order {order[:10]}...")
        finally:
            for client, _, _ in opened:
                await client.close()
        ctx.step(f"every client got all {len(expected)} messages exactly once, in order")

    ctx.run_async(scenario, timeout=support.SCENARIO * 2)
