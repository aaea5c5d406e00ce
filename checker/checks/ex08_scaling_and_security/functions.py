"""Ring 1, plain code called directly: ``origin_allowed`` on a table of tricky origins,
``TokenBucket`` with a clock the check moves by hand (the clock is the learner's own parameter),
``validate_message``, and the Redis connection counter against a real Redis."""

from __future__ import annotations

import asyncio
import json
import uuid

from checker.api import CheckFailed, Context
from checker.expect import see

from .support import SCENARIO, ensure_django

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
    ctx.step("allow(cost) spends cost tokens: TokenBucket(rate=4, burst=3), allow(2), allow(2), allow(1)")
    costly = security.TokenBucket(4, 3, clock=clock)
    got = [costly.allow(2), costly.allow(2), costly.allow(1)]
    if got != [True, False, True]:
        raise CheckFailed(f"a full bucket of 3 answered allow(2), allow(2), allow(1) with {got}; expected [True, False, "
                          "True]: allow(cost) must check for and spend cost tokens, not always one.")
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
    exact = json.dumps({"type": "message", "text": "x" * 69})  # exactly 100 characters: the limit itself is allowed
    ctx.step("validate_message(a frame of exactly 100 characters, 100)")
    try:
        security.validate_message(exact, 100)
    except security.InvalidMessage as problem:
        raise CheckFailed(f"a frame of exactly max_length=100 characters raised {type(problem).__name__}; the limit "
                          "is the largest size allowed: refuse only len(data) > max_length.") from None
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
    ctx.step("validate_message(5,000 bytes in a binary frame, 100)")
    try:
        security.validate_message(b"x" * 5000, 100)
    except security.MessageTooLarge:
        pass
    except Exception as exc:  # noqa: BLE001 - what the learner's function raised
        raise CheckFailed(f"a 5,000-byte binary frame with max_length=100 raised {type(exc).__name__}; expected "
                          "MessageTooLarge: measure binary frames too, before refusing them for being binary "
                          "(else a client bypasses the size limit by sending bytes).") from None
    else:
        raise CheckFailed("a 5,000-byte binary frame with max_length=100 was accepted; raise MessageTooLarge.")
    for data, what in [(None, "no data (None)"), (b'{"type": "message", "text": "hi"}', "a small binary frame"),
                       ("{oops", "not JSON"), ("[1]", "a JSON array"),
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



def check_count_connections(ctx: Context) -> None:
    consumers = ctx.import_learner("consumers")
    ctx.require_written(consumers.count_connection, consumers.release_connection)  # before Django and Redis start
    ensure_django()
    url = ctx.redis().url
    user, racer = f"u-{uuid.uuid4().hex[:8]}", f"r-{uuid.uuid4().hex[:8]}"
    key = consumers.connections_key(user)

    async def scenario():
        import redis.asyncio as aioredis

        client = aioredis.Redis.from_url(url, decode_responses=True)
        try:
            got = []
            for name in ("a", "b", "c"):
                ctx.step(f"count_connection(redis, {user!r}, 'chan-{name}', ttl=60, now=1000)")
                got.append(await consumers.count_connection(client, user, f"chan-{name}", 60, now=1000.0))
            if got != [1, 2, 3]:
                raise CheckFailed(f"count_connection returned {got} for three sockets; expected [1, 2, 3].")
            ctx.step("the heartbeat of chan-a: count_connection again with the same channel name, now=1030")
            again = await consumers.count_connection(client, user, "chan-a", 60, now=1030.0)
            if again != 3:
                raise CheckFailed(f"refreshing a socket already counted returned {again}; expected 3. Count which "
                                  "sockets are live (a sorted set, one member per channel_name), not how many times "
                                  "count_connection ran.")
            ttl = await client.ttl(key)
            if not 0 < ttl <= 60:
                raise CheckFailed(f"the key {key!r} has TTL {ttl}; expected between 1 and 60 s (the ttl given), so a "
                                  "set nobody refreshes goes away by itself.")
            ctx.step("now=1070: chan-b and chan-c were last counted at 1000 with ttl 60 (their process died)")
            later = await consumers.count_connection(client, user, "chan-d", 60, now=1070.0)
            if later != 2:
                raise CheckFailed(f"at now=1070 a new socket was counted as {later}; expected 2 (chan-a, refreshed at "
                                  "1030, and chan-d): sockets whose moment now+ttl has passed are stale. Drop them "
                                  "first (ZREMRANGEBYSCORE key -inf now): a crashed process never releases its "
                                  "sockets, and its users would be locked out.")
            ctx.step("release_connection(chan-d), then again, then an unknown channel")
            left = [await consumers.release_connection(client, user, name) for name in ("chan-d", "chan-d", "chan-x")]
            if left != [1, 1, 1]:
                raise CheckFailed(f"releasing chan-d, chan-d again and an unknown chan-x returned {left}; expected "
                                  "[1, 1, 1]: a release removes that socket only, and never takes the count below "
                                  "what is live (a DECR counter goes to -1 and lets an extra socket in).")
            ctx.step("the whole key expires (or is deleted) while chan-a is open, then chan-a is released")
            await client.delete(key)
            after = await consumers.release_connection(client, user, "chan-a")
            if after != 0:
                raise CheckFailed(f"releasing a socket after the key vanished returned {after}; expected 0, never "
                                  "negative.")
            ctx.step(f"4 sockets of {racer!r} counted at the same moment (asyncio.gather, 4 clients)")
            clients = [aioredis.Redis.from_url(url, decode_responses=True) for _ in range(4)]
            try:
                counts = await asyncio.gather(*(consumers.count_connection(c, racer, f"chan-{i}", 60)
                                                for i, c in enumerate(clients)))
            finally:
                for each in clients:
                    await each.aclose()
            if sorted(counts) != [1, 2, 3, 4]:
                raise CheckFailed(f"4 concurrent connects returned {counts}; expected 1, 2, 3 and 4 in some order. "
                                  "Another connect ran between your add and your count: how does Redis run several "
                                  "commands as one? "
                                  + see("08", "7. Security under attack: what held, what broke, what changed"))
        finally:
            await client.delete(key, consumers.connections_key(racer))
            await client.aclose()

    ctx.run_async(scenario, timeout=SCENARIO)


def check_user_rate_limit(ctx: Context) -> None:
    ensure_django()
    consumers = ctx.import_learner("consumers")
    url = ctx.redis().url
    user, racer = f"u-{uuid.uuid4().hex[:8]}", f"r-{uuid.uuid4().hex[:8]}"

    async def scenario():
        import redis.asyncio as aioredis

        client = aioredis.Redis.from_url(url, decode_responses=True)
        try:
            ctx.step(f"allow_message(redis, {user!r}, rate=4, burst=3, now=500) x5")
            got = [await consumers.allow_message(client, user, 4, 3, now=500.0) for _ in range(5)]
            if got != [True, True, True, False, False]:
                raise CheckFailed(f"allow_message with rate=4/s, burst=3, the clock standing still, returned {got}; "
                                  "expected [True, True, True, False, False].")
            ctx.step("a NEW client (another connection, another process) asks for the same user at now=500")
            other = aioredis.Redis.from_url(url, decode_responses=True)
            try:
                fresh = await consumers.allow_message(other, user, 4, 3, now=500.0)
            finally:
                await other.aclose()
            if fresh is not False:
                raise CheckFailed("a second Redis client got a token for a user whose bucket is empty: the bucket "
                                  "must live in Redis (rate_key(user_id)), not in the caller, so reconnecting does "
                                  "not refill it.")
            ctx.step("now=500.5: half a second at 4/s is 2 tokens")
            got = [await consumers.allow_message(client, user, 4, 3, now=500.5) for _ in range(3)]
            if got != [True, True, False]:
                raise CheckFailed(f"0.5 s later (2 tokens at 4/s) allow_message x3 returned {got}; expected "
                                  "[True, True, False].")
            ttl = await client.ttl(consumers.rate_key(user))
            if not 0 < ttl <= 60:
                raise CheckFailed(f"the bucket's key has TTL {ttl}; expected a little longer than the bucket takes to "
                                  "fill up again, so an idle user's bucket goes away by itself.")
            ctx.step(f"20 messages of {racer!r} at the same moment on 20 clients (burst 10, clock still)")
            clients = [aioredis.Redis.from_url(url, decode_responses=True) for _ in range(20)]
            try:
                answers = await asyncio.gather(*(consumers.allow_message(c, racer, 1, 10, now=700.0) for c in clients))
            finally:
                for each in clients:
                    await each.aclose()
            if sum(answers) != 10:
                raise CheckFailed(f"20 concurrent messages against a bucket of 10 got {sum(answers)} tokens; expected "
                                  "exactly 10. Reading the bucket and writing it back is a race between processes: "
                                  "WATCH the key, MULTI, write, EXECUTE, and go round again on WatchError.")
        finally:
            await client.delete(consumers.rate_key(user), consumers.rate_key(racer))
            await client.aclose()

    ctx.run_async(scenario, timeout=SCENARIO)



# -- helpers ---------------------------------------------------------------------------------
class _Clock:
    """A clock the check moves by hand: ``clock()`` is the time, ``clock.now += 0.5`` moves it."""

    def __init__(self, start: float = 1000.0):
        self.now = start

    def __call__(self) -> float:
        return self.now

