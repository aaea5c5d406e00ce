"""Ring "functions", properties of the decoder found by hypothesis: ``frames.py``.

- ``fuzz_decoder``: random bytes cut anywhere raise nothing but ProtocolError; valid frames cut
  anywhere decode to the same frames. Hypothesis shrinks a failure to its shortest input.
"""

from __future__ import annotations

import shutil
import tempfile

from checker.api import CheckFailed, Context
from checker.probes import wire
from checker.probes.wire import BINARY, CLOSE, CONT, PING, PONG, TEXT

from .support import common, drain, frames_str, learner_line

EXAMPLES = 150


def check_fuzz_decoder(ctx: Context) -> None:
    frames = ctx.import_learner("frames")
    from hypothesis import HealthCheck, Verbosity, given, settings
    from hypothesis import strategies as st
    from hypothesis.configuration import set_hypothesis_home_dir

    ctx.step("a first FrameDecoder call")
    decoder = frames.FrameDecoder(expect_masked=True, max_payload=4096)
    decoder.feed(wire.wire(TEXT, b"warm-up"))
    drain(decoder)

    found: list[str] = []
    config = settings(max_examples=EXAMPLES, deadline=None, database=None, derandomize=True, verbosity=Verbosity.quiet,
                      print_blob=False, suppress_health_check=list(HealthCheck))

    def fail(message: str):
        found[:] = [message]
        raise AssertionError(message)

    def crash(exc: BaseException, data: bytes, cuts) -> str:
        return (f"FrameDecoder(expect_masked=True, max_payload=4096) fed {wire.short(data, 40)} (cut at {list(cuts)}) "
                f"raised {type(exc).__name__}: {exc}{learner_line(ctx, exc)}\nIt must raise only ProtocolError (with a close "
                "code) for bad input, and return None while a frame is incomplete (check the buffer's length before reading each field).")

    def run(data: bytes, points: list[int]) -> list:
        decoder = frames.FrameDecoder(expect_masked=True, max_payload=4096)
        got = []
        for a, b in zip(points, points[1:]):
            decoder.feed(data[a:b])
            got += drain(decoder)
        return got

    # Random bytes, often starting with a plausible header (a known opcode, a 125/126/127 length),
    # cut often within the first dozen bytes, where the extended length and the masking key live.
    first = st.sampled_from([0x00, 0x01, 0x02, 0x80, 0x81, 0x82, 0x88, 0x89, 0x8A])
    second = st.sampled_from([0x7D, 0x7E, 0x7F, 0xFD, 0xFE, 0xFF])
    streams = st.builds(lambda b0, b1, rest: bytes([b0, b1]) + rest, first, second, st.binary(max_size=300)) | st.binary(max_size=300)

    @config
    @given(streams, st.lists(st.integers(0, 12) | st.integers(0, 302), max_size=6))
    def random_bytes(data, cuts):
        points = _points(cuts, len(data))
        try:
            run(data, points)
        except common().ProtocolError:
            pass
        except CheckFailed:
            raise
        except Exception as exc:  # noqa: BLE001 - the property under test
            fail(crash(exc, data, points[1:-1]))

    def frame_and_bytes(opcode, payload, fin, key):
        return common().Frame(opcode, payload, fin), wire.wire(opcode, payload, fin=fin, key=key)

    keys = st.binary(min_size=4, max_size=4)
    data_frames = st.builds(frame_and_bytes, st.sampled_from([TEXT, BINARY, CONT]),
                            st.binary(max_size=130) | st.sampled_from([126, 127, 300, 4096]).map(bytes), st.booleans(), keys)
    control_frames = st.builds(frame_and_bytes, st.sampled_from([PING, PONG, CLOSE]), st.binary(max_size=125), st.just(True), keys)

    @config
    @given(st.lists(data_frames | control_frames, min_size=1, max_size=5), st.lists(st.integers(0, 12) | st.integers(0, 5000), max_size=8))
    def split_valid(pairs, cuts):
        want = [f for f, _ in pairs]
        data = b"".join(w for _, w in pairs)
        points = _points(cuts, len(data))
        try:
            got = run(data, points)
        except CheckFailed:
            raise
        except Exception as exc:  # noqa: BLE001 - the property under test
            fail(crash(exc, data, points[1:-1]))
        if got != want:
            fail(f"FrameDecoder fed {len(want)} valid frames ({wire.short(data, 30)}) cut at {points[1:-1]} yielded "
                 f"{frames_str(got)}; expected {want}. The same bytes must give the same frames however TCP cuts them.")

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


def _points(cuts, length: int) -> list[int]:
    return sorted({c for c in cuts if c <= length} | {0, length})
