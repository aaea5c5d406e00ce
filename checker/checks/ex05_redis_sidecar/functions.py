"""Ring 1: lesson 05's plain functions in this grading process: tokens, Origin, publishing to a real Redis.

``make_token`` and ``publish_message`` are Django's (``publish.py``) whichever sidecar the learner
picked; the sidecar's side (verifying a token, the Origin rule) is ``sidecar.py``'s functions
here, or ``sidecar.js``'s called in node (``node.py``) for the Node.js variant.
"""

from __future__ import annotations

import json

from checker.api import CheckFailed, Context
from checker.probes.redis_watch import Subscriber

from .support import NODE, OTHER_ROOM, ROOM, django_app, message, redis_client, sidecar_for, token


def check_tokens(ctx: Context) -> None:
    publish = ctx.import_learner("publish")
    ctx.require_written(publish.make_token)  # before Django is set up for it
    django_app(ctx)
    from django.core import signing

    from newsroom.protocol import TOKEN_SALT

    ctx.step(f"make_token('ada', 'lobby'), then the sidecar's check of it ({sidecar_for(ctx).file})")
    signed = publish.make_token("ada", ROOM)
    again = publish.make_token("ada", ROOM)
    if not isinstance(signed, str) or signed.count(":") < 2:
        raise CheckFailed(f"make_token returned {signed!r:.120}; expected the text signing.dumps gives "
                          "(payload:timestamp:signature).")
    try:
        payload = signing.loads(signed, salt=TOKEN_SALT)
    except signing.BadSignature:
        raise CheckFailed("make_token's token does not verify with signing.loads(token, salt=TOKEN_SALT): "
                          "sign with signing.dumps(..., salt=TOKEN_SALT) (a TimestampSigner, so it can expire).") from None
    nonce = payload.get("nonce") if isinstance(payload, dict) else None
    if not isinstance(payload, dict) or set(payload) != {"user", "room", "nonce"} or payload["user"] != "ada" \
            or payload["room"] != ROOM:
        raise CheckFailed(f"make_token('ada', 'lobby') signed {payload!r}; expected "
                          "{'user': 'ada', 'room': 'lobby', 'nonce': <fresh random text>}.")
    if not isinstance(nonce, str) or len(nonce) < 16:
        raise CheckFailed(f"make_token's nonce is {nonce!r}; expected random text of 16 characters or more "
                          "(secrets.token_urlsafe(16)), so that nobody can guess the next one.")
    if signing.loads(again, salt=TOKEN_SALT).get("nonce") == nonce:
        raise CheckFailed("make_token gave two tokens the same nonce; each token needs a fresh one, or the second "
                          "token is refused as already used.")
    if sidecar_for(ctx) is NODE:
        from .node import verify_in_node

        verify_in_node(ctx, signed, nonce)
        return
    sidecar = ctx.import_learner("sidecar")
    got = sidecar.verify_token(signed, ROOM)
    if not isinstance(got, tuple) or tuple(got) != ("ada", nonce):
        raise CheckFailed(f"verify_token(make_token('ada', 'lobby'), 'lobby') returned {got!r}; expected "
                          f"Ticket(user='ada', nonce={nonce!r}).")
    ctx.step("verify_token on a token 30 s old (max_age is 60 s)")
    if sidecar.verify_token(token(ctx, "grace", ROOM, age=30, nonce="n" * 22), ROOM) != ("grace", "n" * 22):
        raise CheckFailed("verify_token refused a token signed 30 s ago (or did not return Ticket(user, nonce)); "
                          "TOKEN_MAX_AGE is 60 s.")
    for bad, what in bad_tokens(ctx):
        ctx.step(f"verify_token on {what}")
        _must_refuse(sidecar, bad, what)


def bad_tokens(ctx: Context) -> list[tuple[str, str]]:
    from django.core import signing

    from newsroom.protocol import TOKEN_SALT

    good = token(ctx, "ada", ROOM)
    _, rest = good.split(":", 1)
    forged = {"user": "admin", "room": ROOM, "nonce": "x" * 22}
    forged_payload = signing.b64_encode(json.dumps(forged, separators=(",", ":")).encode())
    fields = {"user": "ada", "room": ROOM, "nonce": "n" * 22}
    return [
        (token(ctx, "ada", ROOM, age=120), "a token signed 120 s ago (expired: max_age is 60 s)"),
        (token(ctx, "ada", OTHER_ROOM), "a token for #python used for #lobby"),
        (forged_payload.decode() + ":" + rest, "a token whose payload was changed to user 'admin'"),
        (good[:-2] + ("AA" if not good.endswith("AA") else "BB"), "a token with a changed signature"),
        (good[:-6], "a token whose signature was cut short"),
        (signing.dumps(fields, salt=TOKEN_SALT, key="another-secret-key"), "a token signed with another SECRET_KEY"),
        (signing.dumps(fields, salt=TOKEN_SALT, key="workshop-lesson-05-not-a-secret"),
         "a token signed with the key this lesson once printed in its README"),
        (signing.dumps(fields, salt="django.core.signing"), "a token signed with another salt"),
        (signing.dumps(["ada", ROOM, "n" * 22], salt=TOKEN_SALT), "a signed list instead of {'user': ..., ...}"),
        (signing.dumps({**fields, "user": 7}, salt=TOKEN_SALT), "a token whose user is not a str"),
        (signing.dumps({"user": "ada", "room": ROOM}, salt=TOKEN_SALT), "a token without a nonce (it could be reused)"),
        (signing.dumps({**fields, "nonce": 7}, salt=TOKEN_SALT), "a token whose nonce is not a str"),
        ("not-a-token", "text that is not a token"),
        ("", "an empty token"),
    ]


