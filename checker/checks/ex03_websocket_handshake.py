"""Checks for lesson 03: a WebSocket server from a raw socket (RFC 6455).

One check per concept, graded in catalog order. The sans-I/O checks feed bytes to the
learner's functions and classes directly. The interoperability checks start one server
(lesson 03's ``ws_server`` driving the learner's modules, in a thread on a free loopback
port, shared through ``ctx.resource``) and talk to it with implementations nobody here
wrote: the ``websockets`` library's client and headless Chromium's ``WebSocket``.

The frames these checks send are built by the small oracle below (``_wire``), never by the
learner's ``encode_frame``, so a bug in one function fails one check, not all of them.
"""

from __future__ import annotations

import asyncio
import base64
import hashlib
import os
import shutil
import struct
import tempfile

from checker.checks import register
from checker.api import CheckFailed, Context
from workshop import learner as learner_support

RFC_KEY = "dGhlIHNhbXBsZSBub25jZQ=="
RFC_ACCEPT = "s3pPLMBiTxaQ9kYGzzhZRbK+xOo="
GUID = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11"
MASK_KEY = b"\x37\xfa\x21\x3d"  # the key of RFC 6455 §5.7's masked example
LENGTHS = [0, 1, 125, 126, 127, 1000, 65535, 65536, 70000]

TEXT, BINARY, CONT, CLOSE, PING, PONG = 0x1, 0x2, 0x0, 0x8, 0x9, 0xA


# ---- an independent oracle: build client frames, read server frames ---------------------


