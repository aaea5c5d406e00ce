"""Lesson 05, the Django side: sign the sidecar's token and publish new messages to Redis.

Django runs these in ordinary (WSGI) request threads: the view ``GET /room/<room>/token`` calls
``make_token``, and ``POST /room/<room>/messages`` stores the message (scaffolding, so the history
survives) and then calls ``publish_message``. Neither waits for anybody: that is what keeps them
fit for WSGI. The sidecar, another process, does the waiting.

Grade with ``python -m checker 05``; run it all with ``python -m checker serve 05``.
"""

from __future__ import annotations

import json  # noqa: F401 - you will need it
import secrets  # noqa: F401 - you will need it

from django.core import signing  # noqa: F401 - you will need it

from newsroom.protocol import TOKEN_SALT, channel_for  # noqa: F401 - the contract shared with the sidecar


def make_token(user: str, room: str) -> str:
    """A token that proves to the sidecar: Django let ``user`` into ``room``, a moment ago.

    The sidecar has no sessions and no database; it trusts what Django signed with SECRET_KEY
    (both processes get the same key). ``signing.dumps(obj, salt=...)`` turns a small JSON-able
    object into ``payload:timestamp:signature`` text. The timestamp is what lets the sidecar
    refuse an old token (``max_age``); the salt keeps this token from being accepted anywhere else
    that Django checks signatures, and vice versa.

    Sign a dict with three keys, ``{"user": user, "room": room, "nonce": ...}``, with
    ``salt=TOKEN_SALT``. The nonce is a fresh random text for every token
    (``secrets.token_urlsafe(16)``): the sidecar records each nonce it has seen in Redis and
    refuses a token whose nonce was already spent, so a token opens one socket, once.
    Note: the payload is only base64, readable by anyone; signed is not secret. Put no secrets in it.
    """
    # TODO: return signing.dumps(...) of {"user": ..., "room": ..., "nonce": <fresh random text>} with TOKEN_SALT
    raise NotImplementedError("make_token")


def publish_message(redis_client, room: str, message: dict) -> int:
    """Publish ``message`` as JSON on the room's channel; return how many subscribers got it.

    ``redis_client`` is a ``redis.Redis`` (redis-py, synchronous); ``message`` is the stored
    message, e.g. ``{"id": 7, "room": "lobby", "author": "ada", "text": "hi", "sent_at": ...}``.
    The channel is ``channel_for(room)`` (``"room:lobby"``): the sidecar subscribes to the same
    name. PUBLISH is fire-and-forget: Redis hands the text to whoever is subscribed at that very
    moment and keeps nothing, and it answers with how many subscribers received it (0 is fine:
    nobody is watching the room right now).
    """
    # TODO: redis_client.publish(<the channel>, <the message as JSON text>), and return its answer
    raise NotImplementedError("publish_message")
