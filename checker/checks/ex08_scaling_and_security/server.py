"""Ring 3, a real cluster: a real Redis, two Daphne processes running the learner's consumer and
the lesson's round-robin balancer in front, started by ``lessons/08-scaling-and-security/launch.py``;
``websockets`` clients connect to the balancer's single port, as browsers would."""

from __future__ import annotations

import asyncio
import json

from checker.api import CheckFailed, Context
from checker.expect import see

from . import support

FOREIGN_ORIGINS = ["http://evil.example", "http://127.0.0.1.evil.example"]


def check_cross_backend(ctx: Context) -> None:
    cluster = support.cluster(ctx)
    ada, bob = support.users("ada", "bob")

    async def scenario():
        ctx.step("ada and bob connect through the balancer (round-robin: two backends)")
        opened = await support.on_two_backends(cluster, [ada, bob])
        (a, a_backend, _), (b, b_backend, _) = opened
        try:
            ctx.step(f"ada (on {a_backend}) sends; bob is on {b_backend}")
            await a.send(json.dumps({"type": "message", "text": "hello from A"}))
            for client, who in ((b, f"bob (on {b_backend})"), (a, f"ada (on {a_backend})")):
                frame = await support.recv(client, who, "ada's message (group_send reaches every process; self.send "
                                    "only the sender)", cluster)
                if frame.get("type") != "message" or frame.get("text") != "hello from A" or frame.get("author") != ada:
                    raise CheckFailed(f"{who} received {frame!r:.200}; expected {{\"type\": \"message\", \"author\": "
                                      f"{ada!r}, \"text\": \"hello from A\", ...}}. A message must go to the group "
                                      "(group_send through the Redis layer), not to the sender (self.send).")
            ctx.step(f"bob (on {b_backend}) answers")
            await b.send(json.dumps({"type": "message", "text": "hi back from B"}))
            frame = await support.recv(a, f"ada (on {a_backend})", "bob's answer from the other process", cluster)
            if frame.get("text") != "hi back from B" or frame.get("author") != bob:
                raise CheckFailed(f"ada received {frame!r:.200}; expected bob's 'hi back from B'.")
        finally:
            for client, _, _ in opened:
                await client.close()

    ctx.run_async(scenario, timeout=support.SCENARIO)



def check_foreign_origin(ctx: Context) -> None:
    cluster = support.cluster(ctx)
    (eve,) = support.users("eve")

    async def scenario():
        from websockets.exceptions import InvalidStatus

        cookie = support.cookie(eve)
        ctx.step("eve connects from the page's own origin (must work, twice: both backends)")
        for _ in range(2):
            client, _ = await support.open_as(cluster, f"{eve} (own origin)", cookie)
            await client.close()
        for origin in FOREIGN_ORIGINS + [f"{cluster.origin}@evil.example", None]:
            what = f"Origin {origin}" if origin else "no Origin header"
            for _ in range(2):  # round-robin: once on each backend
                ctx.step(f"a handshake with eve's cookie and {what}")
                try:
                    client = await support.connect(cluster, cookie, origin)
                except InvalidStatus as refused:
                    if refused.response.status_code != 403:
                        raise CheckFailed(f"a handshake with {what} got HTTP {refused.response.status_code}; "
                                          "expected 403 (self.close() before accept()).") from None
                    continue
                await client.close()
                raise CheckFailed(f"a handshake carrying eve's session cookie with {what} was accepted: that is "
                                  "Cross-Site WebSocket Hijacking (any site's page can open it, the browser adds the "
                                  "cookie). Expected a refusal before accept() for every Origin the site does not "
                                  "allow. " + see("08", "4. Cross-Site WebSocket Hijacking (CSWSH)"))

    ctx.run_async(scenario, timeout=support.SCENARIO)



