"""Ring "functions", the opening handshake (RFC 6455 §1.3, §4): ``handshake.py``.

- ``accept_key``: base64(SHA-1(key + GUID)) on the RFC's sample key and on another one.
- ``handshake_accepts``: valid upgrade requests (as browsers really send them) get exactly 101.
- ``handshake_rejects``: each broken rule of §4.2.1 gets an HTTP error; a wrong version gets §4.4's answer.
"""

from __future__ import annotations

import base64
import hashlib

from checker.api import CheckFailed, Context
from checker.expect import see

from .support import common

RFC_KEY = "dGhlIHNhbXBsZSBub25jZQ=="
RFC_ACCEPT = "s3pPLMBiTxaQ9kYGzzhZRbK+xOo="
GUID = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11"

#: Where a wrong Sec-WebSocket-Accept sends the learner: the lesson's section, then the hint ladder.
SEE_ACCEPT = see("03", "`Sec-WebSocket-Key` and `Sec-WebSocket-Accept`: why (§1.3, §4.2.2)")

GOOD_HEADERS = {
    "Host": "127.0.0.1:8003",
    "Upgrade": "websocket",
    "Connection": "Upgrade",
    "Sec-WebSocket-Key": RFC_KEY,
    "Sec-WebSocket-Version": "13",
}


# ---- the checks ------------------------------------------------------------------------


def check_accept_key(ctx: Context) -> None:
    handshake = ctx.import_learner("handshake")
    for key in (RFC_KEY, base64.b64encode(bytes(range(16))).decode()):
        ctx.step(f"accept_key() on {'RFC 6455 §1.3 sample key' if key == RFC_KEY else 'another key'} {key!r}")
        got = handshake.accept_key(key)
        if got == expected_accept(key):
            continue
        digest = hashlib.sha1((key + GUID).encode())
        if got in (base64.b64encode(digest.hexdigest().encode()).decode(), digest.hexdigest()):
            raise CheckFailed(
                f"accept_key({key!r}) returned {got!r} ({len(got)} characters); expected {expected_accept(key)!r} "
                f"({len(expected_accept(key))} characters).\n"
                "Yours is built from the SHA-1 digest written out as hexadecimal text; RFC 6455 §4.2.2 encodes the "
                f"digest's 20 raw bytes instead. {SEE_ACCEPT}"
            )
        if key != RFC_KEY and got == RFC_ACCEPT:
            raise CheckFailed(f"accept_key({key!r}) returned the RFC's sample answer {got!r}: is the value hard-coded? "
                              f"Expected {expected_accept(key)!r}, computed from this key.")
        raise CheckFailed(
            f"accept_key({key!r}) returned {got!r}; RFC 6455 §1.3 and §4.2.2 give {expected_accept(key)!r}.\n"
            "Which strings go into the hash, in which order, and is the key used exactly as the client sent it? "
            + SEE_ACCEPT
        )


def check_handshake_accepts(ctx: Context) -> None:
    handshake = ctx.import_learner("handshake")
    cases = [
        ("the RFC's sample request", {}, ""),
        ("Firefox's 'Connection: keep-alive, Upgrade'", {"Connection": "keep-alive, Upgrade"},
         "Connection is a comma-separated list of tokens: split it (header_tokens) and look for the token "
         "'upgrade', instead of comparing the whole value with 'Upgrade'."),
        ("'Upgrade: WebSocket' (header values are case-insensitive)", {"Upgrade": "WebSocket", "Connection": "upgrade"},
         "Header values are compared case-insensitively (§4.2.1): header_tokens() lower-cases them."),
        ("a request that also offers an extension and a subprotocol",
         {"Sec-WebSocket-Extensions": "permessage-deflate; client_max_window_bits", "Sec-WebSocket-Protocol": "chat",
          "Origin": "http://127.0.0.1:8003"}, ""),
        ("another key", {"Sec-WebSocket-Key": base64.b64encode(b"0123456789abcdef").decode()}, ""),
    ]
    for what, overrides, advice in cases:
        ctx.step(f"handshake_response() for {what}")
        request, raw = _request(_lines(overrides))
        response = _respond(handshake, request, what)
        key = request.header("sec-websocket-key")
        problems = []
        if response.status != 101:
            body = response.body[:120]
            problems.append(f"status {response.status}" + (f" with the body {body!r}" if body else "")
                            + " (expected 101 Switching Protocols)")
        if (response.header("upgrade") or "").lower() != "websocket":
            problems.append(f"Upgrade: {response.header('upgrade')!r} (expected 'websocket')")
        if "upgrade" not in common().header_tokens(response.header("connection")):
            problems.append(f"Connection: {response.header('connection')!r} (expected 'Upgrade')")
        if response.header("sec-websocket-accept") != expected_accept(key):
            problems.append(f"Sec-WebSocket-Accept: {response.header('sec-websocket-accept')!r} (expected {expected_accept(key)!r})")
        for name in ("sec-websocket-extensions", "sec-websocket-protocol"):
            if response.header(name) is not None:
                problems.append(f"{name} was answered, but this server negotiates none: the client would expect "
                                "compressed frames / a subprotocol it never gets (§9.1, §4.2.2)")
        if problems:
            raise CheckFailed(
                f"For {what}:\n{raw.rstrip()}\nhandshake_response() answered: " + "; ".join(problems) + ".\n"
                + (f"{advice}\n" if advice and response.status != 101 else "")
                + ("Which of your checks refused it? Note that request.headers has lower-case names "
                   "(request.header(name) ignores the case).\n" if response.status != 101 else "")
                + "RFC 6455 §4.2.2: 'HTTP/1.1 101 Switching Protocols', 'Upgrade: websocket', 'Connection: Upgrade', "
                "'Sec-WebSocket-Accept: <accept_key(key)>', then an empty line."
            )


