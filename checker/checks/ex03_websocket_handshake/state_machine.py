"""Ring "functions", the connection's state machine (RFC 6455 §5.4, §5.5, §7): ``connection.py``.

- ``fragmentation``: fragments joined into one message, control frames handled between them.
- ``ping_pong``: a Ping is answered by a Pong with the same payload; a Pong needs no answer.
- ``close_handshake``: the client closes, or the server does; one Close each way, then CLOSED.
"""

from __future__ import annotations

from checker.api import CheckFailed, Context
from checker.probes import wire
from checker.probes.wire import BINARY, CLOSE, CONT, PING, PONG, TEXT, close_body

from .support import close_codes, common, connection, feed, state


def check_fragmentation(ctx: Context) -> None:
    ws = common()
    ctx.step("a text message in three fragments, with a Ping and a Pong between them (§5.4)")
    conn = connection(ctx)
    stream = [wire.wire(TEXT, b"Hello, ", fin=False), wire.wire(PING, b"are you there?"), wire.wire(CONT, b"wor", fin=False),
              wire.wire(PONG, b"unsolicited"), wire.wire(CONT, b"ld!")]
    events, sent = feed(ctx, conn, stream, "three fragments with a Ping and a Pong between them")
    want = [ws.Ping(b"are you there?"), ws.Pong(b"unsolicited"), ws.Message("Hello, world!")]
    if events != want:
        raise CheckFailed(
            f"Fed TEXT 'Hello, ' (FIN=0), PING, CONT 'wor' (FIN=0), PONG, CONT 'ld!' (FIN=1), receive_data() returned {events};\n"
            f"expected {want}. RFC 6455 §5.4: control frames may come in the middle of a fragmented message and are "
            "handled at once; the data fragments are joined into one message when the FIN=1 fragment arrives."
        )
    if [(op, p) for op, _f, p in sent] != [(PONG, b"are you there?")]:
        raise CheckFailed(f"During that fragmented message your Connection sent {wire.describe(sent)}; expected one PONG b'are you there?'.")
    ctx.step("a binary message of 5 fragments fed one byte at a time")
    conn = connection(ctx)
    parts = [bytes([i]) * (i * 50) for i in range(1, 6)]
    stream = b"".join(wire.wire(BINARY if i == 0 else CONT, p, fin=i == 4) for i, p in enumerate(parts))
    events, _ = feed(ctx, conn, [stream[i : i + 1] for i in range(len(stream))], "a fragmented binary message fed byte by byte")
    if events != [ws.Message(b"".join(parts))]:
        raise CheckFailed(f"A binary message in 5 fragments (750 bytes) fed one byte at a time gave {events!r:.300}; "
                          "expected one Message with the 750 bytes (bytes, not str).")
    ctx.step("'é' split between two fragments")
    per_fragment = ("Decode UTF-8 once the whole message has arrived (on the joined fragments), not fragment by "
                    "fragment: one character may be split between two fragments (§5.6).")
    conn = connection(ctx)
    events, _ = feed(ctx, conn, wire.wire(TEXT, "caf".encode() + b"\xc3", fin=False) + wire.wire(CONT, b"\xa9"),
                     "'café' with 'é' split across two fragments", per_fragment)
    if events != [ws.Message("café")]:
        raise CheckFailed(f"'café' with the two bytes of 'é' in two fragments gave {events}; expected [Message('café')]. {per_fragment}")
    ctx.step("two messages back to back after a fragmented one")
    events, _ = feed(ctx, conn, wire.wire(TEXT, b"a", fin=False) + wire.wire(CONT, b"b") + wire.wire(BINARY, b"c"),
                     "a fragmented message followed by another")
    if events != [ws.Message("ab"), ws.Message(b"c")]:
        raise CheckFailed(f"'a'+'b' in two fragments, then a binary b'c', gave {events}; expected [Message('ab'), Message(b'c')]. "
                          "Reset the fragment buffer (and the message's opcode) after each message.")


