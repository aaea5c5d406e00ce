"""The mutation suite: planted mistakes, each of which the checker must catch.

``tests/mutations/NN.toml`` lists, for lesson NN, mistakes learners really make (off-by-one,
flipped comparison, dropped statement, wrong constant, wrong close code, missing await, a
blocking call in async code...), each as a text replacement in one file of the reference
solution. Each test copies the solution, plants one mistake and grades that lesson: the
exercise must not pass. A mutation that passes is a wrong solution the checker would accept.
"""

from __future__ import annotations

import os
import tomllib
from pathlib import Path

import pytest

from checker import catalog
from tests.helpers import checker_json, copy_tree
from workshop import paths

HERE = Path(__file__).resolve().parent / "mutations"


def _mutations():
    lessons = {lesson.id: lesson for lesson in catalog.load()}
    for path in sorted(HERE.glob("*.toml")):
        lesson = lessons[path.stem]
        for number, mutation in enumerate(tomllib.loads(path.read_text(encoding="utf-8")).get("mutation", []), 1):
            yield pytest.param(lesson, mutation, id=f"{lesson.id}-{number}-{mutation['file']}")


MUTATIONS = list(_mutations())


def test_every_lesson_has_at_least_ten_mutations():
    counts = {}
    for param in MUTATIONS:
        counts[param.values[0].id] = counts.get(param.values[0].id, 0) + 1
    short = {lesson.id: counts.get(lesson.id, 0) for lesson in catalog.load() if counts.get(lesson.id, 0) < 10}
    assert short == {}, "lessons with fewer than 10 planted mistakes"


@pytest.mark.parametrize("lesson,mutation", MUTATIONS)
def test_planted_mistake_is_caught(lesson, mutation, tmp_path):
    tree = copy_tree(paths.SOLUTIONS, tmp_path / "tree", [lesson.slug])
    path = lesson.exercise_dir(tree) / mutation["file"]
    text = path.read_text(encoding="utf-8")
    assert text.count(mutation["find"]) == 1, f"{mutation['find']!r} must occur exactly once in {mutation['file']}"
    path.write_text(text.replace(mutation["find"], mutation["replace"]), encoding="utf-8")
    env = {"WORKSHOP_STATE_DIR": str(tmp_path / "state"), "CHECKER_TIMEOUT_SCALE": os.environ.get("CHECKER_TIMEOUT_SCALE", "1")}
    code, document = checker_json(lesson.id, "--target", str(tree), "--staged", env=env)
    exercise = document["exercises"][0]
    assert exercise["status"] != "pass", f"the planted mistake passed: {mutation['why']}"
    assert code == 1
