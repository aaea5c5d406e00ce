"""The opening handshake (RFC 6455 §4): turn an HTTP/1.1 request into a WebSocket.

A WebSocket starts life as an ordinary HTTP GET with a few extra headers. If the server
agrees, it answers ``101 Switching Protocols`` and, from the next byte on, both sides
speak frames instead of HTTP. If it does not agree, it answers an ordinary HTTP error
and nothing else happens.

Everything here works on values, not sockets: the server (``lessons/03-websocket-handshake/
ws_server.py``) reads the request head, gives it to ``handshake_response`` and writes back
whatever bytes it returns.

Given to you in ``ws_common`` (lessons/03-websocket-handshake/ws_common.py):

* ``GUID``: the constant string RFC 6455 §1.3 defines;
* ``Request``: a parsed request with ``.method``, ``.version`` ("HTTP/1.1") and
  ``.header(name)``, which takes any case and returns the value or None;
* ``header_tokens(value)``: "keep-alive, Upgrade" -> ["keep-alive", "upgrade"];
* ``http_response(status, headers, body)``: the bytes of an error response.

Check your work: ``python -m checker 03``.
"""

from __future__ import annotations

import base64
import binascii
import hashlib

from ws_common import GUID, Request, header_tokens, http_response


def accept_key(key: str) -> str:
    """The ``Sec-WebSocket-Accept`` value for a client's ``Sec-WebSocket-Key`` (RFC 6455 §4.2.2).

    Why: the answer proves that the server understood the request as a WebSocket handshake.
    Only a WebSocket server knows the GUID, so an HTTP server or cache that blindly echoes
    headers cannot produce it, and the browser refuses any 101 without the right value.

    What to do: concatenate the key (as received, a base64 string) and ``GUID``, take the
    SHA-1 of those bytes (the raw 20-byte ``.digest()``, not the hex string), and return
    it base64-encoded as a ``str``.

    >>> accept_key("dGhlIHNhbXBsZSBub25jZQ==")   # the RFC's own example, §1.3
    's3pPLMBiTxaQ9kYGzzhZRbK+xOo='
    """
    digest = hashlib.sha1((key + GUID).encode("ascii")).digest()  # §4.2.2 item 5.4
    return base64.b64encode(digest).decode("ascii")


def _key_is_valid(key: str | None) -> bool:
    """§4.1 item 7: the key is base64 of 16 random bytes (so 24 characters)."""
    if key is None:
        return False
    try:
        return len(base64.b64decode(key.encode("ascii"), validate=True)) == 16
    except (binascii.Error, UnicodeEncodeError, ValueError):
        return False


def _version_at_least_1_1(version: str) -> bool:
    """True for "HTTP/1.1" and later, False for "HTTP/1.0", "HTTP/0.9" or garbage."""
    major, _, minor = version.removeprefix("HTTP/").partition(".")
    try:
        return (int(major), int(minor or 0)) >= (1, 1)
    except ValueError:
        return False


def handshake_response(request: Request) -> bytes:
    """The server's complete answer to an upgrade request, as bytes (RFC 6455 §4.2.1, §4.2.2).

    Check the request in this order and return the first error that applies
    (use ``http_response(status, headers, body)`` for errors; the body is a short
    explanation for a human):

    1. method is not ``GET``                       -> 405 with header ``Allow: GET`` (or 400)
    2. version is older than HTTP/1.1              -> 400
    3. no ``Host`` header                          -> 400
    4. ``Upgrade`` has no token ``websocket``       -> 400   (compare case-insensitively:
                                                              browsers may send "WebSocket")
    5. ``Connection`` has no token ``upgrade``      -> 400   (Firefox sends "keep-alive, Upgrade",
                                                              so split it with header_tokens)
    6. ``Sec-WebSocket-Key`` missing, or not base64 of exactly 16 bytes -> 400
       (``base64.b64decode(key, validate=True)`` raises ``binascii.Error`` on bad input)
    7. ``Sec-WebSocket-Version`` is not ``13``      -> 426 with header ``Sec-WebSocket-Version: 13``
       (§4.4: tell the client which version you speak, so it can retry with that one)

    If all is well, return exactly these bytes (§4.2.2), each line ending in ``\\r\\n`` and
    an empty line at the end::

        HTTP/1.1 101 Switching Protocols
        Upgrade: websocket
        Connection: Upgrade
        Sec-WebSocket-Accept: <accept_key(the client's key)>

    Do not echo ``Sec-WebSocket-Extensions`` or ``Sec-WebSocket-Protocol``: this server
    negotiates neither, and answering them would promise the client something it never gets.
    """
    # §4.2.1 item 1: "An HTTP/1.1 or higher GET request".
    if request.method != "GET":
        return http_response(405, [("Allow", "GET")], "a WebSocket handshake must be a GET request\n")
    if not _version_at_least_1_1(request.version):
        return http_response(400, body="a WebSocket handshake needs HTTP/1.1 or higher\n")
    # §4.2.1 item 2: a Host header.
    if not request.header("host"):
        return http_response(400, body="missing Host header\n")
    # §4.2.1 item 3: Upgrade contains "websocket" (case-insensitive).
    if "websocket" not in header_tokens(request.header("upgrade")):
        return http_response(400, body="missing or wrong Upgrade header (expected: websocket)\n")
    # §4.2.1 item 4: Connection contains the token "Upgrade" (Firefox sends "keep-alive, Upgrade").
    if "upgrade" not in header_tokens(request.header("connection")):
        return http_response(400, body="Connection header must contain 'Upgrade'\n")
    # §4.2.1 item 5: base64 of a 16-byte nonce.
    key = request.header("sec-websocket-key")
    if not _key_is_valid(key):
        return http_response(400, body="missing or malformed Sec-WebSocket-Key\n")
    # §4.2.1 item 6 and §4.4: only version 13; otherwise say which versions we speak.
    if request.header("sec-websocket-version") != "13":
        return http_response(
            426, [("Sec-WebSocket-Version", "13")], "unsupported Sec-WebSocket-Version (this server speaks 13)\n"
        )
    # §4.2.2 item 5: the 101 response. No extensions or subprotocols are negotiated, so the
    # client's Sec-WebSocket-Extensions/-Protocol offers are simply not echoed (§9.1, §1.9).
    return (
        "HTTP/1.1 101 Switching Protocols\r\n"
        "Upgrade: websocket\r\n"
        "Connection: Upgrade\r\n"
        f"Sec-WebSocket-Accept: {accept_key(key)}\r\n"
        "\r\n"
    ).encode("ascii")
