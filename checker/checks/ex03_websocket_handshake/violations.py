"""Ring "functions", failing the connection (RFC 6455 §7.1.7, §7.4.1): ``frames.py`` and ``connection.py``.

- ``protocol_errors``: every §5 violation closes with 1002, and the connection never raises.
- ``invalid_utf8``: text that is not UTF-8 (a message, or a Close reason) closes with 1007.
- ``message_too_big``: a message over the limit closes with 1009, refused from its header alone;
  messages under the limit pass, however many came before.
- ``fragment_flood``: a message in more than ``max_fragments`` fragments closes with 1009, even
  when they are empty (the attack in the README's Security section); a message in exactly
  ``max_fragments`` passes, control frames between fragments do not count, the count is per message.
"""

from __future__ import annotations

from checker.api import CheckFailed, Context
from checker.expect import see
from checker.probes import wire
from checker.probes.wire import BINARY, CLOSE, CONT, MASK_KEY, PING, TEXT, close_body

from .support import common, connection, expect_failure, feed, state

TOP_BIT = ("§5.2: in a 64-bit length, the most significant bit MUST be 0. Refuse a length with its top bit set "
           "with 1002 (a protocol error), before comparing the length with the size limit.")


def check_protocol_errors(ctx: Context) -> None:
    long_ping = wire.header(PING, 126, masked=True) + MASK_KEY + bytes(126)
    top_bit = wire.header(BINARY, (1 << 63) | 5, masked=True) + MASK_KEY + bytes(5)
    cases = [
        ("an unmasked text frame from the client", wire.wire(TEXT, b"hi", key=None), "§5.1: client frames must be masked", ""),
        ("a frame with RSV1 set", wire.wire(TEXT, b"hi", rsv=4), "§5.2: RSV bits must be 0 without an extension", ""),
        ("a frame with RSV2 set", wire.wire(TEXT, b"hi", rsv=2), "§5.2", ""),
        ("a frame with RSV3 set", wire.wire(BINARY, b"hi", rsv=1), "§5.2", ""),
        ("opcode 0x3 (reserved)", wire.wire(0x3, b"hi"), "§5.2: reserved opcodes", ""),
        ("opcode 0xB (reserved control)", wire.wire(0xB, b""), "§5.2: reserved opcodes", ""),
        ("a fragmented Ping (FIN=0)", wire.wire(PING, b"hi", fin=False), "§5.5: control frames must not be fragmented", ""),
        ("a Ping with a 126-byte payload", long_ping, "§5.5: control frames carry at most 125 bytes", ""),
        ("a 64-bit length with its most significant bit set", top_bit, "§5.2", TOP_BIT),
        ("a continuation frame with nothing to continue", wire.wire(CONT, b"orphan"), "§5.4", ""),
        ("a new text frame in the middle of a fragmented message", wire.wire(TEXT, b"a", fin=False) + wire.wire(TEXT, b"b"),
         "§5.4: messages do not interleave", ""),
        ("a Close frame with a 1-byte body", wire.wire(CLOSE, b"\x03"), "§5.5.1: a code is 2 bytes", ""),
        ("a Close frame with code 1005 (never sent on the wire)", wire.wire(CLOSE, close_body(1005)), "§7.4.1", ""),
        ("a Close frame with code 999", wire.wire(CLOSE, close_body(999)), "§7.4.2", ""),
    ]
    for what, data, rule, advice in cases:
        expect_failure(ctx, 1002, what, data, rule, advice)
    ctx.step("a message before a bad frame is still delivered")
    conn = connection(ctx)
    events, _ = feed(ctx, conn, wire.wire(TEXT, b"fine"), "a valid message")
    # The bad frame's first two bytes, one at a time: RSV bits in byte 0, then byte 1. Failing on
    # byte 0 alone or once bytes 0 and 1 are in are both right; waiting for more is not.
    feed(ctx, conn, [bytes([0xF1]), bytes([0x82])], "the first two bytes of a frame with RSV bits set")
    if events != [common().Message("fine")] or state(conn) != "CLOSED":
        raise CheckFailed(f"A valid message, then the two first bytes of a frame with RSV bits set: events {events}, "
                          f"state {state(conn)}; expected [Message('fine')] then CLOSED after a Close 1002. Raise as soon "
                          "as bytes 0 and 1 have arrived: the rest of that frame may never come.")


