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

import struct  # noqa: F401 - you will need it

from ws_common import (  # noqa: F401 - you will need these
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
    # TODO: return bytes(...) with each byte XOR-ed with key[i % 4]
    raise NotImplementedError("mask")


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
    # TODO: steps 1-3
    raise NotImplementedError("encode_frame")


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
        # TODO: parse byte 0 (FIN, RSV, opcode) and byte 1 (MASK, 7-bit length)
        # TODO: the 16- or 64-bit extended length, the masking key, the payload
        raise NotImplementedError("FrameDecoder.next_frame")
