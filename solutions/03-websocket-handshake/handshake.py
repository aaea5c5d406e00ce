"""The opening handshake (RFC 6455 §4): turn an HTTP/1.1 request into a WebSocket.

A WebSocket starts life as an ordinary HTTP GET with a few extra headers. If the server
agrees, it answers ``101 Switching Protocols`` and, from the next byte on, both sides
speak frames instead of HTTP. If it does not agree, it answers an ordinary HTTP error
and nothing else happens.

Everything here works on values, not sockets: the server reads the request head, gives it
to ``handshake_response`` and writes back whatever bytes it returns.
"""

from __future__ import annotations

import base64
import binascii
import hashlib

from ws_common import GUID, Request, header_tokens, http_response


def accept_key(key: str) -> str:
    """The ``Sec-WebSocket-Accept`` value for a client's ``Sec-WebSocket-Key`` (RFC 6455 §4.2.2).

    base64( SHA-1( key + GUID ) ). The GUID is a constant only WebSocket servers know about,
    so a correct answer proves the server read this request as a WebSocket handshake (a plain
    HTTP server or a cache could not produce it by accident).

    >>> accept_key("dGhlIHNhbXBsZSBub25jZQ==")
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

    Returns ``101 Switching Protocols`` with ``Upgrade``, ``Connection`` and
    ``Sec-WebSocket-Accept`` when the request is a valid WebSocket handshake, and an HTTP
    error otherwise (the server then closes the TCP connection).
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
