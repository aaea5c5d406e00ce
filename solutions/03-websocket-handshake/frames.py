"""Frames (RFC 6455 §5): the unit of everything sent on a WebSocket after the handshake.

A frame on the wire (§5.2)::

     byte 0:  FIN | RSV1 | RSV2 | RSV3 | opcode (4 bits)
     byte 1:  MASK | payload length (7 bits: 0-125, or 126, or 127)
     then:    16-bit length if it said 126, 64-bit length if it said 127 (big-endian)
     then:    4-byte masking key if MASK is 1
     then:    the payload (XOR-ed with the masking key if MASK is 1)

``encode_frame`` writes one; ``FrameDecoder`` reads them back out of a byte stream that
arrives in pieces of any size (TCP keeps the order of bytes, not the boundaries of writes).

Given to you in ``ws_common``: ``Frame(opcode, payload, fin=True)``, the ``OPCODE_*``
constants, ``CONTROL_OPCODES``, ``KNOWN_OPCODES``, ``MAX_CONTROL_PAYLOAD`` (125), the
``CLOSE_*`` codes and ``ProtocolError(code, reason)``.

Useful: ``struct.pack("!BBH", b0, b1, length16)``, ``struct.pack("!BBQ", b0, b1, length64)``
("!" = network byte order, B = 1 byte, H = 2 bytes, Q = 8 bytes) and
``struct.unpack_from("!H", buffer, offset)`` (returns a 1-tuple).
"""

from __future__ import annotations

import struct

from ws_common import (
    CLOSE_PROTOCOL_ERROR,
    CLOSE_TOO_BIG,
    CONTROL_OPCODES,
    KNOWN_OPCODES,
    MAX_CONTROL_PAYLOAD,
    Frame,
    ProtocolError,
)


