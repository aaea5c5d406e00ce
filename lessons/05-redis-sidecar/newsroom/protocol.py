"""The contract between the two servers: what Django and the sidecar must agree on.

Nothing here imports Django's settings or opens a connection, so both processes import it:

* the secret that signs tokens (both read ``WORKSHOP_SECRET_KEY``), the salt and the lifetime;
* the Redis channel of a room, and the Redis URL (``WORKSHOP_REDIS_URL``);
* the page origins the sidecar accepts (``WORKSHOP_ALLOWED_ORIGINS``, comma-separated);
* the WebSocket URL (``/ws/<room>?token=...``) and the close codes a refusal uses.

Change one side of a contract like this and forget the other, and the two servers stop
understanding each other without a single error on either: that is one of the costs of two servers.
"""

from __future__ import annotations

import os
import re
from urllib.parse import parse_qs, urlsplit

DEFAULT_SECRET_KEY = "workshop-lesson-05-not-a-secret"
DEFAULT_REDIS_URL = "redis://127.0.0.1:6379/0"

TOKEN_SALT = "newsroom.sidecar-token"  # a token for the sidecar is useless for anything else signed by Django
TOKEN_MAX_AGE = 60  # seconds: long enough to open a socket, short enough that a leaked URL soon expires

ROOMS = ("lobby", "python", "django")
ROOM_NAME = re.compile(r"^[a-z0-9-]{1,40}$")

CLOSE_UNAUTHORIZED = 4401  # no token, a bad signature, an expired token, a token for another room
CLOSE_FORBIDDEN = 4403  # a page from an origin we do not serve
CLOSE_REDIS_GONE = 1011  # the sidecar lost Redis: the client should reconnect later


class InvalidToken(Exception):
    """The sidecar refuses this connection; ``str()`` says why (it becomes the close reason)."""


def secret_key() -> str:
    return os.environ.get("WORKSHOP_SECRET_KEY") or DEFAULT_SECRET_KEY


def redis_url() -> str:
    return os.environ.get("WORKSHOP_REDIS_URL") or DEFAULT_REDIS_URL


def allowed_origins() -> frozenset[str]:
    """The origins (scheme://host:port of Django's pages) whose pages may open a socket."""
    raw = os.environ.get("WORKSHOP_ALLOWED_ORIGINS", "")
    return frozenset(o.strip().rstrip("/").lower() for o in raw.split(",") if o.strip())


def channel_for(room: str) -> str:
    """The Redis pub/sub channel of a room: ``room:lobby``."""
    return f"room:{room}"


def parse_ws_path(path: str) -> tuple[str, str]:
    """``/ws/lobby?token=abc`` -> ``("lobby", "abc")``; InvalidToken when either is missing."""
    parts = urlsplit(path)
    match = re.fullmatch(r"/ws/([^/]+)/?", parts.path)
    if not match or not ROOM_NAME.match(match.group(1)):
        raise InvalidToken(f"no room in the path {parts.path!r} (expected /ws/<room>?token=...)")
    tokens = parse_qs(parts.query).get("token")
    if not tokens or not tokens[0]:
        raise InvalidToken("no token in the query string")
    return match.group(1), tokens[0]