def check_invalid_utf8(ctx: Context) -> None:
    cases = [
        ("a text frame with bytes ff fe (never valid UTF-8)", wire.wire(TEXT, b"\xff\xfe")),
        ("a text frame with a UTF-16 surrogate encoded in UTF-8 (ed a0 80)", wire.wire(TEXT, b"ok\xed\xa0\x80")),
        ("a text message whose last fragment ends in the middle of a character",
         wire.wire(TEXT, b"caf", fin=False) + wire.wire(CONT, b"\xc3")),
        ("a Close frame whose reason is not UTF-8", wire.wire(CLOSE, close_body(1000) + b"\xc0\xaf")),
    ]
    for what, data in cases:
        expect_failure(ctx, 1007, what, data, "§8.1 and §7.4.1: text must be valid UTF-8; 1007 = invalid payload data",
                       "Decode with payload.decode('utf-8') inside try/except UnicodeDecodeError and raise "
                       "ProtocolError(CLOSE_INVALID_DATA, ...) from the except.")
    ctx.step("invalid bytes in a *binary* message are fine")
    conn = connection(ctx)
    events, sent = feed(ctx, conn, wire.wire(BINARY, b"\xff\xfe"), "a binary frame with bytes ff fe")
    if events != [common().Message(b"\xff\xfe")] or sent:
        raise CheckFailed(f"A binary frame b'\\xff\\xfe' gave {events} and sent {wire.describe(sent)}; "
                          "binary messages are bytes and are never decoded.")


def check_message_too_big(ctx: Context) -> None:
    limit = 1000
    ctx.step(f"a message of exactly max_message_size={limit} bytes is accepted")
    conn = connection(ctx, max_message_size=limit)
    events, sent = feed(ctx, conn, wire.wire(BINARY, bytes(limit)), f"a {limit}-byte message")
    if events != [common().Message(bytes(limit))] or sent:
        raise CheckFailed(f"Connection(max_message_size={limit}) fed a binary message of exactly {limit} bytes returned {events!r:.120} "
                          f"and sent {wire.describe(sent)}; expected [Message(<those {limit} bytes>)] and nothing sent (the limit is inclusive).")
    ctx.step(f"three messages of 400 bytes each, one after the other (max_message_size={limit})")
    conn = connection(ctx, max_message_size=limit)
    stream = b"".join(wire.wire(TEXT, b"y" * 200, fin=False) + wire.wire(CONT, b"y" * 200) for _ in range(3))
    events, sent = feed(ctx, conn, stream, f"three 400-byte messages in a row (max_message_size={limit})")
    if events != [common().Message("y" * 400)] * 3 or sent:
        raise CheckFailed(
            f"Connection(max_message_size={limit}) fed three 400-byte text messages (each in two fragments) returned "
            f"{len(events)} event(s) {events!r:.120} and sent {wire.describe(sent)}; expected three Messages and nothing sent.\n"
            "The limit is per message: the size counter must start again at 0 for each message. Reset it when a "
            "message completes, together with the fragments."
        )
    expect_failure(ctx, 1009, f"a {limit + 1}-byte frame with max_message_size={limit}", wire.wire(TEXT, b"x" * (limit + 1)),
                   "§7.4.1: 1009 = message too big", max_message_size=limit)
    expect_failure(ctx, 1009, f"only the header of a 2**40-byte frame (max_message_size={limit})",
                   wire.header(BINARY, 1 << 40, masked=True) + MASK_KEY,
                   "refuse it from the header alone, before buffering a terabyte", max_message_size=limit)
    expect_failure(ctx, 1009, f"three fragments of 400 bytes (1200 in all, max_message_size={limit})",
                   wire.wire(TEXT, b"x" * 400, fin=False) + wire.wire(CONT, b"x" * 400, fin=False) + wire.wire(CONT, b"x" * 400),
                   "the limit applies to the whole reassembled message", max_message_size=limit)