def check_ping_pong(ctx: Context) -> None:
    ws = common()
    for payload in (b"", b"ping!", bytes(range(125))):
        ctx.step(f"a Ping with a {len(payload)}-byte payload")
        conn = connection(ctx)
        events, sent = feed(ctx, conn, wire.wire(PING, payload), f"a Ping with {len(payload)} bytes")
        if [(op, p) for op, _f, p in sent] != [(PONG, payload)]:
            raise CheckFailed(
                f"After a Ping with payload {payload[:20]!r} ({len(payload)} bytes) your Connection sent {wire.describe(sent)}.\n"
                "RFC 6455 §5.5.2-§5.5.3: answer a Ping with a Pong (opcode 0xA) whose payload is the Ping's payload."
            )
        if events != [ws.Ping(payload)] or state(conn) != "OPEN":
            raise CheckFailed(f"After a Ping, receive_data() returned {events} (state {state(conn)}); "
                              f"expected [Ping({payload[:20]!r})] and the connection still OPEN.")
    ctx.step("a Pong from the client")
    conn = connection(ctx)
    events, sent = feed(ctx, conn, wire.wire(PONG, b"pong"), "a Pong")
    if events != [ws.Pong(b"pong")] or sent:
        raise CheckFailed(f"After a Pong, receive_data() returned {events} and the connection sent {wire.describe(sent)}; "
                          "expected [Pong(b'pong')] and nothing sent (§5.5.3: a Pong needs no answer).")


def check_close_handshake(ctx: Context) -> None:
    ws = common()
    ctx.step("the client closes with 1000 'bye'")
    conn = connection(ctx)
    events, sent = feed(ctx, conn, wire.wire(TEXT, b"last words") + wire.wire(CLOSE, close_body(1000, "bye")),
                        "a message then Close 1000 'bye'")
    if events != [ws.Message("last words"), ws.CloseReceived(1000, "bye")]:
        raise CheckFailed(f"Fed a text message then Close(1000, 'bye'), receive_data() returned {events}; "
                          "expected [Message('last words'), CloseReceived(1000, 'bye')].")
    if close_codes(sent) != [1000] or state(conn) != "CLOSED":
        raise CheckFailed(
            f"After the client's Close 1000, your Connection sent {wire.describe(sent)} and is {state(conn)}.\n"
            "RFC 6455 §5.5.1: answer with one Close frame echoing the code (1000), then the state is CLOSED "
            "(the server closes the TCP connection, §7.1.1)."
        )
    events, sent = feed(ctx, conn, wire.wire(TEXT, b"too late"), "a message after the close handshake")
    if events or sent:
        raise CheckFailed(f"After the close handshake, a late message gave events {events} and sent {wire.describe(sent)}; "
                          "a CLOSED connection ignores input (receive_data returns []).")
    ctx.step("the client closes with 4000 and with an empty Close")
    for body, code, reply in ((close_body(4000, "app"), 4000, {4000}), (b"", 1005, {None, 1000})):
        conn = connection(ctx)
        events, sent = feed(ctx, conn, wire.wire(CLOSE, body), f"Close with body {body!r}")
        codes = close_codes(sent)
        if events != [ws.CloseReceived(code, body[2:].decode())] or len(codes) != 1 or codes[0] not in reply or state(conn) != "CLOSED":
            answers = " or ".join("empty" if r is None else str(r) for r in sorted(reply, key=str))
            raise CheckFailed(
                f"For a Close frame with body {body!r}, receive_data() returned {events}, the connection sent "
                f"{wire.describe(sent)} and is {state(conn)}.\n"
                f"Expected [CloseReceived({code}, {body[2:].decode()!r})], one Close frame back ({answers}), state CLOSED. "
                "An empty Close body means 'no status code', reported as 1005 (§7.1.5), which is never sent back."
            )
    ctx.step("the server starts the close: close(1001, 'going away'), then the client answers")
    conn = connection(ctx)
    conn.close(1001, "going away")
    try:
        sent = wire.read_frames(bytes(conn.data_to_send()))
    except ValueError as exc:
        raise CheckFailed(f"after close(1001, 'going away'), data_to_send() is not a frame: {exc}") from None
    if [(op, p) for op, _f, p in sent] != [(CLOSE, close_body(1001, "going away"))] or state(conn) != "CLOSING":
        raise CheckFailed(
            f"close(1001, 'going away') sent {wire.describe(sent)} and left state {state(conn)}; expected one Close frame "
            "(code 1001 as 2 big-endian bytes, then the UTF-8 reason, §5.5.1) and state CLOSING (waiting for the client's Close)."
        )
    events, sent = feed(ctx, conn, wire.wire(CLOSE, close_body(1001)), "the client's Close answering ours")
    if events != [ws.CloseReceived(1001, "")] or sent or state(conn) != "CLOSED":
        raise CheckFailed(
            f"When the client answered our Close, receive_data() returned {events}, sent {wire.describe(sent)}, state {state(conn)}; "
            "expected [CloseReceived(1001, '')], nothing sent (our Close is already out; never send two) and state CLOSED."
        )