def check_anonymous(ctx: Context) -> None:
    cluster = support.cluster(ctx)

    async def scenario():
        from websockets.exceptions import InvalidStatus

        for attempt in range(2):
            ctx.step("a handshake from the page's origin without a session cookie")
            try:
                client = await support.connect(cluster, None)
            except InvalidStatus as refused:
                raise CheckFailed(f"an anonymous handshake got HTTP {refused.response.status_code}; accept() and then "
                                  "close(code=4401), so the page can tell 'sign in' from other failures."
                                  f"{support.server_says(cluster)}") from None
            code, frames = await support.closed_with(client, "the anonymous client", cluster)
            await client.close()
            if code != 4401:
                said = support.how_closed(code)
                raise CheckFailed(f"an anonymous connection {said} after receiving {frames!r:.150}; expected close code "
                                  "4401 and nothing else (check scope['user'].is_authenticated).")

    ctx.run_async(scenario, timeout=support.SCENARIO)



def check_rate_limit(ctx: Context) -> None:
    cluster = support.cluster(ctx)
    (flo,) = support.users("flo")

    async def scenario():
        client, backend = await support.open_as(cluster, flo, support.cookie(flo))
        try:
            ctx.step(f"flo (on {backend}) sends 30 messages at once (burst 10, 5/s)")
            for i in range(30):
                try:
                    await client.send(json.dumps({"type": "message", "text": f"flood {i}"}))
                except Exception:  # noqa: BLE001 - closed by the server mid-flood: fine
                    break
            code, frames = await support.closed_with(client, "flo", cluster, waiting=ctx.timeout(3))
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
            raise CheckFailed(f"after the flood the connection {support.how_closed(code)}; "
                              f"expected close code 4429 after {3} refused messages.")

    async def invalid_flood():
        (ivy,) = support.users("ivy")
        client, backend = await support.open_as(cluster, ivy, support.cookie(ivy))
        try:
            ctx.step(f"ivy (on {backend}) sends 30 invalid frames at once (each must spend a token too)")
            for _ in range(30):
                try:
                    await client.send(json.dumps({"type": "shout", "text": "not a chat message"}))
                except Exception:  # noqa: BLE001 - closed by the server mid-flood: fine
                    break
            code, _ = await support.closed_with(client, "ivy", cluster, waiting=ctx.timeout(3))
        finally:
            await client.close()
        if code != 4429:
            said = support.how_closed(code)
            raise CheckFailed(f"after a flood of 30 invalid frames the connection {said}; expected 4429. Was "
                              "validate_message called before self.bucket.allow()? Then a frame that fails validation "
                              "never spends a token, and a flood of invalid frames is never limited: ask the bucket "
                              "first, for every frame.")

    async def reconnect_loop():
        from websockets.exceptions import ConnectionClosed

        rex, una = support.users("rex", "una")
        cookie = support.cookie(rex)
        watcher, _ = await support.open_as(cluster, una, support.cookie(una))
        sent = 0
        try:
            ctx.step("rex, three times in a row: open a socket, send 10 messages, close (a new bucket each time?)")
            for _ in range(3):
                client, _ = await support.open_as(cluster, rex, cookie)
                try:
                    for _ in range(10):
                        await client.send(json.dumps({"type": "message", "text": f"loop {sent}"}))
                        sent += 1
                except ConnectionClosed:  # refused: 4429
                    pass
                finally:  # at once: a pause would refill a per-user bucket too
                    await client.close()
            ctx.step("una, in the room, counts rex's broadcasts")
            frames = await support.frames_until(watcher, lambda f: False, cluster.wait)
        finally:
            await watcher.close()
        accepted = sum(1 for f in frames if f.get("type") == "message" and f.get("author") == rex)
        if accepted > 22:  # burst 10, plus 5/s while the loop ran (a bucket per connection lets all 30 through)
            raise CheckFailed(f"{accepted} of rex's {sent} messages were broadcast although each socket stayed near "
                              "the burst: a bucket on the connection is new and full after every reconnect. Keep it "
                              "per user, in Redis (allow_message).")

    ctx.run_async(scenario, timeout=support.SCENARIO)
    ctx.run_async(invalid_flood, timeout=support.SCENARIO)
    ctx.run_async(reconnect_loop, timeout=support.SCENARIO)