FLOOD = 100_000  # empty continuation frames in the attack (600 KB on the wire)
BOUND = ("Each fragment kept costs memory, even an empty one, so the fragment past max_fragments fails the "
         "connection however small it is. What bounds the number of a message's fragments, as max_message_size "
         "bounds its bytes? " + see("03", "Security: what an attacker tried"))


def check_fragment_flood(ctx: Context) -> None:
    ws = common()
    limit = 8
    ctx.step(f"a text message in exactly max_fragments={limit} fragments, with a Ping between two of them")
    conn = connection(ctx, max_fragments=limit)
    stream = wire.wire(TEXT, b"ab", fin=False) + wire.wire(PING, b"?")
    stream += b"".join(wire.wire(CONT, b"ab", fin=i == limit - 2) for i in range(limit - 1))
    events, sent = feed(ctx, conn, stream, f"a message in {limit} fragments (max_fragments={limit})")
    if events != [ws.Ping(b"?"), ws.Message("ab" * limit)] or state(conn) != "OPEN":
        raise CheckFailed(
            f"Connection(max_fragments={limit}) fed a text message in exactly {limit} fragments (a Ping after the first) "
            f"returned {events!r:.160}, sent {wire.describe(sent)}, state {state(conn)}; expected [Ping(b'?'), "
            f"Message({'ab' * limit!r})] and the connection still OPEN.\nThe limit is inclusive, and a control frame "
            "between fragments is not a fragment of the message."
        )
    ctx.step(f"three messages of {limit} fragments each, one after the other")
    conn = connection(ctx, max_fragments=limit)
    one = b"".join(wire.wire(BINARY if i == 0 else CONT, b"z", fin=i == limit - 1) for i in range(limit))
    events, sent = feed(ctx, conn, one * 3, f"three messages of {limit} fragments (max_fragments={limit})")
    if events != [ws.Message(b"z" * limit)] * 3 or sent:
        raise CheckFailed(f"Connection(max_fragments={limit}) fed three binary messages of {limit} one-byte fragments returned "
                          f"{len(events)} event(s) {events!r:.120} and sent {wire.describe(sent)}; expected three Messages and "
                          "nothing sent. The bound is per message: the count starts again with each message.")
    for what, payload in (("empty", b""), ("one-byte", b"x")):
        flood = wire.wire(TEXT, payload, fin=False) + wire.wire(CONT, payload, fin=False) * limit
        expect_failure(ctx, 1009, f"a text frame with FIN=0, then {limit} {what} continuation frames (max_fragments={limit})",
                       flood, f"§10.4 and §7.4.1: {limit + 1} fragments are one too many; 1009 = message too big", BOUND,
                       max_fragments=limit)
    ctx.step(f"the attack: a text frame with FIN=0, then {FLOOD:,} empty continuation frames (default limits)")
    conn = connection(ctx)
    data = wire.wire(TEXT, b"", fin=False) + wire.wire(CONT, b"", fin=False) * FLOOD
    _, sent = feed(ctx, conn, [data[i : i + 65536] for i in range(0, len(data), 65536)], f"{FLOOD:,} empty fragments")
    codes = [wire.close_code(p) for op, _f, p in sent if op == CLOSE]
    if codes != [1009] or state(conn) != "CLOSED":
        raise CheckFailed(
            f"After a text frame with FIN=0 and {FLOOD:,} empty continuation frames, your Connection sent "
            f"{wire.describe(sent)} and is {state(conn)}; expected one Close 1009 and state CLOSED (after "
            f"max_fragments={getattr(conn, 'max_fragments', '?')} fragments).\nThe size limit counts bytes, and these "
            f"fragments carry none: without a bound on their number, this message grows memory for ever. {BOUND}"
        )