def check_handshake_rejects(ctx: Context) -> None:
    handshake = ctx.import_learner("handshake")
    cases = [
        ("a POST request", "POST", "HTTP/1.1", {}, {400, 405}, "§4.2.1: the handshake is a GET"),
        ("an HTTP/1.0 request", "GET", "HTTP/1.0", {}, {400, 505}, "§4.2.1: HTTP/1.1 or higher"),
        ("no Host header", "GET", "HTTP/1.1", {"Host": None}, {400}, "§4.2.1 item 2"),
        ("no Upgrade header", "GET", "HTTP/1.1", {"Upgrade": None}, {400, 426}, "§4.2.1 item 3"),
        ("'Upgrade: h2c'", "GET", "HTTP/1.1", {"Upgrade": "h2c"}, {400, 426}, "§4.2.1 item 3"),
        ("no Connection header", "GET", "HTTP/1.1", {"Connection": None}, {400}, "§4.2.1 item 4"),
        ("'Connection: keep-alive' (no Upgrade token)", "GET", "HTTP/1.1", {"Connection": "keep-alive"}, {400}, "§4.2.1 item 4"),
        ("no Sec-WebSocket-Key", "GET", "HTTP/1.1", {"Sec-WebSocket-Key": None}, {400}, "§4.2.1 item 5"),
        ("a key that is not base64", "GET", "HTTP/1.1", {"Sec-WebSocket-Key": "not base64 at all!!"}, {400}, "§4.2.1 item 5"),
        ("a key of 8 bytes, not 16", "GET", "HTTP/1.1", {"Sec-WebSocket-Key": base64.b64encode(b"12345678").decode()}, {400},
         "§4.2.1 item 5: 16 bytes"),
    ]
    for what, method, version, overrides, statuses, rule in cases:
        ctx.step(f"handshake_response() for {what}")
        request, raw = _request(_lines(overrides), method, version)
        response = _respond(handshake, request, what)
        if response.status not in statuses:
            wanted = " or ".join(str(s) for s in sorted(statuses))
            raise CheckFailed(
                f"For {what}:\n{raw.rstrip()}\nhandshake_response() answered status {response.status}; expected {wanted} ({rule}).\n"
                "A request that is not a valid WebSocket handshake gets an HTTP error (such as 400 Bad Request), never 101."
            )
    for version, label in (("8", "Sec-WebSocket-Version: 8"), (None, "no Sec-WebSocket-Version")):
        ctx.step(f"handshake_response() for {label}")
        request, raw = _request(_lines({"Sec-WebSocket-Version": version}))
        response = _respond(handshake, request, label)
        if response.status not in (400, 426) or response.header("sec-websocket-version") != "13":
            raise CheckFailed(
                f"For a request with {label}, handshake_response() answered status {response.status} with "
                f"Sec-WebSocket-Version: {response.header('sec-websocket-version')!r}.\n"
                "RFC 6455 §4.4: refuse it (426 Upgrade Required, or 400) AND send 'Sec-WebSocket-Version: 13', "
                "so the client knows which version this server speaks."
            )


# ---- helpers ---------------------------------------------------------------------------


def expected_accept(key: str) -> str:
    """§4.2.2 item 5.4, written independently of the learner's accept_key."""
    return base64.b64encode(hashlib.sha1((key + GUID).encode()).digest()).decode()


def _lines(overrides: dict[str, str | None] | None = None) -> list[str]:
    headers = dict(GOOD_HEADERS)
    for name, value in (overrides or {}).items():
        if value is None:
            headers.pop(name, None)
        else:
            headers[name] = value
    return [f"{name}: {value}" for name, value in headers.items()]


def _request(lines: list[str], method: str = "GET", version: str = "HTTP/1.1"):
    raw = f"{method} /echo {version}\r\n" + "".join(f"{line}\r\n" for line in lines) + "\r\n"
    return common().parse_request(raw.encode("latin-1")), raw


def _respond(handshake, request, what: str):
    response = handshake.handshake_response(request)
    if not isinstance(response, (bytes, bytearray)):
        raise CheckFailed(f"handshake_response() returned a {type(response).__name__} for {what}; it must return bytes (the whole HTTP response)")
    try:
        return common().parse_response(bytes(response))
    except ValueError as exc:
        raise CheckFailed(
            f"for {what}, handshake_response() returned bytes that are not an HTTP response ({exc}):\n  {bytes(response)[:200]!r}\n"
            "Start with b'HTTP/1.1 <status> <reason>\\r\\n', one 'Name: value\\r\\n' per header, and end the head with an empty line (b'\\r\\n')."
        ) from None
