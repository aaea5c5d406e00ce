"""Exercises done one of several ways: lesson 05's sidecar in Python or in Node.js.

The learner picks one (``python -m checker pick 05 node``); the same checks grade it for the
same points; the choice is remembered in the state folder, ``--variant`` overrides it once, and
an instructor's ``room`` grades each checkout with the variant its learner picked.
"""

from __future__ import annotations

import json

import pytest

from checker import catalog, variants
from tests.helpers import checker, checker_json, copy_tree
from workshop import paths

LESSON = catalog.find(catalog.load(), "05")


def test_the_record_declares_two_sidecars_graded_by_the_same_checks_for_the_same_points():
    assert [v.name for v in LESSON.variants] == ["python", "node"]
    python, node = LESSON.for_variant("python"), LESSON.for_variant("node")
    assert [c.name for c in python.checks] == [c.name for c in node.checks]
    assert python.max_score == node.max_score == 100
    assert "sidecar.js" not in python.graded_files and "sidecar.py" not in node.graded_files
    assert "publish.py" in python.graded_files and "publish.py" in node.graded_files  # Django's side is shared
    # The Node.js learner climbs a ladder written for JavaScript, starting with a question like everyone.
    assert node.check("cleanup").hints != python.check("cleanup").hints
    assert "close" in node.check("cleanup").hints[2] and len(node.check("cleanup").hints) == 3
    with pytest.raises(catalog.CatalogError, match="pick one of: python, node"):
        LESSON.for_variant("ruby")
    with pytest.raises(catalog.CatalogError, match="no variants"):
        catalog.find(catalog.load(), "03").for_variant("node")


def test_the_choice_is_remembered_per_lesson_and_an_override_applies_once(tmp_path):
    assert variants.chosen(tmp_path, LESSON) == "python"  # the first, until the learner picks
    variants.choose(tmp_path, LESSON, "node")
    assert json.loads((tmp_path / variants.FILE_NAME).read_text()) == {"05": "node"}
    lessons = variants.apply(catalog.load(), tmp_path)
    assert catalog.find(lessons, "05").variant == "node" and catalog.find(lessons, "03").variant == ""
    assert catalog.find(variants.apply(catalog.load(), tmp_path, "python"), "05").variant == "python"
    with pytest.raises(catalog.CatalogError, match="no exercise here has a variant 'ruby'"):
        variants.apply(catalog.load(), tmp_path, "ruby")
    (tmp_path / variants.FILE_NAME).write_text('{"05": "cobol"}')  # a stale or hand-edited choice
    assert variants.chosen(tmp_path, LESSON) == "python"


def test_pick_lists_switches_and_refuses_what_does_not_exist(state_dir):
    listing = checker("pick", "05", env=state_dir)
    assert listing.returncode == 0 and "* python" in listing.stdout and "node" in listing.stdout
    switched = checker("pick", "05", "node", env=state_dir)
    assert switched.returncode == 0 and "Node.js" in switched.stdout
    assert "* node" in checker("pick", "05", env=state_dir).stdout
    wrong = checker("pick", "05", "ruby", env=state_dir)
    assert wrong.returncode == 2 and "pick one of: python, node" in wrong.stderr
    assert "nothing to pick" in checker("pick", "03", env=state_dir).stdout


def test_the_node_variant_of_the_reference_scores_full_marks_and_its_stub_fails_kindly(state_dir):
    code, document = checker_json("05", "--target", "solutions", "--variant", "node", env=state_dir)
    exercise = document["exercises"][0]
    failing = {c["name"]: c["message"] for c in exercise["checks"] if c["status"] != "pass"}
    assert code == 0 and exercise["variant"] == "node" and exercise["score"] == 100, failing
    code, document = checker_json("05", "--variant", "node", env=state_dir)
    exercise = document["exercises"][0]
    assert code == 1 and exercise["variant"] == "node" and exercise["score"] == 0
    for check in exercise["checks"]:
        assert check["status"] == "fail", f"{check['name']}: {check['status']}: {check['message']}"
        assert "Traceback" not in check["message"] and check["hint"]
    messages = " ".join(c["message"] for c in exercise["checks"])
    assert "sidecar.js" in messages and "sidecar.py" not in messages  # the Node.js learner hears of their file


def test_the_report_says_which_variant_was_graded_and_how_to_switch(state_dir):
    checker("pick", "05", "node", env=state_dir)
    out = checker("05", "--staged", env={**state_dir, "NO_COLOR": "1"}).stdout
    assert "graded: the sidecar in Node.js (sidecar.js)" in out
    assert "python -m checker pick 05 python" in out
    assert "checkOrigin() in exercises/05-redis-sidecar/sidecar.js is not written yet" in out


def test_room_grades_each_checkout_with_the_variant_its_learner_picked(tmp_path):
    room = tmp_path / "room"
    for name, pick in (("ada", "node"), ("grace", None)):
        copy_tree(paths.SOLUTIONS, room / name / "exercises", [LESSON.slug])
        if pick:
            variants.choose(room / name / ".workshop", LESSON, pick)
    # ada's sidecar.js is broken: graded as Node.js, her score drops; grace (Python, the default) keeps 100.
    broken = room / "ada" / "exercises" / LESSON.slug / "sidecar.js"
    broken.write_text(broken.read_text().replace("function checkOrigin(origin, allowed) {",
                                                 "function checkOrigin(origin, allowed) {\n  return true;", 1))
    scores = tmp_path / "scores.csv"
    done = checker("room", str(room), "05", "--csv", str(scores), timeout=600)
    rows = {line.split(",")[0]: line.split(",") for line in scores.read_text().splitlines()[1:]}
    assert done.returncode in (0, 1), done.stderr
    assert int(rows["grace"][1]) == 100 and int(rows["ada"][1]) < 100, rows
