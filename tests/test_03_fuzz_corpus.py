"""Lesson 03's fuzz_decoder: the examples it replays are Hypothesis's, and a failure is still shrunk."""

from __future__ import annotations

import gzip
import re
import shutil
import sys
import tomllib

from checker import catalog, runner
from checker.checks.ex03_websocket_handshake import fuzz_corpus
from checker.pipeline import Status
from workshop import paths

SLUG = "03-websocket-handshake"


def test_the_shipped_examples_are_what_the_pinned_hypothesis_generates():
    import hypothesis

    pinned = re.search(r'"hypothesis==([^"]+)"', (paths.REPO_ROOT / "pyproject.toml").read_text()).group(1)
    assert hypothesis.__version__ == pinned
    # Generated here, in a process that has imported many of the project's modules: Hypothesis draws
    # constants from those, unless fuzz_corpus.generate keeps them out (as it must).
    assert "checker.runner" in sys.modules
    shipped = gzip.decompress(fuzz_corpus.CORPUS.read_bytes()).decode("utf-8")
    assert shipped == fuzz_corpus.document(fuzz_corpus.generate()), (
        "python -m checker.checks.ex03_websocket_handshake.fuzz_corpus --write")
    examples = fuzz_corpus.load()
    assert all(len(examples[name]) > 0.9 * fuzz_corpus.EXAMPLES for name in (fuzz_corpus.RANDOM, fuzz_corpus.VALID))


def _grade_fuzz(folder):
    lesson = catalog.find(catalog.load(), "03")
    return runner._grade_checks(lesson, folder / SLUG, ["fuzz_decoder"], fork=False)["fuzz_decoder"]


def test_a_failing_example_is_found_and_shrunk_to_its_shortest_input(tmp_path):
    shutil.copytree(paths.SOLUTIONS / SLUG, tmp_path / SLUG)
    frames = tmp_path / SLUG / "frames.py"
    # The decoder forgets to unmask the payload.
    mutation = next(m for m in tomllib.loads((paths.REPO_ROOT / "tests/mutations/03.toml").read_text())["mutation"]
                    if m["why"] == "forgetting to unmask the payload")
    frames.write_text(frames.read_text().replace(mutation["find"], mutation["replace"]))
    result = _grade_fuzz(tmp_path)
    assert result.status is Status.FAIL
    # Shrunk: one frame, uncut, of 4 payload bytes (the fewest that show a key) under the key 00 00 00 01.
    assert re.search(r"fed 1 valid frames \([0-9a-f]{2} 84 00 00 00 01 00 00 00 01\) cut at \[\] ", result.message), result.message


def test_the_reference_passes(tmp_path):
    shutil.copytree(paths.SOLUTIONS / SLUG, tmp_path / SLUG)
    assert _grade_fuzz(tmp_path).status is Status.PASS
