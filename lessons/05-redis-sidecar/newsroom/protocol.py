"""The contract between the two servers: what Django and the sidecar must agree on.

Nothing here imports Django's settings or opens a connection, so both processes import it:

* the secret that signs tokens: a random key made by the launcher for each run and handed to
  both processes explicitly (``--secret-file``), never a constant in the code: a key anyone can
  read is a key anyone can sign with;
* the salt, the lifetime, and the Redis key that makes each token single-use (``nonce_key``);
* the Redis channel of a room, and the Redis URL (``WORKSHOP_REDIS_URL``);
* the page origins the sidecar accepts (``WORKSHOP_ALLOWED_ORIGINS``, comma-separated);
* the WebSocket URL (``/ws/<room>?token=...``) and the close codes a refusal uses.

Change one side of a contract like this and forget the other, and the two servers stop
understanding each other without a single error on either: that is one of the costs of two servers.
"""

from __future__ import annotations

import os
import re
import secrets
from pathlib import Path
from typing import NamedTuple
from urllib.parse import parse_qs, urlsplit

DEFAULT_REDIS_URL = "redis://127.0.0.1:6379/0"

TOKEN_SALT = "newsroom.sidecar-token"  # a token for the sidecar is useless for anything else signed by Django
TOKEN_MAX_AGE = 60  # seconds: long enough to open a socket, short enough that a leaked URL soon expires

ROOMS = ("lobby", "python", "django")
ROOM_NAME = re.compile(r"^[a-z0-9-]{1,40}$")

CLOSE_UNAUTHORIZED = 4401  # no token, a bad signature, an expired token, a token for another room
CLOSE_FORBIDDEN = 4403  # a page from an origin we do not serve
CLOSE_TOKEN_USED = 4409  # a token that has already opened a socket: each token is good for one
CLOSE_REDIS_GONE = 1011  # the sidecar lost Redis: the client should reconnect later
CLOSE_TOO_SLOW = 1013  # "try again later": this client could not keep up; its page reconnects and catches up

# One Redis connection serves every socket, so nobody may hold it up: a client more than this many
# bytes behind is closed with CLOSE_TOO_SLOW instead of making the whole room wait.
SLOW_CLIENT_LIMIT = 256 * 1024
_PROCESS_KEY = secrets.token_urlsafe(32)  # used only when nobody handed this process a key


class InvalidToken(Exception):
    """The sidecar refuses this connection; ``str()`` says why (it becomes the close reason)."""


class Ticket(NamedTuple):
    """What a valid token says: who, and the nonce that makes it single-use."""

    user: str
    nonce: str


def secret_key() -> str:
    """The signing key: ``WORKSHOP_SECRET_KEY`` if set, else a random key for this process only.

    There is no default in the code on purpose: a key printed in a file (or a README) signs
    tokens for anyone who reads it. The launcher makes one per run and hands it over.
    """
    return os.environ.get("WORKSHOP_SECRET_KEY") or _PROCESS_KEY


def read_secret_file(path: str | Path) -> str:
    """The key the launcher wrote (one line, at least 32 characters); ValueError when it is unusable."""
    key = Path(path).read_text().strip()
    if len(key) < 32:
        raise ValueError(f"the key in {path} is too short: expected 32 characters or more")
    return key


def nonce_key(nonce: str) -> str:
    """The Redis key that records a spent token: ``newsroom:nonce:<nonce>``."""
    return f"newsroom:nonce:{nonce}"


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
    """``/ws/lobby?token=abc`` -> ``("lobby", "abc")``; InvalidToken when either is missing, or the room is
    not one Django serves."""
    parts = urlsplit(path)
    match = re.fullmatch(r"/ws/([^/]+)/?", parts.path)
    if not match or not ROOM_NAME.match(match.group(1)):
        raise InvalidToken(f"no room in the path {parts.path!r} (expected /ws/<room>?token=...)")
    if match.group(1) not in ROOMS:  # Django signs only its own rooms; refuse the others before anything
        raise InvalidToken(f"no room {match.group(1)!r} here")
    tokens = parse_qs(parts.query).get("token")
    if not tokens or not tokens[0]:
        raise InvalidToken("no token in the query string")
    return match.group(1), tokens[0]