def _must_refuse(sidecar, bad: str, what: str) -> None:
    from django.core import signing

    from newsroom.protocol import InvalidToken

    try:
        user = sidecar.verify_token(bad, ROOM)
    except InvalidToken as problem:
        if not str(problem).strip():
            raise CheckFailed(f"verify_token raised InvalidToken() without a reason for {what}; give one "
                              "(it becomes the close reason the client sees).") from None
        return
    except signing.BadSignature as exc:
        raise CheckFailed(f"verify_token let {type(exc).__name__} escape for {what}; catch it and raise "
                          "InvalidToken('why') instead (the handler closes the socket on InvalidToken).") from None
    raise CheckFailed(f"verify_token accepted {what} (it returned {user!r}); it must raise InvalidToken.")


def check_publish(ctx: Context) -> None:
    publish = ctx.import_learner("publish")
    ctx.require_written(publish.publish_message)  # before Redis starts for it
    client = redis_client(ctx)
    listener = Subscriber(ctx.redis().url, timeout=ctx.timeout(1))
    try:
        for room, sent in ((ROOM, {"id": 41, "room": ROOM, "author": "ada", "text": "héllo, 👋 \"quoted\"",
                                   "sent_at": 1.5}),
                           (OTHER_ROOM, message(42, OTHER_ROOM))):
            ctx.step(f"publish_message(redis_client, {room!r}, {{...}}) with a redis-py subscriber listening")
            answer = publish.publish_message(client, room, dict(sent))
            _judge_published(listener.next(timeout=ctx.timeout(1)), room, sent, answer)
        ctx.step("publish_message to #django with nobody subscribed")
        listener.stop(timeout=ctx.timeout(1))
        nobody = publish.publish_message(client, "django", message(1, "django"))
        if nobody != 0:
            raise CheckFailed(f"publish_message returned {nobody!r} with nobody subscribed; expected 0 "
                              "(fire-and-forget: the message is simply gone).")
    finally:
        listener.close()


def _judge_published(got: dict | None, room: str, sent: dict, answer) -> None:
    if got is None:
        raise CheckFailed("publish_message returned, but no message was published on any channel in time. "
                          "Call redis_client.publish(channel, text).")
    if got["channel"] != f"room:{room}":
        raise CheckFailed(f"publish_message(..., {room!r}, ...) published on the channel {got['channel']!r}; "
                          f"expected 'room:{room}' (channel_for(room)): the sidecar listens there.")
    try:
        data = json.loads(got["data"])
    except ValueError:
        raise CheckFailed(f"publish_message published {got['data']!r:.120}, which is not JSON; "
                          "publish json.dumps(message).") from None
    if data != sent:
        raise CheckFailed(f"publish_message published {data!r:.200}; expected the message unchanged, {sent!r:.200}.")
    if answer != 1:
        raise CheckFailed(f"publish_message returned {answer!r}; with one subscriber listening, Redis answers "
                          "PUBLISH with 1. Return what redis_client.publish(...) returns.")


ORIGINS = [
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
    ("http://127.0.0.1:800", False, "a prefix of an allowed origin"),
]


def check_origin(ctx: Context) -> None:
    if sidecar_for(ctx) is NODE:
        from .node import origin_in_node

        origin_in_node(ctx)
        return
    sidecar = ctx.import_learner("sidecar")
    allowed = frozenset({"http://127.0.0.1:8000", "http://localhost:8000"})
    for origin, expected, what in ORIGINS:
        ctx.step(f"check_origin({origin!r}, ...)")
        got = sidecar.check_origin(origin, allowed)
        if got is not expected:
            raise CheckFailed(f"check_origin({origin!r}, {sorted(allowed)}) returned {got!r} for {what}; "
                              f"expected {expected}.")
