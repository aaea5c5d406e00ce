"""Lesson 08 · the security helpers the consumer uses: Origin checks, a rate limiter, input validation.

Plain functions and one small class, no sockets: each is checked on its own before the servers.
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
    """True when ``origin`` is exactly one of ``allowed_origins`` (scheme, host and port)."""
    key = _origin_key(origin)
    if key is None:
        return False
    return any(_origin_key(allowed) == key for allowed in allowed_origins)


class TokenBucket:
    """``rate`` tokens per second, at most ``burst`` saved up; each message spends one."""

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


def validate_message(data: str | None, max_length: int) -> str:
    """The text of a chat frame ``{"type": "message", "text": "..."}``, stripped."""
    if data is None:
        raise InvalidMessage("binary frames are not accepted: send JSON text")
    if len(data) > max_length:
        raise MessageTooLarge(f"message of {len(data)} characters; the limit is {max_length}")
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
