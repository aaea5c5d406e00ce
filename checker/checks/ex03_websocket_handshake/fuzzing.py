"""Ring "functions", properties of the decoder found by hypothesis: ``frames.py``.

- ``fuzz_decoder``: random bytes cut anywhere raise nothing but ProtocolError; valid frames cut
  anywhere decode to the same frames.

The inputs are those Hypothesis generates for these properties (``fuzz_corpus``): replayed from a
file, because with a fixed seed they are the same on every run. When one fails, Hypothesis runs the
property for real, with the same seed, and shrinks the failure to its shortest input.
"""

from __future__ import annotations

import shutil
import tempfile

from checker.api import CheckFailed, Context
from checker.probes import wire

from .support import common, drain, frames_str, learner_line


def check_fuzz_decoder(ctx: Context) -> None:
    from . import fuzz_corpus

    frames = ctx.import_learner("frames")
    ctx.step("a first FrameDecoder call")
    decoder = frames.FrameDecoder(expect_masked=True, max_payload=4096)
    decoder.feed(wire.wire(wire.TEXT, b"warm-up"))
    drain(decoder)
    properties = {fuzz_corpus.RANDOM: _random_bytes, fuzz_corpus.VALID: _split_valid}
    for name, examples in fuzz_corpus.load().items():
        ctx.step(f"{name}: the {len(examples)} examples hypothesis generates")
        for first, cuts in examples:
            found = properties[name](ctx, frames, first, cuts)
            if found:
                ctx.step(f"hypothesis: shrinking a failing example of '{name}'")
                raise CheckFailed(_shrunk(ctx, frames, name, properties[name]) or found)


def _random_bytes(ctx: Context, frames, data: bytes, cuts) -> str | None:
    """Random bytes fed in pieces: the problem, or None when only ProtocolError was raised."""
    points = _points(cuts, len(data))
    try:
        _run(frames, data, points)
    except common().ProtocolError:
        pass
    except CheckFailed:
        raise
    except Exception as exc:  # noqa: BLE001 - the property under test
        return _crash(ctx, exc, data, points[1:-1])
    return None


def _split_valid(ctx: Context, frames, specs, cuts) -> str | None:
    """Valid frames (opcode, payload, fin, key) fed in pieces: the problem, or None when they decode."""
    want = [common().Frame(opcode, payload, fin) for opcode, payload, fin, _ in specs]
    data = b"".join(wire.wire(opcode, payload, fin=fin, key=key) for opcode, payload, fin, key in specs)
    points = _points(cuts, len(data))
    try:
        got = _run(frames, data, points)
    except CheckFailed:
        raise
    except Exception as exc:  # noqa: BLE001 - the property under test
        return _crash(ctx, exc, data, points[1:-1])
    if got != want:
        return (f"FrameDecoder fed {len(want)} valid frames ({wire.short(data, 30)}) cut at {points[1:-1]} yielded "
                f"{frames_str(got)}; expected {want}. The same bytes must give the same frames however TCP cuts them.")
    return None


def _shrunk(ctx: Context, frames, name: str, prop) -> str | None:
    """Run the property under Hypothesis: the message for the shortest failing input it finds, if any."""
    from hypothesis.configuration import set_hypothesis_home_dir
    from hypothesis.errors import HypothesisException

    from . import fuzz_corpus

    found: list[str] = []

    def test(first, cuts):
        message = prop(ctx, frames, first, cuts)
        if message:
            found[:] = [message]
            raise AssertionError(message)

    # Hypothesis caches what it learns in a folder; keep it out of the learner's repository.
    home = tempfile.mkdtemp(prefix="ex03-hypothesis-")
    set_hypothesis_home_dir(home)
    try:
        fuzz_corpus.run(name, test)  # as the examples were recorded: the same ones, in order
    except AssertionError:
        return found[0] if found else None
    except (HypothesisException, BaseExceptionGroup):  # e.g. a decoder sharing state between instances is flaky
        return None  # the replayed example's message, unshrunk
    finally:
        shutil.rmtree(home, ignore_errors=True)
    return None


def _crash(ctx: Context, exc: BaseException, data: bytes, cuts) -> str:
    return (f"FrameDecoder(expect_masked=True, max_payload=4096) fed {wire.short(data, 40)} (cut at {list(cuts)}) "
            f"raised {type(exc).__name__}: {exc}{learner_line(ctx, exc)}\nIt must raise only ProtocolError (with a close "
            "code) for bad input, and return None while a frame is incomplete (check the buffer's length before reading each field).")


def _run(frames, data: bytes, points: list[int]) -> list:
    decoder = frames.FrameDecoder(expect_masked=True, max_payload=4096)
    got = []
    for a, b in zip(points, points[1:]):
        decoder.feed(data[a:b])
        got += drain(decoder)
    return got


def _points(cuts, length: int) -> list[int]:
    return sorted({c for c in cuts if c <= length} | {0, length})
