"""Lesson 05, the Django side: sign the sidecar's token and publish new messages to Redis.

Django runs these in ordinary (WSGI) request threads: the view ``GET /room/<room>/token`` calls
``make_token``, and ``POST /room/<room>/messages`` stores the message and then calls
``publish_message``. Neither waits for anybody: that is what keeps them fit for WSGI.
"""

from __future__ import annotations

import json

from django.core import signing

from newsroom.protocol import TOKEN_SALT, channel_for


def make_token(user: str, room: str) -> str:
    """A token that proves to the sidecar: Django let ``user`` into ``room``, a moment ago."""
    return signing.dumps({"user": user, "room": room}, salt=TOKEN_SALT)


def publish_message(redis_client, room: str, message: dict) -> int:
    """Publish ``message`` as JSON on the room's channel; return how many subscribers got it."""
    return redis_client.publish(channel_for(room), json.dumps(message))
