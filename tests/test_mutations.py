"""The mutation suite: planted mistakes, each of which the checker must catch.

``tests/mutations/NN.toml`` lists, for lesson NN, mistakes learners really make (off-by-one,
flipped comparison, dropped statement, wrong constant, wrong close code, missing await, a
blocking call in async code...), each as a text replacement in one file of the reference
solution. For each, the test copies the solution, plants the mistake and grades that lesson
(staged: grading stops at the first failing ring): the exercise must not pass. A mutation that
passes is a wrong solution the checker would accept. ``names`` (optional): text the first failing
check's message must contain, so that the mistake is not only caught but named.

Mutants are graded a few at a time: a wrong program stays wrong on a busy machine, so running
them side by side cannot make a caught mistake look missed (only slower).
"""

from __future__ import annotations

import os
import tomllib
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from checker import catalog
from tests.helpers import checker_json, copy_tree
from workshop import paths

HERE = Path(__file__).resolve().parent / "mutations"
LESSONS = {lesson.id: lesson for lesson in catalog.load()}
AT_ONCE = 3


def mutations_of(lesson_id: str) -> list[dict]:
    path = HERE / f"{lesson_id}.toml"
    return tomllib.loads(path.read_text(encoding="utf-8")).get("mutation", []) if path.exists() else []


def test_every_lesson_has_at_least_ten_mutations():
    short = {lesson_id: len(mutations_of(lesson_id)) for lesson_id in LESSONS if len(mutations_of(lesson_id)) < 10}
    assert short == {}, "lessons with fewer than 10 planted mistakes"


def _grade_mutant(lesson, number: int, mutation: dict, root: Path) -> str | None:
    """None when the mistake is caught; otherwise why not."""
    tree = copy_tree(paths.SOLUTIONS, root / f"m{number}", [lesson.slug])
    path = lesson.exercise_dir(tree) / mutation["file"]
    text = path.read_text(encoding="utf-8")
    if text.count(mutation["find"]) != 1:
        return f"#{number} ({mutation['why']}): its 'find' text occurs {text.count(mutation['find'])} times in {mutation['file']}"
    path.write_text(text.replace(mutation["find"], mutation["replace"]), encoding="utf-8")
    env = {"WORKSHOP_STATE_DIR": str(root / f"state{number}"),
           "CHECKER_TIMEOUT_SCALE": os.environ.get("CHECKER_TIMEOUT_SCALE", "1")}
    # A mistake in one variant's file (05's sidecar.js) is graded as that variant.
    variant = next((v.name for v in lesson.variants if mutation["file"] in v.files), None)
    code, document = checker_json(lesson.id, "--target", str(tree), "--staged",
                                  *(["--variant", variant] if variant else []), env=env, timeout=600)
    exercise = document["exercises"][0]
    if exercise["status"] == "pass" or code != 1:
        return f"#{number} ({mutation['file']}): the planted mistake passed: {mutation['why']}"
    first = next((c for c in exercise["checks"] if c["status"] in ("fail", "error", "timeout")), None)
    if "names" in mutation and (first is None or mutation["names"] not in first["message"]):
        shown = f"{first['name']}: {first['message'][:300]}" if first else "no failing check"
        return f"#{number} ({mutation['why']}): the first problem should name it ({mutation['names']!r}); it says {shown}"
    return None


@pytest.mark.timeout(2400)  # dozens of gradings per lesson: far more than one test's usual limit
@pytest.mark.parametrize("lesson_id", sorted(LESSONS))
def test_every_planted_mistake_is_caught(lesson_id, tmp_path):
    lesson = LESSONS[lesson_id]
    mutations = mutations_of(lesson_id)
    if not mutations:
        pytest.skip(f"no tests/mutations/{lesson_id}.toml")
    with ThreadPoolExecutor(max_workers=AT_ONCE) as pool:
        outcomes = list(pool.map(lambda item: _grade_mutant(lesson, item[0], item[1], tmp_path),
                                 enumerate(mutations, 1)))
    assert [o for o in outcomes if o] == []
