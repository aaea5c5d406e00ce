"""The inputs of ``fuzz_decoder``: what Hypothesis generates for its two properties, kept in a file.

With a fixed seed Hypothesis generates the same examples on every run: the engine's choices
before a failure do not depend on what the test does, only on the seed, the strategies, the
settings, Hypothesis's version and the constants it finds in the source of the project's
imported modules (it draws one now and then). So grading every save with a live Hypothesis run
spent 0.6 CPU seconds generating inputs that were known in advance; the learner's decoder took a
few milliseconds of it. The check now replays them from ``fuzz_corpus.json.gz``; only when one
fails does it run Hypothesis, with the same seed and settings, which reaches the same failing
example and shrinks it to its shortest input. (Gzipped: the examples are mostly runs of zero
bytes, 74 KiB of JSON that compress to 3 KiB.)

Both runs leave the modules' constants out (``no_local_constants``), so that the file does not
depend on which of our modules a process had imported. The cost: the live run used to draw, now
and then, a constant from the learner's own ``frames.py``; the strategies name the lengths that
matter (125, 126, 127, 4096 and the 16-bit and 64-bit headers) themselves.

Rebuild the file after changing a strategy, the settings or the pinned Hypothesis::

    python -m checker.checks.ex03_websocket_handshake.fuzz_corpus --write

``tests/test_03_fuzz_corpus.py`` fails while the file differs from what the pinned Hypothesis
generates.
"""

from __future__ import annotations

import contextlib
import gzip
import json
import sys
from pathlib import Path

from checker.probes.wire import BINARY, CLOSE, CONT, PING, PONG, TEXT

EXAMPLES = 150
SEED = 6455  # any fixed number; the same for the recorded run and the shrinking one
CORPUS = Path(__file__).with_name("fuzz_corpus.json.gz")
#: The properties, by the name the check's steps use.
RANDOM, VALID = "random bytes cut at random points", "valid frames cut at random points"


def settings():
    from hypothesis import HealthCheck, Verbosity
    from hypothesis import settings as hypothesis_settings

    # report_multiple_bugs=False: after a failure, shrink that one (a second kind would end in an ExceptionGroup).
    return hypothesis_settings(max_examples=EXAMPLES, deadline=None, database=None, derandomize=True,
                               verbosity=Verbosity.quiet, print_blob=False, suppress_health_check=list(HealthCheck),
                               report_multiple_bugs=False)


def strategies() -> dict:
    """Each property's arguments as Hypothesis strategies: ``{name: (strategy, ...)}``."""
    from hypothesis import strategies as st

    # Random bytes, often starting with a plausible header (a known opcode, a 125/126/127 length),
    # cut often within the first dozen bytes, where the extended length and the masking key live.
    first = st.sampled_from([0x00, 0x01, 0x02, 0x80, 0x81, 0x82, 0x88, 0x89, 0x8A])
    second = st.sampled_from([0x7D, 0x7E, 0x7F, 0xFD, 0xFE, 0xFF])
    streams = st.builds(lambda b0, b1, rest: bytes([b0, b1]) + rest, first, second, st.binary(max_size=300)) | st.binary(max_size=300)
    # Valid frames as (opcode, payload, fin, masking key), cut anywhere.
    keys = st.binary(min_size=4, max_size=4)
    data_frames = st.tuples(st.sampled_from([TEXT, BINARY, CONT]),
                            st.binary(max_size=130) | st.sampled_from([126, 127, 300, 4096]).map(bytes), st.booleans(), keys)
    control_frames = st.tuples(st.sampled_from([PING, PONG, CLOSE]), st.binary(max_size=125), st.just(True), keys)
    return {
        RANDOM: (streams, st.lists(st.integers(0, 12) | st.integers(0, 302), max_size=6)),
        VALID: (st.lists(data_frames | control_frames, min_size=1, max_size=5),
                st.lists(st.integers(0, 12) | st.integers(0, 5000), max_size=8)),
    }


def run(name: str, body) -> None:
    """Run the property ``name`` under Hypothesis with ``body(first, cuts)`` as its test: the one way
    both the recording run and the shrinking run are made, so they draw the same examples in order."""
    from hypothesis import given, seed

    test = seed(SEED)(settings()(given(*strategies()[name])(body)))
    with no_local_constants():
        test()


def generate() -> dict:
    """Run each property once with a body that records its arguments: the examples, in order."""
    return {name: _examples(name) for name in (RANDOM, VALID)}


def _examples(name: str) -> list:
    seen: list = []

    def record(first, cuts):
        seen.append(_encode(name, first, cuts))

    run(name, record)
    return [json.loads(case) for case in dict.fromkeys(json.dumps(case) for case in seen)]


@contextlib.contextmanager
def no_local_constants():
    """Hypothesis without the constants of the project's own modules (an internal of the pinned
    version; ``tests/test_03_fuzz_corpus.py`` fails if that changes)."""
    from hypothesis.internal.conjecture import providers

    found, cache = providers._get_local_constants, providers.CONSTANTS_CACHE.cache
    providers._get_local_constants = providers.Constants
    cache.clear()
    try:
        yield
    finally:
        providers._get_local_constants = found
        cache.clear()


def load() -> dict[str, list[tuple]]:
    """The shipped examples, decoded back into the properties' arguments."""
    raw = json.loads(gzip.decompress(CORPUS.read_bytes()))
    return {name: [_decode(name, case) for case in raw["examples"][name]] for name in (RANDOM, VALID)}


def _encode(name: str, first, cuts) -> list:
    if name == RANDOM:
        return [first.hex(), list(cuts)]
    return [[[opcode, payload.hex(), fin, key.hex()] for opcode, payload, fin, key in first], list(cuts)]


def _decode(name: str, case: list) -> tuple:
    first, cuts = case
    if name == RANDOM:
        return bytes.fromhex(first), cuts
    return [(opcode, bytes.fromhex(payload), fin, bytes.fromhex(key)) for opcode, payload, fin, key in first], cuts


def document(corpus: dict) -> str:
    import hypothesis

    return json.dumps({"hypothesis": hypothesis.__version__, "max_examples": EXAMPLES, "examples": corpus},
                      separators=(",", ":")) + "\n"


def main(argv: list[str]) -> int:
    text = document(generate())
    if "--write" in argv:
        CORPUS.write_bytes(gzip.compress(text.encode("utf-8"), mtime=0))  # mtime=0: the same bytes every time
        print(f"wrote {CORPUS} ({CORPUS.stat().st_size // 1024} KiB)")
        return 0
    same = CORPUS.exists() and gzip.decompress(CORPUS.read_bytes()).decode("utf-8") == text
    print(f"{CORPUS.name} is {'up to date' if same else 'out of date: run with --write'}")
    return 0 if same else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
