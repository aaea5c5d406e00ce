"""A raw WebSocket frame writer and reader: an oracle that shares no code with the learner's.

Lesson 03's checks, tests and benchmark build the bytes a client sends with ``wire(...)`` and
read what a server sent with ``read_frames(...)``, never with the learner's ``encode_frame`` or
``FrameDecoder``: a bug in one of the learner's functions then fails one check, not all of
them. Every rule is written out here, beside the section of RFC 6455 that states it.

    wire(TEXT, b"Hello")                  # a masked client frame (the key of §5.7's example)
    wire(TEXT, b"Hello", key=None)        # an unmasked frame, as a server sends it
    read_frames(server_output)            # [(opcode, fin, payload), ...] or ValueError
"""

from __future__ import annotations

import struct

# §5.2 "Opcode": 0x0 continuation, 0x1 text, 0x2 binary; §5.5 control frames 0x8-0xA.
CONT, TEXT, BINARY, CLOSE, PING, PONG = 0x0, 0x1, 0x2, 0x8, 0x9, 0xA
NAMES = {CONT: "CONT", TEXT: "TEXT", BINARY: "BINARY", CLOSE: "CLOSE", PING: "PING", PONG: "PONG"}

#: The masking key of RFC 6455 §5.7's examples ("0x37 0xfa 0x21 0x3d").
MASK_KEY = b"\x37\xfa\x21\x3d"


def xor(data: bytes, key: bytes) -> bytes:
    """§5.3: octet i of the masked data is octet i of the original XOR octet (i MOD 4) of the key.

    Written from the definition (one big integer XOR, which gives the same bytes as the loop
    ``data[i] ^ key[i % 4]``, only faster for long payloads). Masking twice gives the data back.
    """
    if not data:
        return b""
    repeated = (key * (len(data) // 4 + 1))[: len(data)]
    return (int.from_bytes(data, "big") ^ int.from_bytes(repeated, "big")).to_bytes(len(data), "big")


def header(opcode: int, length: int, *, fin: bool = True, masked: bool, rsv: int = 0) -> bytes:
    """The header of a frame announcing ``length`` payload bytes (no masking key).

    §5.2: byte 0 is FIN (0x80), RSV1-3 (0x70; ``rsv`` is the 3-bit value), the 4-bit opcode;
    byte 1 is MASK (0x80) and a 7-bit length: 0-125 as is, 126 then a 16-bit length, 127 then
    a 64-bit length, both in network byte order, the shortest form that fits.
    """
    first = (0x80 if fin else 0) | (rsv << 4) | opcode
    bit = 0x80 if masked else 0
    if length <= 125:
        return bytes([first, bit | length])
    if length <= 0xFFFF:
        return bytes([first, bit | 126]) + struct.pack("!H", length)
    return bytes([first, bit | 127]) + struct.pack("!Q", length)


def wire(opcode: int, payload: bytes = b"", *, fin: bool = True, key: bytes | None = MASK_KEY, rsv: int = 0) -> bytes:
    """A whole frame. §5.1: a client masks every frame (``key``, 4 bytes, after the length, §5.2);
    ``key=None`` gives an unmasked frame, as a server sends (or as a broken client would)."""
    head = header(opcode, len(payload), fin=fin, masked=key is not None, rsv=rsv)
    return head + (key + xor(payload, key) if key is not None else payload)


def close_body(code: int, reason: str = "") -> bytes:
    """§5.5.1: a Close body is a 2-byte status code in network byte order, then a UTF-8 reason."""
    return struct.pack("!H", code) + reason.encode()


def close_code(payload: bytes) -> int | None:
    """The status code of a Close body (``None`` for an empty body, §7.1.5's "no status")."""
    return struct.unpack("!H", payload[:2])[0] if len(payload) >= 2 else None


def read_frames(data: bytes) -> list[tuple[int, bool, bytes]]:
    """Parse a server's output into ``(opcode, fin, payload)``; ``ValueError`` naming the fault.

    It accepts only what a server may send: §5.1 "A server MUST NOT mask any frames", §5.2 RSV
    bits 0 (no extension is negotiated), and whole frames (no stray bytes at the end).
    """
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
        need = {126: 2, 127: 8}.get(length, 0)
        if len(data) - i < need:
            raise ValueError(f"a frame's {need * 8}-bit extended length is cut short")
        if length == 126:
            (length,) = struct.unpack_from("!H", data, i)
        elif length == 127:
            (length,) = struct.unpack_from("!Q", data, i)
        i += need
        if len(data) - i < length:
            raise ValueError(f"a frame announces {length} payload bytes but only {len(data) - i} follow")
        frames.append((b0 & 0x0F, bool(b0 & 0x80), data[i : i + length]))
        i += length
    return frames


def describe(frames: list[tuple[int, bool, bytes]]) -> str:
    """``"CLOSE 1000 'bye', PONG b'hi'"`` for a message; ``"nothing"`` for no frames."""
    if not frames:
        return "nothing"
    parts = []
    for opcode, _fin, payload in frames:
        if opcode == CLOSE and len(payload) >= 2:
            parts.append(f"CLOSE {close_code(payload)} {payload[2:].decode(errors='replace')!r}")
        else:
            parts.append(f"{NAMES.get(opcode, hex(opcode))} {payload[:20]!r}")
    return ", ".join(parts)


def short(data: bytes, limit: int = 24) -> str:
    """Bytes in hex for a message, cut after ``limit`` bytes."""
    hexes = data[:limit].hex(" ")
    return hexes + (f" ... ({len(data)} bytes)" if len(data) > limit else "")
