"""Lesson 08 · the security helpers the consumer uses: Origin checks, a rate limiter, input validation.

Plain functions and one small class, no sockets: `python -m checker 08` checks each on its own
before it starts any server. Work top to bottom.
"""

from __future__ import annotations

import json  # noqa: F401 - for validate_message
import time
from urllib.parse import urlsplit  # noqa: F401 - for origin_allowed

DEFAULT_PORTS = {"http": 80, "https": 443}


class InvalidMessage(ValueError):
    """A frame the chat refuses; ``str()`` says why (the sender sees it)."""


class MessageTooLarge(InvalidMessage):
    """A frame over the size limit: the consumer closes the connection (4413)."""


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
    # TODO: parse origin and every allowed origin into (scheme, host, port); compare for equality.
    raise NotImplementedError("origin_allowed")


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
        # TODO: validate, then keep rate, burst, clock, tokens (a float, full) and the last reading.
        raise NotImplementedError("TokenBucket.__init__")

    def allow(self, cost: float = 1) -> bool:
        # TODO: refill from the elapsed time (capped at burst), then spend `cost` if you can.
        raise NotImplementedError("TokenBucket.allow")


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
    # TODO: size (text or bytes), then text only, then JSON, then shape; return the stripped text.
    raise NotImplementedError("validate_message")
