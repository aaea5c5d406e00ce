"""Ring "functions", frames (RFC 6455 §5.2, §5.3, §5.7): ``frames.py``.

- ``encode_frame``: the RFC's examples, then every length boundary (7, 16 and 64-bit lengths).
- ``decode_frame``: one frame or several, fed whole, byte by byte or in odd pieces.
- ``masking``: ``mask()`` against §5.3's definition, masked encoding and decoding of §5.7's example.
"""

from __future__ import annotations

import os

from checker.api import CheckFailed, Context
from checker.probes import wire
from checker.probes.wire import BINARY, CONT, MASK_KEY, PING, TEXT

from .support import common, decode, drain, frames_str

LENGTHS = [0, 1, 125, 126, 127, 1000, 65535, 65536, 70000]
UNMASK = ("unmask with the key that follows the length: §5.3, payload byte i XOR key[i % 4], "
          "the 4-byte key coming right after the (extended) length")


# ---- the checks ------------------------------------------------------------------------


def check_encode_frame(ctx: Context) -> None:
    frames = ctx.import_learner("frames")
    Frame = common().Frame
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
            shown = wire.short(bytes(got)) if isinstance(got, (bytes, bytearray)) else repr(got)
            raise CheckFailed(f"encode_frame() for {what} gave {shown}; RFC 6455 §5.7 gives {head_hex} + the payload.")
    for n in LENGTHS:
        for opcode, name in ((TEXT, "text"), (BINARY, "binary")):
            ctx.step(f"encode_frame() of a {n}-byte {name} payload")
            payload = (b"ab" * n)[:n]
            got = bytes(frames.encode_frame(Frame(opcode, payload)))
            want = wire.wire(opcode, payload, key=None)
            if got != want:
                form = "the 7-bit length" if n <= 125 else ("126 then a 16-bit length" if n <= 0xFFFF else "127 then a 64-bit length")
                raise CheckFailed(
                    f"encode_frame() of a {n}-byte {name} frame starts {wire.short(got, 12)}; expected {wire.short(want, 12)}.\n"
                    f"RFC 6455 §5.2: {n} bytes use {form} (network byte order), and the server sends no masking key."
                )


def check_decode_frame(ctx: Context) -> None:
    frames = ctx.import_learner("frames")
    Frame = common().Frame
    ctx.step("FrameDecoder on RFC 6455 §5.7's unmasked examples (expect_masked=False, as a client)")
    rfc = bytes.fromhex("81 05 48 65 6c 6c 6f 01 03 48 65 6c 80 02 6c 6f 89 05 48 65 6c 6c 6f")
    want = [Frame(TEXT, b"Hello"), Frame(TEXT, b"Hel", fin=False), Frame(CONT, b"lo"), Frame(PING, b"Hello")]
    got = decode(ctx, frames, rfc, len(rfc), masked=False)
    if got != want:
        raise CheckFailed(f"FrameDecoder(expect_masked=False) fed {wire.short(rfc, 30)} yielded {frames_str(got)};\n"
                          f"expected {want} (four frames, in order, from one chunk of bytes).")
    for n in LENGTHS:
        for opcode in (TEXT, BINARY):
            payload = os.urandom(n) if opcode == BINARY else (b"xyz" * n)[:n]
            data = wire.wire(opcode, payload)
            for chunk in ((len(data) or 1, 1, 3) if n <= 200 else (len(data), 7, 4096)):
                ctx.step(f"FrameDecoder fed a masked {n}-byte frame in pieces of {chunk} byte(s)")
                got = decode(ctx, frames, data, chunk)
                if got != [Frame(opcode, payload)]:
                    what = (f"FrameDecoder fed a masked {n}-byte {'text' if opcode == TEXT else 'binary'} frame "
                            f"({wire.short(data, 14)}) in pieces of {chunk} byte(s) yielded {frames_str(got)}")
                    _unmasked_or(got, payload, what)
                    raise CheckFailed(
                        f"{what}; expected one frame with the {n}-byte payload, unmasked.\n"
                        "Check the 16/64-bit lengths (§5.2), and return None (keeping the bytes) until the whole frame has arrived."
                    )
    ctx.step("several frames in one chunk, split at odd places")
    parts = [(TEXT, b"one", True), (BINARY, bytes(300), True), (PING, b"", True), (TEXT, b"four", False), (CONT, b"!", True)]
    stream = b"".join(wire.wire(op, p, fin=fin) for op, p, fin in parts)
    want = [Frame(op, p, fin=fin) for op, p, fin in parts]
    for chunk in (len(stream), 5, 2):
        got = decode(ctx, frames, stream, chunk)
        if got != want:
            raise CheckFailed(f"FrameDecoder fed five frames in pieces of {chunk} bytes yielded {frames_str(got)}; expected {want}.")


