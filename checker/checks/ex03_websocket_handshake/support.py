"""What the sans-I/O checks of lesson 03 share: the given types, and feeding bytes to a Connection.

The bytes fed are built by the oracle ``checker.probes.wire``, never by the learner's
``encode_frame``; what the Connection sends back is read by that oracle too.
"""

from __future__ import annotations

import struct

from checker.api import CheckFailed, Context
from checker.expect import see
from checker.probes import wire
from workshop import learner as learner_support


def common():
    """``ws_common``: scaffolding in lessons/03-websocket-handshake, on ``sys.path`` while grading."""
    import ws_common

    return ws_common


def frame_str(frame) -> str:
    """A learner's frame, however broken, for a message."""
    opcode = getattr(frame, "opcode", "?")
    payload = getattr(frame, "payload", b"")
    shown = payload if len(payload) <= 12 else payload[:12] + b"..."
    return f"Frame(opcode={opcode!r}, fin={getattr(frame, 'fin', '?')!r}, payload={shown!r} [{len(payload)} bytes])"


def frames_str(frames) -> str:
    return "[" + ", ".join(frame_str(f) for f in frames) + "]"


def learner_line(ctx: Context, exc: BaseException) -> str:
    """``"\\n<file>, line N, in f\\n    code"`` for the learner's line that raised, or ``""``."""
    frame = learner_support.learner_frame(exc.__traceback__, ctx.exercise_dir)
    return f"\n{learner_support.describe_frame(frame)}" if frame else ""


def drain(decoder) -> list:
    """Every frame ``next_frame()`` returns now (until ``None``)."""
    frames = []
    while True:
        frame = decoder.next_frame()
        if frame is None:
            return frames
        frames.append(frame)
        if len(frames) > 10_000:
            raise CheckFailed("next_frame() keeps returning frames from a finite input: does it remove a frame's bytes from the buffer?")


def decode(ctx: Context, frames_module, data: bytes, chunk: int, *, masked: bool = True, max_payload: int = 1 << 20) -> list:
    """Feed ``data`` to a new FrameDecoder in pieces of ``chunk`` bytes; every frame it returns.

    An IndexError or struct.error means a field was read before its bytes had arrived: that
    mistake is named, with the learner's line.
    """
    decoder = frames_module.FrameDecoder(expect_masked=masked, max_payload=max_payload)
    out = []
    for i in range(0, len(data), chunk):
        decoder.feed(data[i : i + chunk])
        try:
            out += drain(decoder)
        except (IndexError, struct.error) as exc:
            raise CheckFailed(
                f"FrameDecoder fed {wire.short(data, 14)} in pieces of {chunk} byte(s) raised {type(exc).__name__}: {exc} "
                f"after {min(i + chunk, len(data))} bytes had arrived.{learner_line(ctx, exc)}\n"
                "A field was read before its bytes had arrived. Expected: the decoder waits (returns None, keeping "
                "the bytes) until the extended length, the masking key and the payload are all there. "
                + see("03", "Frames (§5.2)")
            ) from None
    return out


def connection(ctx: Context, **kwargs):
    return ctx.import_learner("connection").Connection(**kwargs)


def state(conn) -> str:
    value = getattr(conn, "state", None)
    return getattr(value, "name", str(value))


def feed(ctx: Context, conn, data: bytes | list[bytes], what: str, advice: str = "") -> tuple[list, list]:
    """Feed ``data`` (at once, or a list of chunks); return (events, frames the connection sent)."""
    events = []
    for chunk in data if isinstance(data, list) else [data]:
        try:
            got = conn.receive_data(chunk)
        except NotImplementedError:
            raise
        except common().ProtocolError as exc:
            raise CheckFailed(
                f"receive_data() raised ProtocolError({exc.code}, {exc.reason!r}) for {what}.\n"
                "The connection must not raise for anything the client sends. Expected: it answers the broken "
                "rule with a Close frame carrying that code, and returns the events so far. "
                + see("03", "The close handshake and codes (§5.5.1, §7)")
            ) from None
        except Exception as exc:  # noqa: BLE001 - named with the learner's line
            raise CheckFailed(f"receive_data() raised {type(exc).__name__}: {exc} for {what}.{learner_line(ctx, exc)}"
                              + (f"\n{advice}" if advice else "")) from None
        if not isinstance(got, (list, tuple)):
            raise CheckFailed(f"receive_data() returned {got!r:.80} for {what}; it must return a list of events "
                              "(an empty list when the bytes completed nothing).")
        events += list(got)
    out = conn.data_to_send()
    try:
        sent = wire.read_frames(bytes(out))
    except ValueError as exc:
        raise CheckFailed(f"after {what}, data_to_send() returned bytes that are not server frames ({exc}): {wire.short(bytes(out))}") from None
    return events, sent


def close_codes(sent) -> list[int | None]:
    return [wire.close_code(payload) for opcode, _fin, payload in sent if opcode == wire.CLOSE]


def expect_failure(ctx: Context, code: int, what: str, data, rule: str, advice: str = "", **kwargs) -> None:
    """Feeding ``data`` must end in one Close frame with ``code`` and state CLOSED."""
    ctx.step(f"feeding {what}")
    conn = connection(ctx, **kwargs)
    _, sent = feed(ctx, conn, data, what)
    codes = close_codes(sent)
    if (codes[-1] if codes else None) != code or state(conn) != "CLOSED":
        raise CheckFailed(
            f"For {what}, your Connection sent {wire.describe(sent)} and is in state {state(conn)}.\n"
            f"Expected: a Close frame with code {code} in data_to_send() and state CLOSED ({rule})."
            + (f"\n{advice}" if advice else "")
        )