def check_message_size(ctx: Context) -> None:
    cluster = support.cluster(ctx)
    (max_,) = support.users("max")

    async def scenario():
        client, _ = await support.open_as(cluster, max_, support.cookie(max_))
        try:
            ctx.step("max sends a normal message, then one with 5,000 characters (limit 2,000)")
            await client.send(json.dumps({"type": "message", "text": "small"}))
            frame = await support.recv(client, max_, "his own small message", cluster)
            if frame.get("text") != "small":
                raise CheckFailed(f"a normal message came back as {frame!r:.150}.")
            await client.send(json.dumps({"type": "message", "text": "x" * 5000}))
            code, frames = await support.closed_with(client, max_, cluster)
        finally:
            await client.close()
        if any(f.get("type") == "message" for f in frames):
            raise CheckFailed("the 5,000-character message was broadcast; the limit is settings.WS_MAX_MESSAGE (2,000).")
        if code != 4413:
            raise CheckFailed(f"after a 5,000-character message the connection "
                              f"{support.how_closed(code)}; expected close code 4413 "
                              "(validate_message raises MessageTooLarge; the consumer closes).")

    async def binary():
        client, _ = await support.open_as(cluster, max_, support.cookie(max_))
        try:
            ctx.step("max sends 5,000 bytes in a BINARY frame")
            await client.send(b"x" * 5000)
            code, _ = await support.closed_with(client, max_, cluster)
        finally:
            await client.close()
        if code != 4413:
            said = support.how_closed(code)
            raise CheckFailed(f"after a 5,000-byte binary frame the connection {said}; expected 4413. Binary frames "
                              "arrive as bytes_data: pass it to validate_message, which measures it first.")

    ctx.run_async(scenario, timeout=support.SCENARIO)
    ctx.run_async(binary, timeout=support.SCENARIO)



def check_connection_cap(ctx: Context) -> None:
    cluster = support.cluster(ctx)
    (cap,) = support.users("cap")
    cookie = support.cookie(cap)
    key = ctx.import_learner("consumers").connections_key(support.user_pk(cap))

    async def scenario():
        clients, backends = [], []
        try:
            for i in range(3):
                ctx.step(f"cap opens socket {i + 1} of 3 (the limit)")
                client, backend = await support.open_as(cluster, f"{cap}'s socket {i + 1}", cookie)
                clients.append(client)
                backends.append(backend)
            ctx.step(f"cap opens a 4th socket (the first three are on {backends})")
            fourth = await support.connect(cluster, cookie)
            code, frames = await support.closed_with(fourth, "the 4th socket", cluster)
            await fourth.close()
            if code != 4409:
                said = support.how_closed(code) + ("" if code else f" (frames: {frames!r:.100})")
                raise CheckFailed(f"a 4th socket for one user, with 3 open on {sorted(set(backends))}, {said}; expected "
                                  "close code 4409. The count must live in Redis (count_connection) so both "
                                  "processes see it.")
            ctx.step("cap closes one socket; the count in Redis must come down to 2 (disconnect releases it)")
            await clients.pop().close()
            left = await _count_settles(ctx, key, 2, cluster.wait)
            if left > 2:
                raise CheckFailed(f"after the 4th socket was refused and one of the 3 closed, Redis still counts {left} "
                                  f"sockets for cap ({key}); expected 2. release_connection must run in disconnect() "
                                  "for every counted connection, the refused ones too (set self.counted before "
                                  "refusing).")
            ctx.step("cap opens a socket again: with 2 open it must be accepted")
            client, _ = await support.open_as(cluster, f"{cap}'s new socket", cookie)
            clients.append(client)
        finally:
            for client in clients:
                await client.close()

    ctx.run_async(scenario, timeout=support.SCENARIO)



# -- helpers ---------------------------------------------------------------------------------
async def _count_settles(ctx: Context, key: str, wanted: int, wait: float):
    """Poll the number of live sockets at ``key`` (the servers' own state) until it is ``wanted`` or less."""
    client = support.redis_client(ctx)
    try:
        end = asyncio.get_running_loop().time() + wait
        while True:
            value = await client.zcard(key)
            if value <= wanted or asyncio.get_running_loop().time() > end:
                return value
            await asyncio.sleep(0.02)
    finally:
        await client.aclose()