def check_masking(ctx: Context) -> None:
    frames = ctx.import_learner("frames")
    Frame = common().Frame
    ctx.step("mask(b'Hello', 37 fa 21 3d) as in RFC 6455 §5.7")
    got = frames.mask(b"Hello", MASK_KEY)
    if bytes(got) != bytes.fromhex("7f 9f 4d 51 58"):
        raise CheckFailed(f"mask(b'Hello', {MASK_KEY.hex(' ')}) returned {bytes(got).hex(' ')}; RFC 6455 §5.7 gives "
                          "7f 9f 4d 51 58 (byte i XOR key[i % 4], §5.3).")
    for n in (0, 1, 3, 4, 5, 127, 1001):
        data, key = os.urandom(n), os.urandom(4)
        ctx.step(f"mask() of {n} bytes, and masking twice")
        once = bytes(frames.mask(data, key))
        if once != wire.xor(data, key):
            raise CheckFailed(f"mask() of {n} random bytes with key {key.hex(' ')} is wrong (first bytes {wire.short(once, 8)}, "
                              f"expected {wire.short(wire.xor(data, key), 8)}). Byte i is data[i] ^ key[i % 4].")
        if bytes(frames.mask(once, key)) != data:
            raise CheckFailed(f"masking {n} bytes twice with the same key did not give the original back; XOR twice must undo itself.")
    ctx.step("encode_frame(..., mask_key=37 fa 21 3d) as in RFC 6455 §5.7")
    want = bytes.fromhex("81 85 37 fa 21 3d 7f 9f 4d 51 58")
    got = bytes(frames.encode_frame(Frame(TEXT, b"Hello"), MASK_KEY))
    if got != want:
        raise CheckFailed(f"encode_frame(Frame(TEXT, b'Hello'), mask_key=37 fa 21 3d) gave {got.hex(' ')}; RFC 6455 §5.7 gives "
                          f"{want.hex(' ')} (MASK bit, the key, then the masked payload).")
    for n in (126, 70000):
        got = bytes(frames.encode_frame(Frame(BINARY, bytes(n)), MASK_KEY))
        if got != wire.wire(BINARY, bytes(n)):
            raise CheckFailed(f"encode_frame() of a masked {n}-byte frame starts {wire.short(got, 16)}; expected "
                              f"{wire.short(wire.wire(BINARY, bytes(n)), 16)} (length first, then the 4-byte key, then the masked payload).")
    ctx.step("FrameDecoder(expect_masked=True) on the RFC's masked 'Hello'")
    decoder = frames.FrameDecoder(expect_masked=True)
    decoder.feed(want)
    got = drain(decoder)
    if got != [Frame(TEXT, b"Hello")]:
        raise CheckFailed(f"FrameDecoder(expect_masked=True) fed {want.hex(' ')} yielded {frames_str(got)}; "
                          f"expected one TEXT frame b'Hello' ({UNMASK}).")


# ---- helpers ---------------------------------------------------------------------------


def _unmasked_or(got: list, payload: bytes, what: str) -> None:
    """Name the mistake when the decoder returned the payload still masked (never unmasked)."""
    if len(got) != 1 or not payload:
        return
    masked = wire.xor(payload, MASK_KEY)
    if getattr(got[0], "payload", None) == masked:
        raise CheckFailed(f"{what}: its payload is still masked (the bytes as they came over the wire).\n"
                          f"Once the whole frame is there, {UNMASK}.")
    if getattr(got[0], "payload", None) in ((MASK_KEY + masked)[: len(payload)], MASK_KEY + masked):
        raise CheckFailed(f"{what}: its payload starts with the masking key {MASK_KEY.hex(' ')}.\n"
                          f"Read the key, skip its 4 bytes, take the payload after it and {UNMASK}.")
