"""Every reference solution scores 100 %; every pristine exercise fails, kindly."""

from __future__ import annotations

import os

from workshop import browser

STATUSES = {"pass", "fail", "error", "timeout"}
CHECK_STATUSES = STATUSES | {"skip"}


def test_json_document_has_the_documented_shape(solutions_report, exercises):
    _, document = solutions_report
    assert set(document) >= {"target", "status", "score", "max_score", "exercises"}
    assert document["status"] in STATUSES
    assert [e["id"] for e in document["exercises"]] == [e.id for e in exercises]
    for exercise in document["exercises"]:
        assert set(exercise) >= {"id", "slug", "title", "status", "score", "max_score", "checks"}
        assert exercise["status"] in STATUSES
        for check in exercise["checks"]:
            assert set(check) >= {"name", "status", "message", "hint"}
            assert check["status"] in CHECK_STATUSES


def test_every_solution_scores_full_marks(solutions_report):
    code, document = solutions_report
    problems = {
        f"{e['id']}/{c['name']}": f"{c['status']}: {c['message']}"
        for e in document["exercises"] for c in e["checks"] if c["status"] != "pass"
    }
    if browser.find_chromium() is None and os.environ.get("CI") != "true":
        problems = {k: v for k, v in problems.items() if not v.startswith("skip")}
    assert problems == {}
    assert code == 0
    assert document["status"] == "pass"
    assert document["score"] == document["max_score"] > 0


def test_every_pristine_exercise_fails_every_check_kindly(pristine_report, exercises):
    code, document = pristine_report
    assert code == 1
    assert document["status"] == "fail"
    for exercise in document["exercises"]:
        assert exercise["score"] == 0
        for check in exercise["checks"]:
            where = f"{exercise['id']}/{check['name']}"
            assert check["status"] == "fail", f"{where}: {check['status']}: {check['message']}"
            assert check["message"].strip(), f"{where} fails without saying why"
            assert "Traceback" not in check["message"], f"{where} shows a traceback: {check['message']}"
            assert "the check itself crashed" not in check["message"]
            assert check["hint"], f"{where} has no hint"
        assert exercise["status"] == "fail", f"{exercise['id']} should fail, not {exercise['status']}"


def test_without_a_browser_the_browser_checks_are_skipped_with_advice(state_dir):
    from tests.helpers import checker_json

    env = {**state_dir, "WORKSHOP_CHROMIUM": "/nonexistent/chromium", "CI": ""}
    code, document = checker_json("01", "--target", "solutions", env=env)
    checks = {c["name"]: c for c in document["exercises"][0]["checks"]}
    assert checks["browser_short_poll"]["status"] == "skip"
    assert "apt-get install chromium" in checks["browser_short_poll"]["message"]
    assert checks["parse_cursor"]["status"] == "pass"
    assert document["exercises"][0]["status"] == "pass" and code == 0


def test_under_ci_a_missing_browser_is_a_failure(state_dir):
    from tests.helpers import checker_json

    env = {**state_dir, "WORKSHOP_CHROMIUM": "/nonexistent/chromium", "CI": "true"}
    code, document = checker_json("01", "--target", "solutions", env=env)
    checks = {c["name"]: c for c in document["exercises"][0]["checks"]}
    assert checks["browser_long_poll"]["status"] == "fail"
    assert code == 1