def _xor(data: bytes, key: bytes) -> bytes:
    return bytes(b ^ key[i % 4] for i, b in enumerate(data)) if len(data) < 4096 else (
        (int.from_bytes(data, "big") ^ int.from_bytes((key * (len(data) // 4 + 1))[: len(data)], "big")).to_bytes(len(data), "big")
    )


def _header(opcode: int, length: int, *, fin: bool = True, masked: bool, rsv: int = 0) -> bytes:
    first = (0x80 if fin else 0) | (rsv << 4) | opcode
    bit = 0x80 if masked else 0
    if length <= 125:
        return bytes([first, bit | length])
    if length <= 0xFFFF:
        return bytes([first, bit | 126]) + struct.pack("!H", length)
    return bytes([first, bit | 127]) + struct.pack("!Q", length)


def _wire(opcode: int, payload: bytes = b"", *, fin: bool = True, key: bytes | None = MASK_KEY, rsv: int = 0) -> bytes:
    """A frame as a client sends it (masked with ``key``; ``key=None`` for an unmasked frame)."""
    head = _header(opcode, len(payload), fin=fin, masked=key is not None, rsv=rsv)
    return head + (key + _xor(payload, key) if key is not None else payload)


def _close_body(code: int, reason: str = "") -> bytes:
    return struct.pack("!H", code) + reason.encode()


def _read_frames(data: bytes) -> list[tuple[int, bool, bytes]]:
    """Parse a server's output (unmasked frames) into (opcode, fin, payload); ValueError if malformed."""
    frames, i = [], 0
    while i < len(data):
        if len(data) - i < 2:
            raise ValueError(f"{len(data) - i} stray byte(s) at the end: {data[i:].hex(' ')}")
        b0, b1 = data[i], data[i + 1]
        if b1 & 0x80:
            raise ValueError("a server frame has the MASK bit set (§5.1: servers must not mask)")
        if b0 & 0x70:
            raise ValueError(f"RSV bits set in byte {b0:#04x}")
        length, i = b1 & 0x7F, i + 2
        if length == 126:
            (length,), i = struct.unpack_from("!H", data, i), i + 2
        elif length == 127:
            (length,), i = struct.unpack_from("!Q", data, i), i + 8
        if len(data) - i < length:
            raise ValueError(f"a frame announces {length} payload bytes but only {len(data) - i} follow")
        frames.append((b0 & 0x0F, bool(b0 & 0x80), data[i : i + length]))
        i += length
    return frames


def _short(data: bytes, limit: int = 24) -> str:
    hexes = data[:limit].hex(" ")
    return hexes + (f" ... ({len(data)} bytes)" if len(data) > limit else "")


def _common():
    import ws_common  # scaffolding in lessons/03-websocket-handshake, on sys.path while grading

    return ws_common


def _frame_str(frame) -> str:
    opcode = getattr(frame, "opcode", "?")
    payload = getattr(frame, "payload", b"")
    shown = payload if len(payload) <= 12 else payload[:12] + b"..."
    return f"Frame(opcode={opcode!r}, fin={getattr(frame, 'fin', '?')!r}, payload={shown!r} [{len(payload)} bytes])"


def _drain(decoder) -> list:
    frames = []
    while True:
        frame = decoder.next_frame()
        if frame is None:
            return frames
        frames.append(frame)
        if len(frames) > 10_000:
            raise CheckFailed("next_frame() keeps returning frames from a finite input: does it remove a frame's bytes from the buffer?")


# ---- handshake ------------------------------------------------------------------------


def _expected_accept(key: str) -> str:
    return base64.b64encode(hashlib.sha1((key + GUID).encode()).digest()).decode()


def check_accept_key(ctx: Context) -> None:
    handshake = ctx.import_learner("handshake")
    ctx.step("accept_key() on RFC 6455's sample key (§1.3)")
    got = handshake.accept_key(RFC_KEY)
    if got != RFC_ACCEPT:
        raise CheckFailed(
            f"accept_key({RFC_KEY!r}) returned {got!r}; RFC 6455 §1.3 says {RFC_ACCEPT!r}.\n"
            "Compute base64(SHA-1(key + GUID)): hashlib.sha1(...).digest() (the raw 20 bytes, not .hexdigest()), then base64.b64encode."
        )
    key = base64.b64encode(bytes(range(16))).decode()
    ctx.step(f"accept_key() on another key, {key!r}")
    got = handshake.accept_key(key)
    if got != _expected_accept(key):
        raise CheckFailed(f"accept_key({key!r}) returned {got!r}, expected {_expected_accept(key)!r}: is a value hard-coded?")


def _request(lines: list[str], method: str = "GET", version: str = "HTTP/1.1"):
    raw = f"{method} /echo {version}\r\n" + "".join(f"{line}\r\n" for line in lines) + "\r\n"
    return _common().parse_request(raw.encode("latin-1")), raw


GOOD_HEADERS = {
    "Host": "127.0.0.1:8003",
    "Upgrade": "websocket",
    "Connection": "Upgrade",
    "Sec-WebSocket-Key": RFC_KEY,
    "Sec-WebSocket-Version": "13",
}


def _lines(overrides: dict[str, str | None] | None = None) -> list[str]:
    headers = dict(GOOD_HEADERS)
    for name, value in (overrides or {}).items():
        if value is None:
            headers.pop(name, None)
        else:
            headers[name] = value
    return [f"{name}: {value}" for name, value in headers.items()]


def _respond(handshake, request, raw: str, what: str):
    response = handshake.handshake_response(request)
    if not isinstance(response, (bytes, bytearray)):
        raise CheckFailed(f"handshake_response() returned a {type(response).__name__} for {what}; it must return bytes (the whole HTTP response)")
    try:
        return _common().parse_response(bytes(response))
    except ValueError as exc:
        raise CheckFailed(
            f"for {what}, handshake_response() returned bytes that are not an HTTP response ({exc}):\n  {bytes(response)[:200]!r}\n"
            "Start with b'HTTP/1.1 <status> <reason>\\r\\n', one 'Name: value\\r\\n' per header, and end the head with an empty line (b'\\r\\n')."
        ) from None


def check_handshake_accepts(ctx: Context) -> None:
    handshake = ctx.import_learner("handshake")
    cases = [
        ("the RFC's sample request", {}),
        ("Firefox's 'Connection: keep-alive, Upgrade'", {"Connection": "keep-alive, Upgrade"}),
        ("'Upgrade: WebSocket' (header values are case-insensitive)", {"Upgrade": "WebSocket", "Connection": "upgrade"}),
        ("a request that also offers an extension and a subprotocol",
         {"Sec-WebSocket-Extensions": "permessage-deflate; client_max_window_bits", "Sec-WebSocket-Protocol": "chat", "Origin": "http://127.0.0.1:8003"}),
        ("another key", {"Sec-WebSocket-Key": base64.b64encode(b"0123456789abcdef").decode()}),
    ]
    for what, overrides in cases:
        ctx.step(f"handshake_response() for {what}")
        request, raw = _request(_lines(overrides))
        response = _respond(handshake, request, raw, what)
        key = request.header("sec-websocket-key")
        problems = []
        if response.status != 101:
            problems.append(f"status {response.status} (expected 101 Switching Protocols)")
        if (response.header("upgrade") or "").lower() != "websocket":
            problems.append(f"Upgrade: {response.header('upgrade')!r} (expected 'websocket')")
        if "upgrade" not in _common().header_tokens(response.header("connection")):
            problems.append(f"Connection: {response.header('connection')!r} (expected 'Upgrade')")
        if response.header("sec-websocket-accept") != _expected_accept(key):
            problems.append(f"Sec-WebSocket-Accept: {response.header('sec-websocket-accept')!r} (expected {_expected_accept(key)!r})")
        for name in ("sec-websocket-extensions", "sec-websocket-protocol"):
            if response.header(name) is not None:
                problems.append(f"{name} was answered, but this server negotiates none: the client would expect "
                                "compressed frames / a subprotocol it never gets (§9.1, §4.2.2)")
        if problems:
            raise CheckFailed(
                f"For {what}:\n{raw.rstrip()}\nhandshake_response() answered: " + "; ".join(problems) + ".\n"
                "RFC 6455 §4.2.2: 'HTTP/1.1 101 Switching Protocols', 'Upgrade: websocket', 'Connection: Upgrade', "
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
        ("a key of 8 bytes, not 16", "GET", "HTTP/1.1", {"Sec-WebSocket-Key": base64.b64encode(b"12345678").decode()}, {400}, "§4.2.1 item 5: 16 bytes"),
    ]
    for what, method, version, overrides, statuses, rule in cases:
        ctx.step(f"handshake_response() for {what}")
        request, raw = _request(_lines(overrides), method, version)
        response = _respond(handshake, request, raw, what)
        if response.status not in statuses:
            wanted = " or ".join(str(s) for s in sorted(statuses))
            raise CheckFailed(
                f"For {what}:\n{raw.rstrip()}\nhandshake_response() answered status {response.status}; expected {wanted} ({rule}).\n"
                "A request that is not a valid WebSocket handshake gets an HTTP error (such as 400 Bad Request), never 101."
            )
    for version, label in (("8", "Sec-WebSocket-Version: 8"), (None, "no Sec-WebSocket-Version")):
        ctx.step(f"handshake_response() for {label}")
        request, raw = _request(_lines({"Sec-WebSocket-Version": version}))
        response = _respond(handshake, request, raw, label)
        if response.status not in (400, 426) or response.header("sec-websocket-version") != "13":
            raise CheckFailed(
                f"For a request with {label}, handshake_response() answered status {response.status} with "
                f"Sec-WebSocket-Version: {response.header('sec-websocket-version')!r}.\n"
                "RFC 6455 §4.4: refuse it (426 Upgrade Required, or 400) AND send 'Sec-WebSocket-Version: 13', "
                "so the client knows which version this server speaks."
            )


# ---- frames ---------------------------------------------------------------------------


def check_encode_frame(ctx: Context) -> None:
    frames = ctx.import_learner("frames")
    Frame = _common().Frame
    ctx.step("encode_frame() on RFC 6455 §5.7's examples")
    examples = [
        (Frame(TEXT, b"Hello"), "81 05", "an unmasked text 'Hello'"),
        (Frame(TEXT, b"Hel", fin=False), "01 03", "a first fragment 'Hel' (FIN=0)"),
        (Frame(CONT, b"lo"), "80 02", "the last fragment 'lo' (opcode 0, FIN=1)"),
        (Frame(PING, b"Hello"), "89 05", "a ping with 'Hello'"),
        (Frame(BINARY, bytes(256)), "82 7e 01 00", "256 bytes of binary (16-bit length)"),
        (Frame(BINARY, bytes(65536)), "82 7f 00 00 00 00 00 01 00 00", "64 KiB of binary (64-bit length)"),
    ]
    for frame, head_hex, what in examples:
        got = frames.encode_frame(frame)
        head = bytes.fromhex(head_hex)
        if not isinstance(got, (bytes, bytearray)) or bytes(got[: len(head)]) != head or bytes(got[len(head):]) != frame.payload:
            shown = _short(bytes(got)) if isinstance(got, (bytes, bytearray)) else repr(got)
            raise CheckFailed(f"encode_frame() for {what} gave {shown}; RFC 6455 §5.7 gives {head_hex} + the payload.")
    for n in LENGTHS:
        for opcode, name in ((TEXT, "text"), (BINARY, "binary")):
            ctx.step(f"encode_frame() of a {n}-byte {name} payload")
            payload = (b"ab" * n)[:n]
            got = bytes(frames.encode_frame(Frame(opcode, payload)))
            want = _wire(opcode, payload, key=None)
            if got != want:
                form = "the 7-bit length" if n <= 125 else ("126 then a 16-bit length" if n <= 0xFFFF else "127 then a 64-bit length")
                raise CheckFailed(
                    f"encode_frame() of a {n}-byte {name} frame starts {_short(got, 12)}; expected {_short(want, 12)}.\n"
                    f"RFC 6455 §5.2: {n} bytes use {form} (network byte order), and the server sends no masking key."
                )


def check_decode_frame(ctx: Context) -> None:
    frames = ctx.import_learner("frames")
    Frame = _common().Frame

    def decode(data: bytes, chunk: int, *, masked: bool = True) -> list:
        decoder = frames.FrameDecoder(expect_masked=masked, max_payload=1 << 20)
        out = []
        for i in range(0, len(data), chunk):
            decoder.feed(data[i : i + chunk])
            out += _drain(decoder)
        return out

    ctx.step("FrameDecoder on RFC 6455 §5.7's unmasked examples (expect_masked=False, as a client)")
    rfc = bytes.fromhex("81 05 48 65 6c 6c 6f 01 03 48 65 6c 80 02 6c 6f 89 05 48 65 6c 6c 6f")
    want = [Frame(TEXT, b"Hello"), Frame(TEXT, b"Hel", fin=False), Frame(CONT, b"lo"), Frame(PING, b"Hello")]
    got = decode(rfc, len(rfc), masked=False)
    if got != want:
        raise CheckFailed(
            f"FrameDecoder(expect_masked=False) fed {_short(rfc, 30)} yielded {[_frame_str(f) for f in got]};\n"
            f"expected {want} (four frames, in order, from one chunk of bytes)."
        )
    for n in LENGTHS:
        for opcode in (TEXT, BINARY):
            payload = os.urandom(n) if opcode == BINARY else (b"xyz" * n)[:n]
            data = _wire(opcode, payload)
            for chunk in ((len(data) or 1, 1, 3) if n <= 200 else (len(data), 7, 4096)):
                ctx.step(f"FrameDecoder fed a masked {n}-byte frame in pieces of {chunk} byte(s)")
                got = decode(data, chunk)
                if got != [Frame(opcode, payload)]:
                    raise CheckFailed(
                        f"FrameDecoder fed a masked {n}-byte {'text' if opcode == TEXT else 'binary'} frame "
                        f"({_short(data, 14)}) in pieces of {chunk} byte(s) yielded {[_frame_str(f) for f in got]}; "
                        f"expected one frame with the {n}-byte payload, unmasked.\n"
                        "Check the 16/64-bit lengths (§5.2), and return None (keeping the bytes) until the whole frame has arrived."
                    )
    ctx.step("several frames in one chunk, split at odd places")
    stream = _wire(TEXT, b"one") + _wire(BINARY, bytes(300)) + _wire(PING, b"") + _wire(TEXT, b"four", fin=False) + _wire(CONT, b"!")
    want = [Frame(TEXT, b"one"), Frame(BINARY, bytes(300)), Frame(PING, b""), Frame(TEXT, b"four", fin=False), Frame(CONT, b"!")]
    for chunk in (len(stream), 5, 2):
        got = decode(stream, chunk)
        if got != want:
            raise CheckFailed(f"FrameDecoder fed five frames in pieces of {chunk} bytes yielded {[_frame_str(f) for f in got]}; expected {want}.")


def check_masking(ctx: Context) -> None:
    frames = ctx.import_learner("frames")
    Frame = _common().Frame
    ctx.step("mask(b'Hello', 37 fa 21 3d) as in RFC 6455 §5.7")
    got = frames.mask(b"Hello", MASK_KEY)
    if bytes(got) != bytes.fromhex("7f 9f 4d 51 58"):
        raise CheckFailed(f"mask(b'Hello', {MASK_KEY.hex(' ')}) returned {bytes(got).hex(' ')}; RFC 6455 §5.7 gives 7f 9f 4d 51 58 (byte i XOR key[i % 4], §5.3).")
    for n in (0, 1, 3, 4, 5, 127, 1001):
        data = os.urandom(n)
        key = os.urandom(4)
        ctx.step(f"mask() of {n} bytes, and masking twice")
        once = bytes(frames.mask(data, key))
        if once != _xor(data, key):
            raise CheckFailed(f"mask() of {n} random bytes with key {key.hex(' ')} is wrong (first bytes {_short(once, 8)}, expected {_short(_xor(data, key), 8)}). Byte i is data[i] ^ key[i % 4].")
        if bytes(frames.mask(once, key)) != data:
            raise CheckFailed(f"masking {n} bytes twice with the same key did not give the original back; XOR twice must undo itself.")
    ctx.step("encode_frame(..., mask_key=37 fa 21 3d) as in RFC 6455 §5.7")
    want = bytes.fromhex("81 85 37 fa 21 3d 7f 9f 4d 51 58")
    got = bytes(frames.encode_frame(Frame(TEXT, b"Hello"), MASK_KEY))
    if got != want:
        raise CheckFailed(f"encode_frame(Frame(TEXT, b'Hello'), mask_key=37 fa 21 3d) gave {got.hex(' ')}; RFC 6455 §5.7 gives {want.hex(' ')} (MASK bit, the key, then the masked payload).")
    for n in (126, 70000):
        got = bytes(frames.encode_frame(Frame(BINARY, bytes(n)), MASK_KEY))
        if got != _wire(BINARY, bytes(n)):
            raise CheckFailed(f"encode_frame() of a masked {n}-byte frame starts {_short(got, 16)}; expected {_short(_wire(BINARY, bytes(n)), 16)} (length first, then the 4-byte key, then the masked payload).")
    ctx.step("FrameDecoder(expect_masked=True) on the RFC's masked 'Hello'")
    decoder = frames.FrameDecoder(expect_masked=True)
    decoder.feed(want)
    got = _drain(decoder)
    if got != [Frame(TEXT, b"Hello")]:
        raise CheckFailed(f"FrameDecoder(expect_masked=True) fed {want.hex(' ')} yielded {[_frame_str(f) for f in got]}; expected one TEXT frame b'Hello' (unmask with the key that follows the length).")


# ---- the connection state machine -----------------------------------------------------


def _connection(ctx: Context, **kwargs):
    return ctx.import_learner("connection").Connection(**kwargs)


def _feed(conn, data: bytes | list[bytes], what: str) -> tuple[list, list]:
    """Feed data (all at once, or a list of chunks); return (events, frames the connection sent)."""
    events = []
    for chunk in data if isinstance(data, list) else [data]:
        try:
            got = conn.receive_data(chunk)
        except NotImplementedError:
            raise
        except _common().ProtocolError as exc:
            raise CheckFailed(
                f"receive_data() raised ProtocolError({exc.code}, {exc.reason!r}) for {what}.\n"
                "The connection must not raise for anything the client sends: catch ProtocolError, "
                "queue a Close frame with its code (self._fail(error)) and return the events so far."
            ) from None
        if not isinstance(got, (list, tuple)):
            raise CheckFailed(f"receive_data() returned {got!r:.80} for {what}; it must return a list of events "
                              "(an empty list when the bytes completed nothing).")
        events += list(got)
    out = conn.data_to_send()
    try:
        sent = _read_frames(bytes(out))
    except ValueError as exc:
        raise CheckFailed(f"after {what}, data_to_send() returned bytes that are not server frames ({exc}): {_short(bytes(out))}") from None
    return events, sent


def _state(conn) -> str:
    state = getattr(conn, "state", None)
    return getattr(state, "name", str(state))


def _describe_sent(sent) -> str:
    if not sent:
        return "nothing"
    names = {TEXT: "TEXT", BINARY: "BINARY", CONT: "CONT", CLOSE: "CLOSE", PING: "PING", PONG: "PONG"}
    parts = []
    for opcode, _fin, payload in sent:
        if opcode == CLOSE and len(payload) >= 2:
            parts.append(f"CLOSE {struct.unpack('!H', payload[:2])[0]} {payload[2:].decode(errors='replace')!r}")
        else:
            parts.append(f"{names.get(opcode, hex(opcode))} {payload[:20]!r}")
    return ", ".join(parts)


def _expect_failure(ctx: Context, code: int, what: str, data, rule: str, **kwargs) -> None:
    ctx.step(f"feeding {what}")
    conn = _connection(ctx, **kwargs)
    _, sent = _feed(conn, data, what)
    closes = [payload for opcode, _fin, payload in sent if opcode == CLOSE]
    got_code = struct.unpack("!H", closes[-1][:2])[0] if closes and len(closes[-1]) >= 2 else None
    if got_code != code or _state(conn) != "CLOSED":
        raise CheckFailed(
            f"For {what}, your Connection sent {_describe_sent(sent)} and is in state {_state(conn)}.\n"
            f"Expected: a Close frame with code {code} in data_to_send() and state CLOSED ({rule})."
        )


def check_fragmentation(ctx: Context) -> None:
    common = _common()
    ctx.step("a text message in three fragments, with a Ping and a Pong between them (§5.4)")
    conn = _connection(ctx)
    stream = [_wire(TEXT, b"Hello, ", fin=False), _wire(PING, b"are you there?"), _wire(CONT, b"wor", fin=False),
              _wire(PONG, b"unsolicited"), _wire(CONT, b"ld!")]
    events, sent = _feed(conn, stream, "three fragments with a Ping and a Pong between them")
    want = [common.Ping(b"are you there?"), common.Pong(b"unsolicited"), common.Message("Hello, world!")]
    if events != want:
        raise CheckFailed(
            f"Fed TEXT 'Hello, ' (FIN=0), PING, CONT 'wor' (FIN=0), PONG, CONT 'ld!' (FIN=1), receive_data() returned {events};\n"
            f"expected {want}. RFC 6455 §5.4: control frames may come in the middle of a fragmented message and are "
            "handled at once; the data fragments are joined into one message when the FIN=1 fragment arrives."
        )
    if [(op, p) for op, _f, p in sent] != [(PONG, b"are you there?")]:
        raise CheckFailed(f"During that fragmented message your Connection sent {_describe_sent(sent)}; expected one PONG b'are you there?'.")
    ctx.step("a binary message of 5 fragments fed one byte at a time")
    conn = _connection(ctx)
    parts = [bytes([i]) * (i * 50) for i in range(1, 6)]
    stream = b"".join(_wire(BINARY if i == 0 else CONT, p, fin=i == 4) for i, p in enumerate(parts))
    events, _ = _feed(conn, [stream[i : i + 1] for i in range(len(stream))], "a fragmented binary message fed byte by byte")
    if events != [common.Message(b"".join(parts))]:
        raise CheckFailed(f"A binary message in 5 fragments (750 bytes) fed one byte at a time gave {events!r:.300}; expected one Message with the 750 bytes (bytes, not str).")
    ctx.step("'é' split between two fragments")
    conn = _connection(ctx)
    events, _ = _feed(conn, _wire(TEXT, "caf".encode() + b"\xc3", fin=False) + _wire(CONT, b"\xa9"), "'café' with 'é' split across two fragments")
    if events != [common.Message("café")]:
        raise CheckFailed(f"'café' with the two bytes of 'é' in two fragments gave {events}; expected [Message('café')]. Decode UTF-8 once the whole message has arrived, not fragment by fragment.")
    ctx.step("two messages back to back after a fragmented one")
    events, _ = _feed(conn, _wire(TEXT, b"a", fin=False) + _wire(CONT, b"b") + _wire(BINARY, b"c"), "a fragmented message followed by another")
    if events != [common.Message("ab"), common.Message(b"c")]:
        raise CheckFailed(f"'a'+'b' in two fragments, then a binary b'c', gave {events}; expected [Message('ab'), Message(b'c')]. Reset the fragment buffer after each message.")


def check_ping_pong(ctx: Context) -> None:
    common = _common()
    for payload in (b"", b"ping!", bytes(range(125))):
        ctx.step(f"a Ping with a {len(payload)}-byte payload")
        conn = _connection(ctx)
        events, sent = _feed(conn, _wire(PING, payload), f"a Ping with {len(payload)} bytes")
        if [(op, p) for op, _f, p in sent] != [(PONG, payload)]:
            raise CheckFailed(
                f"After a Ping with payload {payload[:20]!r} ({len(payload)} bytes) your Connection sent {_describe_sent(sent)}.\n"
                "RFC 6455 §5.5.2-§5.5.3: answer a Ping with a Pong (opcode 0xA) whose payload is the Ping's payload."
            )
        if events != [common.Ping(payload)] or _state(conn) != "OPEN":
            raise CheckFailed(f"After a Ping, receive_data() returned {events} (state {_state(conn)}); expected [Ping({payload[:20]!r})] and the connection still OPEN.")
    ctx.step("a Pong from the client")
    conn = _connection(ctx)
    events, sent = _feed(conn, _wire(PONG, b"pong"), "a Pong")
    if events != [common.Pong(b"pong")] or sent:
        raise CheckFailed(f"After a Pong, receive_data() returned {events} and the connection sent {_describe_sent(sent)}; expected [Pong(b'pong')] and nothing sent (§5.5.3: a Pong needs no answer).")


def check_close_handshake(ctx: Context) -> None:
    common = _common()
    ctx.step("the client closes with 1000 'bye'")
    conn = _connection(ctx)
    events, sent = _feed(conn, _wire(TEXT, b"last words") + _wire(CLOSE, _close_body(1000, "bye")), "a message then Close 1000 'bye'")
    if events != [common.Message("last words"), common.CloseReceived(1000, "bye")]:
        raise CheckFailed(f"Fed a text message then Close(1000, 'bye'), receive_data() returned {events}; expected [Message('last words'), CloseReceived(1000, 'bye')].")
    codes = [struct.unpack("!H", p[:2])[0] if len(p) >= 2 else None for op, _f, p in sent if op == CLOSE]
    if codes != [1000] or _state(conn) != "CLOSED":
        raise CheckFailed(
            f"After the client's Close 1000, your Connection sent {_describe_sent(sent)} and is {_state(conn)}.\n"
            "RFC 6455 §5.5.1: answer with one Close frame echoing the code (1000), then the state is CLOSED (the server closes the TCP connection, §7.1.1)."
        )
    events, sent = _feed(conn, _wire(TEXT, b"too late"), "a message after the close handshake")
    if events or sent:
        raise CheckFailed(f"After the close handshake, a late message gave events {events} and sent {_describe_sent(sent)}; a CLOSED connection ignores input (receive_data returns []).")
    ctx.step("the client closes with 4000 and with an empty Close")
    for body, code, reply in ((_close_body(4000, "app"), 4000, {4000}), (b"", 1005, {None, 1000})):
        conn = _connection(ctx)
        events, sent = _feed(conn, _wire(CLOSE, body), f"Close with body {body!r}")
        codes = [struct.unpack("!H", p[:2])[0] if len(p) >= 2 else None for op, _f, p in sent if op == CLOSE]
        if events != [common.CloseReceived(code, body[2:].decode())] or len(codes) != 1 or codes[0] not in reply or _state(conn) != "CLOSED":
            raise CheckFailed(
                f"For a Close frame with body {body!r}, receive_data() returned {events}, the connection sent {_describe_sent(sent)} and is {_state(conn)}.\n"
                f"Expected [CloseReceived({code}, {body[2:].decode()!r})], one Close frame back ({' or '.join('empty' if r is None else str(r) for r in sorted(reply, key=str))}), state CLOSED. "
                "An empty Close body means 'no status code', reported as 1005 (§7.1.5), which is never sent back."
            )
    ctx.step("the server starts the close: close(1001, 'going away'), then the client answers")
    conn = _connection(ctx)
    conn.close(1001, "going away")
    try:
        sent = _read_frames(bytes(conn.data_to_send()))
    except ValueError as exc:
        raise CheckFailed(f"after close(1001, 'going away'), data_to_send() is not a frame: {exc}") from None
    if [(op, p) for op, _f, p in sent] != [(CLOSE, _close_body(1001, "going away"))] or _state(conn) != "CLOSING":
        raise CheckFailed(
            f"close(1001, 'going away') sent {_describe_sent(sent)} and left state {_state(conn)}; expected one Close frame "
            "(code 1001 as 2 big-endian bytes, then the UTF-8 reason, §5.5.1) and state CLOSING (waiting for the client's Close)."
        )
    events, sent = _feed(conn, _wire(CLOSE, _close_body(1001)), "the client's Close answering ours")
    if events != [common.CloseReceived(1001, "")] or sent or _state(conn) != "CLOSED":
        raise CheckFailed(
            f"When the client answered our Close, receive_data() returned {events}, sent {_describe_sent(sent)}, state {_state(conn)}; "
            "expected [CloseReceived(1001, '')], nothing sent (our Close is already out; never send two) and state CLOSED."
        )


def check_protocol_errors(ctx: Context) -> None:
    long_ping = _header(PING, 126, masked=True) + MASK_KEY + bytes(126)
    cases = [
        ("an unmasked text frame from the client", _wire(TEXT, b"hi", key=None), "§5.1: client frames must be masked"),
        ("a frame with RSV1 set", _wire(TEXT, b"hi", rsv=4), "§5.2: RSV bits must be 0 without an extension"),
        ("a frame with RSV2 set", _wire(TEXT, b"hi", rsv=2), "§5.2"),
        ("a frame with RSV3 set", _wire(BINARY, b"hi", rsv=1), "§5.2"),
        ("opcode 0x3 (reserved)", _wire(0x3, b"hi"), "§5.2: reserved opcodes"),
        ("opcode 0xB (reserved control)", _wire(0xB, b""), "§5.2: reserved opcodes"),
        ("a fragmented Ping (FIN=0)", _wire(PING, b"hi", fin=False), "§5.5: control frames must not be fragmented"),
        ("a Ping with a 126-byte payload", long_ping, "§5.5: control frames carry at most 125 bytes"),
        ("a continuation frame with nothing to continue", _wire(CONT, b"orphan"), "§5.4"),
        ("a new text frame in the middle of a fragmented message", _wire(TEXT, b"a", fin=False) + _wire(TEXT, b"b"), "§5.4: messages do not interleave"),
        ("a Close frame with a 1-byte body", _wire(CLOSE, b"\x03"), "§5.5.1: a code is 2 bytes"),
        ("a Close frame with code 1005 (never sent on the wire)", _wire(CLOSE, _close_body(1005)), "§7.4.1"),
        ("a Close frame with code 999", _wire(CLOSE, _close_body(999)), "§7.4.2"),
    ]
    for what, data, rule in cases:
        _expect_failure(ctx, 1002, what, data, rule)
    ctx.step("a message before a bad frame is still delivered")
    conn = _connection(ctx)
    events, _ = _feed(conn, _wire(TEXT, b"fine"), "a valid message")
    _feed(conn, [bytes([0xF1])], "a byte with RSV bits")  # the bad frame's first byte alone
    if events != [_common().Message("fine")] or _state(conn) != "CLOSED":
        raise CheckFailed(f"A valid message then a byte with RSV bits set: events {events}, state {_state(conn)}; expected [Message('fine')] then CLOSED after 1002 (fail as soon as the first byte shows the error).")


def check_invalid_utf8(ctx: Context) -> None:
    cases = [
        ("a text frame with bytes ff fe (never valid UTF-8)", _wire(TEXT, b"\xff\xfe")),
        ("a text frame with a UTF-16 surrogate encoded in UTF-8 (ed a0 80)", _wire(TEXT, b"ok\xed\xa0\x80")),
        ("a text message whose last fragment ends in the middle of a character", _wire(TEXT, b"caf", fin=False) + _wire(CONT, b"\xc3")),
        ("a Close frame whose reason is not UTF-8", _wire(CLOSE, _close_body(1000) + b"\xc0\xaf")),
    ]
    for what, data in cases:
        _expect_failure(ctx, 1007, what, data, "§8.1 and §7.4.1: text must be valid UTF-8; 1007 = invalid payload data")
    ctx.step("invalid bytes in a *binary* message are fine")
    conn = _connection(ctx)
    events, sent = _feed(conn, _wire(BINARY, b"\xff\xfe"), "a binary frame with bytes ff fe")
    if events != [_common().Message(b"\xff\xfe")] or sent:
        raise CheckFailed(f"A binary frame b'\\xff\\xfe' gave {events} and sent {_describe_sent(sent)}; binary messages are bytes and are never decoded.")


def check_message_too_big(ctx: Context) -> None:
    limit = 1000
    ctx.step(f"a message of exactly max_message_size={limit} bytes is accepted")
    conn = _connection(ctx, max_message_size=limit)
    events, sent = _feed(conn, _wire(BINARY, bytes(limit)), f"a {limit}-byte message")
    if events != [_common().Message(bytes(limit))] or sent:
        raise CheckFailed(f"Connection(max_message_size={limit}) fed a binary message of exactly {limit} bytes returned {events!r:.120} "
                          f"and sent {_describe_sent(sent)}; expected [Message(<those {limit} bytes>)] and nothing sent (the limit is inclusive).")
    _expect_failure(ctx, 1009, f"a {limit + 1}-byte frame with max_message_size={limit}", _wire(TEXT, b"x" * (limit + 1)),
                    "§7.4.1: 1009 = message too big", max_message_size=limit)
    _expect_failure(ctx, 1009, f"only the header of a 2**40-byte frame (max_message_size={limit})",
                    _header(BINARY, 1 << 40, masked=True) + MASK_KEY,
                    "refuse it from the header alone, before buffering a terabyte", max_message_size=limit)
    _expect_failure(ctx, 1009, f"three fragments of 400 bytes (1200 in all, max_message_size={limit})",
                    _wire(TEXT, b"x" * 400, fin=False) + _wire(CONT, b"x" * 400, fin=False) + _wire(CONT, b"x" * 400),
                    "the limit applies to the whole reassembled message", max_message_size=limit)


def check_fuzz_decoder(ctx: Context) -> None:
    frames = ctx.import_learner("frames")
    common = _common()
    from hypothesis import HealthCheck, Verbosity, given, settings
    from hypothesis import strategies as st
    from hypothesis.configuration import set_hypothesis_home_dir

    ctx.step("a first FrameDecoder call")
    decoder = frames.FrameDecoder(expect_masked=True, max_payload=4096)
    decoder.feed(_wire(TEXT, b"warm-up"))
    _drain(decoder)

    found: list[str] = []

    def describe(exc: BaseException, data: bytes, cuts) -> str:
        frame = learner_support.learner_frame(exc.__traceback__, ctx.exercise_dir)
        where = f"\n{learner_support.describe_frame(frame)}" if frame else ""
        return (f"FrameDecoder(expect_masked=True, max_payload=4096) fed {_short(data, 40)} (cut at {list(cuts)}) "
                f"raised {type(exc).__name__}: {exc}{where}\nIt must raise only ProtocolError (with a close code) for bad input, "
                "and return None while a frame is incomplete (check the buffer's length before reading each field).")

    config = settings(max_examples=150, deadline=None, database=None, derandomize=True, verbosity=Verbosity.quiet,
                      print_blob=False, suppress_health_check=list(HealthCheck))

    # Random bytes, often starting with a plausible header (a known opcode, a 125/126/127 length),
    # cut often within the first dozen bytes, where the extended length and the masking key live.
    first = st.sampled_from([0x00, 0x01, 0x02, 0x80, 0x81, 0x82, 0x88, 0x89, 0x8A])
    second = st.sampled_from([0x7D, 0x7E, 0x7F, 0xFD, 0xFE, 0xFF])
    streams = st.builds(lambda b0, b1, rest: bytes([b0, b1]) + rest, first, second, st.binary(max_size=300)) | st.binary(max_size=300)

    @config
    @given(streams, st.lists(st.integers(0, 12) | st.integers(0, 302), max_size=6))
    def random_bytes(data, cuts):
        decoder = frames.FrameDecoder(expect_masked=True, max_payload=4096)
        points = sorted({c for c in cuts if c <= len(data)} | {0, len(data)})
        try:
            for a, b in zip(points, points[1:]):
                decoder.feed(data[a:b])
                _drain(decoder)
        except common.ProtocolError:
            pass
        except CheckFailed:
            raise
        except Exception as exc:  # noqa: BLE001 - the property under test
            found[:] = [describe(exc, data, points[1:-1])]
            raise AssertionError(found[0]) from None

    frame_strategy = st.builds(
        lambda opcode, payload, fin, key: (common.Frame(opcode, payload, fin), _wire(opcode, payload, fin=fin, key=key)),
        st.sampled_from([TEXT, BINARY, CONT]), st.binary(max_size=130) | st.sampled_from([126, 127, 300, 4096]).map(bytes),
        st.booleans(), st.binary(min_size=4, max_size=4),
    ) | st.builds(
        lambda opcode, payload, key: (common.Frame(opcode, payload, True), _wire(opcode, payload, key=key)),
        st.sampled_from([PING, PONG, CLOSE]), st.binary(max_size=125), st.binary(min_size=4, max_size=4),
    )

    @config
    @given(st.lists(frame_strategy, min_size=1, max_size=5), st.lists(st.integers(0, 12) | st.integers(0, 5000), max_size=8))
    def split_valid(pairs, cuts):
        want = [f for f, _ in pairs]
        data = b"".join(w for _, w in pairs)
        points = sorted({c for c in cuts if c <= len(data)} | {0, len(data)})
        decoder = frames.FrameDecoder(expect_masked=True, max_payload=4096)
        got = []
        try:
            for a, b in zip(points, points[1:]):
                decoder.feed(data[a:b])
                got += _drain(decoder)
        except CheckFailed:
            raise
        except Exception as exc:  # noqa: BLE001 - the property under test
            found[:] = [describe(exc, data, points[1:-1])]
            raise AssertionError(found[0]) from None
        if got != want:
            found[:] = [f"FrameDecoder fed {len(want)} valid frames ({_short(data, 30)}) cut at {points[1:-1]} yielded "
                        f"{[_frame_str(f) for f in got]}; expected {want}. The same bytes must give the same frames however TCP cuts them."]
            raise AssertionError(found[0])

    # Hypothesis caches what it learns in a folder; keep it out of the learner's repository.
    home = tempfile.mkdtemp(prefix="ex03-hypothesis-")
    set_hypothesis_home_dir(home)
    try:
        for name, prop in (("random bytes cut at random points", random_bytes), ("valid frames cut at random points", split_valid)):
            ctx.step(f"hypothesis: {name}")
            try:
                prop()
            except AssertionError:
                raise CheckFailed(found[0] if found else f"the property '{name}' failed") from None
    finally:
        shutil.rmtree(home, ignore_errors=True)


# ---- interoperability: a server for the rest of the checks ----------------------------


def _server(ctx: Context):
    handshake = ctx.import_learner("handshake")
    connection = ctx.import_learner("connection")
    from ws_server import ServerThread  # scaffolding in lessons/03-websocket-handshake

    return ctx.resource("ex03-server", lambda: ServerThread(handshake, connection))


def _raise_server_error(ctx: Context, server, during: str) -> None:
    """If the learner's code raised inside the server, report that (first) error."""
    if not server.errors:
        return
    exc = server.errors[0]
    server.errors.clear()
    if isinstance(exc, NotImplementedError):
        raise exc  # the checker says which function is still a stub
    frame = learner_support.learner_frame(exc.__traceback__, ctx.exercise_dir)
    if frame is None:
        raise CheckFailed(f"While {during}, the server could not use what your code returned: {type(exc).__name__}: {exc}\n"
                          "The server dropped that connection. `python -m checker serve 03` prints the whole traceback.")
    raise CheckFailed(f"While {during}, your code raised {type(exc).__name__}: {exc}\n{learner_support.describe_frame(frame)}\n"
                      "The server dropped that connection. Fix that line and run the checker again.")


async def _websockets_session(base: str) -> list[str]:
    from websockets.asyncio.client import connect
    from websockets.exceptions import ConnectionClosed

    problems: list[str] = []
    doing = "opening a WebSocket to /echo"

    async def recv(ws):
        return await asyncio.wait_for(ws.recv(), 3)

    try:
        async with connect(base + "/echo", max_size=None, open_timeout=3, close_timeout=3, ping_interval=None) as ws:
            for n in LENGTHS + [300_000]:
                doing = f"echoing a {n}-character text message"
                text = ("héllo wörld ✓ " * (n // 10 + 1))[:n]
                await ws.send(text)
                got = await recv(ws)
                if got != text:
                    problems.append(f"echo of a {n}-character text message came back as {type(got).__name__} of length {len(got)} (first {got[:30]!r})")
                    break
                doing = f"echoing a {n}-byte binary message"
                data = os.urandom(n)
                await ws.send(data)
                got = await recv(ws)
                if got != data:
                    problems.append(f"echo of a {n}-byte binary message came back as {type(got).__name__} of length {len(got)}")
                    break
            doing = "echoing a text message the library sent in 3 fragments"
            await ws.send(["frag", "mented ", "with the library"])
            got = await recv(ws)
            if got != "fragmented with the library":
                problems.append(f"a 3-fragment message came back as {got!r}")
            doing = "waiting for the pong to a ping"
            waiter = await ws.ping(b"are you alive?")
            try:
                await asyncio.wait_for(waiter, 2)
            except asyncio.TimeoutError:
                problems.append("a ping got no pong within 2 s")
            doing = "closing with code 4001"
            await ws.close(4001, "done here")
        rcvd = ws.protocol.close_rcvd
        if rcvd is None or rcvd.code != 4001:
            problems.append(f"after the client sent Close 4001, the server answered {rcvd} (expected a Close echoing 4001)")
        doing = "closing with code 1000"
        async with connect(base + "/echo", open_timeout=3, close_timeout=3) as ws:
            await ws.close()
        if ws.protocol.close_rcvd is None or ws.protocol.close_rcvd.code != 1000:
            problems.append(f"after the client sent Close 1000, the server answered {ws.protocol.close_rcvd} (expected 1000)")
        doing = "chatting between two clients on /chat"
        async with connect(base + "/chat", open_timeout=3) as alice, connect(base + "/chat", open_timeout=3) as bob:
            await alice.send('{"type": "message", "name": "alice", "text": "hi bob"}')
            for _ in range(4):
                if "hi bob" in await recv(bob):
                    break
            else:
                problems.append("on /chat, bob never received alice's message")
    except asyncio.TimeoutError:
        problems.append(f"no answer within 3 s while {doing}")
    except ConnectionClosed as exc:
        problems.append(f"the connection closed while {doing}: {exc}")
    return problems


def check_websockets_client(ctx: Context) -> None:
    server = _server(ctx)
    ctx.step(f"the websockets library's client talks to {server.ws_url('/echo')} and /chat")
    try:
        problems = ctx.run_async(_websockets_session, server.ws_url(""), timeout=8)
    except CheckFailed:
        _raise_server_error(ctx, server, "the websockets client talked to your server")
        raise
    except Exception as exc:  # noqa: BLE001 - the client reports what went wrong
        _raise_server_error(ctx, server, "the websockets client talked to your server")
        raise CheckFailed(
            f"The websockets library's client failed against your server: {type(exc).__name__}: {exc}\n"
            "Run `python -m checker serve 03` and connect with `python -m websockets ws://127.0.0.1:8000/echo` to watch it."
        ) from None
    _raise_server_error(ctx, server, "the websockets client talked to your server")
    if problems:
        raise CheckFailed("Talking to your server with the websockets library (a client nobody here wrote):\n- " + "\n- ".join(problems))


ECHO_JS = """
async ([url, sizes]) => {
  const problems = [];
  const ws = new WebSocket(url);
  ws.binaryType = "arraybuffer";
  const queue = [];
  let wake = null;
  ws.onmessage = (e) => { queue.push(e.data); if (wake) { wake(); wake = null; } };
  const closed = new Promise((resolve) => {
    ws.onclose = (e) => { if (wake) { wake(); wake = null; } resolve({code: e.code, reason: e.reason, clean: e.wasClean}); };
  });
  const opened = await Promise.race([
    new Promise((resolve) => { ws.onopen = () => resolve(true); }),
    closed.then(() => false),
  ]);
  if (!opened) return ["the browser could not open a WebSocket to " + url + " (the handshake failed or the connection closed)"];
  const next = async () => {  // the next message, or undefined after 3 s without one
    if (!queue.length) await new Promise((r) => { wake = r; setTimeout(r, 3000); });
    return queue.shift();
  };
  const state = () => (ws.readyState === 1 ? "the connection is still open" : "the connection was closed");
  for (const n of sizes) {
    const text = "é✓a".repeat(Math.ceil(n / 3)).slice(0, n);
    ws.send(text);
    const back = await next();
    if (back !== text) { problems.push(back === undefined ? `a ${n}-character text message got no echo within 3 s (${state()})` : `a ${n}-character text message came back as ${typeof back} of length ${back.length ?? back.byteLength}`); break; }
    const bytes = new Uint8Array(n).map((_, i) => (i * 7) & 255);
    ws.send(bytes.buffer);
    const bin = await next();
    const same = bin instanceof ArrayBuffer && bin.byteLength === n && new Uint8Array(bin).every((b, i) => b === bytes[i]);
    if (!same) { problems.push(bin === undefined ? `a ${n}-byte binary message got no echo within 3 s (${state()})` : `a ${n}-byte binary message came back as ${typeof bin === "string" ? "text" : bin.constructor.name} of length ${bin.byteLength ?? bin.length}`); break; }
  }
  ws.close(4000, "bye from chromium");
  const result = await Promise.race([closed, new Promise((r) => setTimeout(() => r(null), 3000))]);
  if (!result) problems.push("the close handshake did not finish within 3 s");
  else if (!result.clean || result.code !== 4000) problems.push(`the close was ${result.clean ? "clean" : "not clean"} with code ${result.code} (expected a clean close echoing 4000)`);
  return problems;
}
"""


def _browser_problem(ctx: Context, server, during: str, exc: BaseException | None = None) -> None:
    _raise_server_error(ctx, server, during)
    if exc is not None:
        console = "\n".join(ctx.console[-5:])
        raise CheckFailed(f"While {during}: {str(exc).splitlines()[0]}" + (f"\nBrowser console:\n{console}" if console else "")) from None


def check_browser_echo(ctx: Context) -> None:
    server = _server(ctx)
    page = ctx.new_page()
    ctx.step(f"Chromium opens {server.url}")
    page.goto(server.url)
    ctx.step("Chromium's WebSocket echoes text and binary messages through /echo, then closes with 4000")
    try:
        problems = page.evaluate(ECHO_JS, [server.ws_url("/echo"), [0, 1, 125, 126, 65535, 65536, 200_000]])
    except Exception as exc:  # noqa: BLE001 - Playwright errors become a message
        _browser_problem(ctx, server, "Chromium talked to /echo", exc)
        raise
    _browser_problem(ctx, server, "Chromium talked to /echo")
    if problems:
        raise CheckFailed("Headless Chromium's WebSocket against your server's /echo:\n- " + "\n- ".join(problems))


def _wait_in_page(ctx: Context, server, page, expression: str, failure: str) -> None:
    """Wait up to 3 s for ``expression`` to be true in ``page``; CheckFailed(failure) if it never is.

    Waits in short slices so that an exception in the learner's code (inside the server)
    is reported at once instead of after the whole wait.
    """
    from playwright.sync_api import TimeoutError as PlaywrightTimeout

    for _ in range(20):
        try:
            page.wait_for_function(expression, timeout=150)
            return
        except PlaywrightTimeout:
            _raise_server_error(ctx, server, "the browser tabs used /chat")
    raise CheckFailed(failure)


def check_browser_chat(ctx: Context) -> None:
    server = _server(ctx)
    ctx.step("two Chromium tabs open the chat page")
    ada = ctx.new_page()
    bob = ada.context.new_page()  # a second tab of the same browser window (closed with it)
    bob.set_default_timeout(5000)
    bob.on("pageerror", lambda err: ctx.console.append(f"uncaught: {err}"))
    try:
        for page in (ada, bob):
            page.goto(server.url)
        for page, name in ((ada, "Ada"), (bob, "Bob")):
            ctx.step(f"{name}'s tab waits until its WebSocket to /chat is open")
            # readyState 1 = OPEN, 3 = CLOSED (the handshake failed): stop waiting on either.
            _wait_in_page(ctx, server, page, "() => window.chatSocket && [1, 3].includes(window.chatSocket.readyState)",
                          f"{name}'s tab: the WebSocket to /chat neither opened nor closed within 3 s.")
            if page.evaluate("window.chatSocket.readyState") != 1:
                _raise_server_error(ctx, server, f"{name}'s tab opened its WebSocket to /chat")
                raise CheckFailed(f"{name}'s tab could not open its WebSocket to {server.ws_url('/chat')}: the page shows "
                                  f"{page.inner_text('#status')!r}. Open `python -m checker serve 03` in a browser and look at the console.")
            page.fill("#name", name)
        ctx.step("Ada types a message; Bob's tab must show it")
        ada.fill("#message", "hello from Ada")
        ada.press("#message", "Enter")
        _wait_in_page(ctx, server, bob, "() => document.querySelector('#log').textContent.includes('Ada: hello from Ada')",
                      "Ada sent 'hello from Ada' (a JSON text message) to /chat, but Bob's tab did not show it within 3 s.")
        ctx.step("Bob answers; Ada's tab must show it")
        bob.fill("#message", "hi Ada, Bob here")
        bob.click("#send")
        _wait_in_page(ctx, server, ada, "() => document.querySelector('#log').textContent.includes('Bob: hi Ada, Bob here')",
                      "Bob sent 'hi Ada, Bob here' to /chat, but Ada's tab did not show it within 3 s.")
    except CheckFailed as failed:
        _raise_server_error(ctx, server, "two browser tabs chatted through /chat")
        logs = [f"{who}'s page: " + page.inner_text("#log").replace("\n", " | ")[:200] for who, page in (("Ada", ada), ("Bob", bob))]
        console = ctx.console[-3:]
        raise CheckFailed(str(failed) + "\n" + "\n".join(logs + console)) from None
    except NotImplementedError:
        raise
    except Exception as exc:  # noqa: BLE001 - other Playwright errors become a message
        _browser_problem(ctx, server, "two browser tabs chatted through /chat", exc)
        raise
    _browser_problem(ctx, server, "two browser tabs chatted through /chat")


CHECKS = register(
    check_accept_key, check_handshake_accepts, check_handshake_rejects, check_encode_frame,
    check_decode_frame, check_masking, check_fragmentation, check_ping_pong, check_close_handshake,
    check_protocol_errors, check_invalid_utf8, check_message_too_big, check_fuzz_decoder,
    check_websockets_client, check_browser_echo, check_browser_chat,
)