def mask(data: bytes, key: bytes) -> bytes:
    """XOR ``data`` with the 4-byte ``key`` repeated (RFC 6455 §5.3). Masking twice unmasks.

    Byte i of the result is ``data[i] ^ key[i % 4]``.

    Why: a client masks every frame it sends with a fresh random key, so a script in a web
    page cannot choose the exact bytes that cross the network. Without it, a page could
    send bytes that look like an HTTP request to a badly written proxy in between and
    poison its cache (§10.3). Servers do not mask (§5.1).

    >>> mask(b"Hello", bytes.fromhex("37fa213d")).hex(" ")   # RFC 6455 §5.7
    '7f 9f 4d 51 58'
    """
    if len(key) != 4:
        raise ValueError("a masking key is exactly 4 bytes")
    if not data:
        return b""
    # One big XOR instead of a Python loop: repeat the key to the payload's length and XOR
    # the two as integers (about 100x faster than byte by byte for large payloads).
    repeated = (key * (len(data) // 4 + 1))[: len(data)]
    return (int.from_bytes(data, "big") ^ int.from_bytes(repeated, "big")).to_bytes(len(data), "big")


def encode_frame(frame: Frame, mask_key: bytes | None = None) -> bytes:
    """The bytes of ``frame`` on the wire (RFC 6455 §5.2). Mask it with ``mask_key`` if given.

    1. Byte 0: ``0x80`` if ``frame.fin`` (else 0), OR-ed with ``frame.opcode``. RSV bits are 0.
    2. Byte 1 and the extended length, with the MASK bit (``0x80``) set iff ``mask_key`` is given:
         length <= 125    -> the length itself in byte 1
         length <= 65535  -> 126 in byte 1, then the length as 2 bytes (``"!H"``)
         otherwise        -> 127 in byte 1, then the length as 8 bytes (``"!Q"``)
       (§5.2: "the minimal number of bytes MUST be used to encode the length")
    3. If ``mask_key``: the 4 key bytes, then ``mask(payload, mask_key)``. Else the payload.

    >>> encode_frame(Frame(OPCODE_TEXT, b"Hello")).hex(" ")   # §5.7
    '81 05 48 65 6c 6c 6f'
    """
    first = (0x80 if frame.fin else 0x00) | frame.opcode  # FIN bit, RSV1-3 = 0, opcode
    mask_bit = 0x80 if mask_key is not None else 0x00
    length = len(frame.payload)
    # §5.2 "Payload length": the shortest form that fits.
    if length <= 125:
        header = struct.pack("!BB", first, mask_bit | length)
    elif length <= 0xFFFF:
        header = struct.pack("!BBH", first, mask_bit | 126, length)
    else:
        header = struct.pack("!BBQ", first, mask_bit | 127, length)
    if mask_key is None:
        return header + frame.payload
    return header + mask_key + mask(frame.payload, mask_key)  # §5.3


class FrameDecoder:
    """Turns a byte stream into frames, however the stream is cut into pieces.

    ``feed(data)`` adds bytes; ``next_frame()`` returns the next complete frame or ``None``
    if more bytes are needed; iterating over the decoder yields every complete frame.

    ``expect_masked`` is True on a server (client frames MUST be masked, §5.1) and False
    on a client (server frames MUST NOT be). ``max_payload`` bounds one frame's payload:
    a longer one is refused as soon as its header arrives, before its bytes are buffered.
    """

    def __init__(self, *, expect_masked: bool, max_payload: int = 1 << 20) -> None:
        self.expect_masked = expect_masked
        self.max_payload = max_payload
        self._buffer = bytearray()

    def feed(self, data: bytes) -> None:
        """Append received bytes to the buffer."""
        self._buffer += data

    def __iter__(self):
        """Yield every frame that is complete in the buffer (stops when more bytes are needed)."""
        while (frame := self.next_frame()) is not None:
            yield frame

    def next_frame(self) -> Frame | None:
        """Parse one frame from the front of ``self._buffer`` and remove its bytes; None if incomplete.

        The buffer may hold half a frame, exactly one, or several and a bit: before reading
        each field, check that enough bytes are there, and return ``None`` (leaving the
        buffer alone) if not. Raise an error as soon as the bytes that show it have arrived:

        * any of RSV1-3 set (``byte0 & 0x70``)                 -> ProtocolError(CLOSE_PROTOCOL_ERROR)  §5.2
        * opcode not in KNOWN_OPCODES                          -> CLOSE_PROTOCOL_ERROR  §5.2
        * a control opcode with FIN = 0 (fragmented)           -> CLOSE_PROTOCOL_ERROR  §5.5
        * MASK bit != self.expect_masked                       -> CLOSE_PROTOCOL_ERROR  §5.1
        * a control frame whose 7-bit length is over 125       -> CLOSE_PROTOCOL_ERROR  §5.5
        * a 64-bit length whose most significant bit is set    -> CLOSE_PROTOCOL_ERROR  §5.2
          ("the most significant bit MUST be 0")
        * a payload length over ``self.max_payload``           -> ProtocolError(CLOSE_TOO_BIG)  §7.4.1
          (check it right after reading the length: never wait for a huge payload)

        Once the whole frame is there: take the payload, unmask it with the key that follows
        the length (if masked), delete the frame's bytes from the front
        (``del self._buffer[:n]``) and return ``Frame(opcode, payload, fin)``.
        """
        buf = self._buffer
        if len(buf) < 1:
            return None
        fin = bool(buf[0] & 0x80)
        opcode = buf[0] & 0x0F
        # §5.2: RSV1-3 MUST be 0 unless an extension defines them (we negotiate none).
        if buf[0] & 0x70:
            raise ProtocolError(CLOSE_PROTOCOL_ERROR, "reserved bits set")
        # §5.2: reserved opcodes -> "the receiving endpoint MUST _Fail the WebSocket Connection_".
        if opcode not in KNOWN_OPCODES:
            raise ProtocolError(CLOSE_PROTOCOL_ERROR, f"unknown opcode {opcode:#x}")
        # §5.5: "Control frames themselves MUST NOT be fragmented."
        if opcode in CONTROL_OPCODES and not fin:
            raise ProtocolError(CLOSE_PROTOCOL_ERROR, "fragmented control frame")
        if len(buf) < 2:
            return None
        masked = bool(buf[1] & 0x80)
        # §5.1: a server MUST close on an unmasked client frame; a client on a masked server frame.
        if masked != self.expect_masked:
            raise ProtocolError(
                CLOSE_PROTOCOL_ERROR, "client frames must be masked" if self.expect_masked else "server frames must not be masked"
            )
        length = buf[1] & 0x7F
        # §5.5: "All control frames MUST have a payload length of 125 bytes or less."
        if opcode in CONTROL_OPCODES and length > MAX_CONTROL_PAYLOAD:
            raise ProtocolError(CLOSE_PROTOCOL_ERROR, "control frame payload over 125 bytes")
        offset = 2
        # §5.2: 126 -> 16-bit length follows; 127 -> 64-bit length (most significant bit 0).
        if length == 126:
            if len(buf) < 4:
                return None
            (length,) = struct.unpack_from("!H", buf, 2)
            offset = 4
        elif length == 127:
            if len(buf) < 10:
                return None
            (length,) = struct.unpack_from("!Q", buf, 2)
            if length >> 63:
                raise ProtocolError(CLOSE_PROTOCOL_ERROR, "64-bit length with its top bit set")
            offset = 10
        # §10.4: an endpoint may limit frame sizes; over the limit -> 1009 (§7.4.1).
        if length > self.max_payload:
            raise ProtocolError(CLOSE_TOO_BIG, f"frame of {length} bytes is over the limit of {self.max_payload}")
        key = None
        if masked:
            if len(buf) < offset + 4:
                return None
            key = bytes(buf[offset : offset + 4])
            offset += 4
        if len(buf) < offset + length:
            return None
        payload = bytes(buf[offset : offset + length])
        del buf[: offset + length]
        if key is not None:
            payload = mask(payload, key)  # §5.3: unmasking is the same XOR
        return Frame(opcode, payload, fin)
