"""Lesson 00: each classic asyncio mistake, planted in a copy of the solution, fails *its* check with advice.

The mistakes are the lesson's mutation list (``tests/mutations/00.toml``, which
``tests/test_mutations.py`` also plants); here each must fail the check it belongs to, say what is
wrong in words (``says``), and leave the other checks passing.
"""

from __future__ import annotations

import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

from tests.helpers import checker_json, copy_tree
from workshop import paths

SLUG = "00-asyncio-primer"
MUTATIONS = tomllib.loads((Path(__file__).parent / "mutations" / "00.toml").read_text(encoding="utf-8"))["mutation"]


@pytest.mark.parametrize("mistake", MUTATIONS, ids=[m["why"][:40] for m in MUTATIONS])
def test_a_classic_mistake_fails_its_check_with_advice(mistake, tmp_path, state_dir):
    tree = copy_tree(paths.SOLUTIONS, tmp_path / "tree", [SLUG])
    primer = tree / SLUG / mistake["file"]
    source = primer.read_text()
    assert source.count(mistake["find"]) == 1, f"the solution changed: update the mistake {mistake['why']!r}"
    primer.write_text(source.replace(mistake["find"], mistake["replace"]))
    code, document = checker_json("00", "--target", str(tree), env=state_dir)
    checks = {c["name"]: c for c in document["exercises"][0]["checks"]}
    failed = checks[mistake["check"]]
    assert code == 1
    assert failed["status"] == "fail", failed
    assert mistake["says"] in failed["message"], failed["message"]
    assert "Traceback" not in failed["message"] and failed["hint"]
    others = {name: c["status"] for name, c in checks.items() if name != mistake["check"]}
    assert set(others.values()) <= {"pass"}, others


def test_the_benchmark_prints_a_stall_for_each_way_of_waiting():
    done = subprocess.run([sys.executable, str(paths.REPO_ROOT / "bench" / "00_blocking_loop.py"), "--seconds", "0.2",
                           "--interval", "0.01"], capture_output=True, text=True, timeout=60, cwd=paths.REPO_ROOT)
    assert done.returncode == 0, done.stderr
    for label in ("time.sleep in the loop", "await asyncio.sleep", "await asyncio.to_thread"):
        assert label in done.stdout, done.stdout
