"""Lesson 08 · the security helpers the consumer uses: Origin checks, a rate limiter, input validation.

Plain functions and one small class, no sockets: `python -m checker 08` checks each on its own
before it starts any server. Work top to bottom.
"""

from __future__ import annotations

import json
import time
from urllib.parse import urlsplit

DEFAULT_PORTS = {"http": 80, "https": 443}


class InvalidMessage(ValueError):
    """A frame the chat refuses; ``str()`` says why (the sender sees it)."""


class MessageTooLarge(InvalidMessage):
    """A frame over the size limit: the consumer closes the connection (4413)."""


def _origin_key(origin) -> tuple[str, str, int] | None:
    """(scheme, host, port) of a well-formed http(s) origin, or None."""
    if not isinstance(origin, str) or not origin or origin == "null":
        return None
    try:
        parts = urlsplit(origin)
        port = parts.port
    except ValueError:  # "http://host:8000.evil.example" has no valid port
        return None
    scheme = parts.scheme.lower()
    if scheme not in DEFAULT_PORTS or not parts.hostname:
        return None
    if parts.username is not None or parts.password is not None or parts.path or parts.query or parts.fragment:
        return None  # an Origin is scheme://host[:port] and nothing else
    return scheme, parts.hostname.lower(), port or DEFAULT_PORTS[scheme]


def origin_allowed(origin: str | None, allowed_origins) -> bool:
    """True when ``origin`` is exactly one of ``allowed_origins`` (scheme, host and port).

    A browser sends ``Origin: scheme://host[:port]`` with every WebSocket handshake: the page that
    opened the socket. It also sends that site's cookies, whoever the page belongs to. So a page on
    ``http://evil.example`` can open a socket to your server *as your logged-in user* (Cross-Site
    WebSocket Hijacking) unless you refuse origins that are not yours.

    Rules:

    * ``None`` (no header), ``""`` and ``"null"`` are refused.
    * Parse with ``urllib.parse.urlsplit``; reading ``.port`` raises ``ValueError`` for junk
      such as ``http://127.0.0.1:8000.evil.example``: refuse those.
    * Only ``http`` and ``https``; scheme and host compare case-insensitively; a missing port is
      the scheme's default (``https://a.example`` == ``https://a.example:443``).
    * An origin is scheme, host and port and nothing else: refuse user info
      (``http://127.0.0.1:8000@evil.example`` is a request to evil.example), paths, queries.
    * Compare the (scheme, host, port) tuple for *equality* with each allowed origin, parsed the
      same way. Never ``startswith`` or ``in``: ``http://127.0.0.1.evil.example`` starts with
      ``http://127.0.0.1``.

    >>> origin_allowed("http://127.0.0.1:8000", ["http://127.0.0.1:8000"])
    True
    >>> origin_allowed("http://127.0.0.1.evil.example:8000", ["http://127.0.0.1:8000"])
    False
    """
    key = _origin_key(origin)
    if key is None:
        return False
    return any(_origin_key(allowed) == key for allowed in allowed_origins)


class TokenBucket:
    """A rate limiter: ``rate`` tokens per second, at most ``burst`` saved up; a message spends one.

    A quiet client saves up to ``burst`` tokens, so a short burst passes; a client that keeps
    sending faster than ``rate`` runs dry and is refused until tokens trickle back.

    ``clock`` is a function returning seconds (``time.monotonic`` by default, never wall-clock
    time, which jumps). Taking it as a parameter makes the bucket testable: pass a function whose
    value you move by hand.

    * ``__init__``: ``ValueError`` unless ``rate > 0`` and ``burst >= 1``. The bucket starts full:
      ``self.tokens = float(burst)``; ``self.updated = clock()``, the time of the last update. (Keep
      these two names: ``consumers.allow_message`` stores them in Redis, one bucket per user.)
    * ``allow(cost=1)``: read the clock; add ``elapsed * rate`` tokens (no tokens when the clock went
      back: use ``max(0, elapsed)``), never more than ``burst``; remember this reading; if at least
      ``cost`` tokens are there, spend them and return True, else return False (a refused call
      spends nothing).
    """

    def __init__(self, rate: float, burst: int, clock=time.monotonic):
        if not rate > 0:
            raise ValueError(f"rate must be > 0 tokens per second, not {rate!r}")
        if not burst >= 1:
            raise ValueError(f"burst must be >= 1, not {burst!r}")
        self.rate = rate
        self.burst = burst
        self.clock = clock
        self.tokens = float(burst)
        self.updated = clock()

    def allow(self, cost: float = 1) -> bool:
        now = self.clock()
        elapsed = max(0.0, now - self.updated)  # a clock that goes back gives nothing
        self.updated = now
        self.tokens = min(float(self.burst), self.tokens + elapsed * self.rate)
        if self.tokens >= cost:
            self.tokens -= cost
            return True
        return False


def validate_message(data: str | bytes | None, max_length: int) -> str:
    """The text of a chat frame ``{"type": "message", "text": "..."}``, stripped of surrounding spaces.

    * ``data`` is ``bytes`` for a binary frame (the consumer passes ``bytes_data``), ``None`` when
      there is nothing: the size check comes first for those too (a 1 MiB binary frame is as much
      abuse as a 1 MiB text one: ``MessageTooLarge``), then ``InvalidMessage`` (only text is chat).
    * ``len(data) > max_length``: ``MessageTooLarge``. Check this FIRST, before ``json.loads``:
      parsing a huge frame is exactly the work an attacker wants you to do.
    * Not JSON, not an object, ``type`` other than ``"message"``, ``text`` missing, not a string or
      blank: ``InvalidMessage("why")`` (non-empty text: the sender sees it).
    """
    if data is not None and len(data) > max_length:
        raise MessageTooLarge(f"message of {len(data)} characters or bytes; the limit is {max_length}")
    if not isinstance(data, str):
        raise InvalidMessage("binary frames are not accepted: send JSON text")
    try:
        content = json.loads(data)
    except ValueError:
        raise InvalidMessage("not JSON") from None
    if not isinstance(content, dict) or content.get("type") != "message":
        raise InvalidMessage('expected {"type": "message", "text": "..."}')
    text = content.get("text")
    if not isinstance(text, str):
        raise InvalidMessage('"text" must be a string')
    text = text.strip()
    if not text:
        raise InvalidMessage("empty message")
    return text
