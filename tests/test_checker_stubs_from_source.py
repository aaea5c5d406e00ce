"""A learner's run fails a check whose first function is still a stub from the source, at once.

The record names, for such checks, the learner's function the check calls first (``needs``).
While it still only raises ``NotImplementedError``, a staged run fails the check with the very
message the check would give, without a grading process: a pristine exercise hears "not written
yet" in a fraction of a second instead of after Django, Channels or Celery were imported.
These tests hold the records to that promise and show the shortcut never decides more than it may.
"""

from __future__ import annotations

import pytest

from checker import catalog, runner
from checker.pipeline import Status
from tests.helpers import copy_tree
from workshop import learner, paths

LESSONS = catalog.load()


def _needs():
    for lesson in LESSONS:
        for check in lesson.checks:
            for need in check.needs:
                yield lesson, check, *need.split(":", 1)


@pytest.mark.parametrize("lesson", LESSONS, ids=lambda lesson: lesson.id)
def test_every_check_of_a_first_ring_says_which_function_it_needs(lesson):
    first = lesson.rings[0].name
    missing = [c.name for c in lesson.checks if c.ring == first and not c.needs]
    assert missing == [], f"{lesson.id}: first-ring checks without needs (a pristine run would start a process)"


def test_each_needed_function_is_a_stub_in_the_exercise_and_written_in_the_solution():
    for lesson, check, filename, function in _needs():
        where = f"{lesson.id}/{check.name} needs {filename}:{function}"
        assert function in learner.stubs_in(lesson.exercise_dir(paths.EXERCISES) / filename), where
        assert function not in learner.stubs_in(lesson.exercise_dir(paths.SOLUTIONS) / filename), where


def test_the_message_from_the_source_is_the_one_the_check_gives(pristine_report):
    """Graded for real (full, in grading processes), each such check names the same function."""
    _, document = pristine_report
    graded = {(e["id"], c["name"]): c for e in document["exercises"] for c in e["checks"]}
    for lesson, check, filename, function in _needs():
        expected = learner.unwritten_message(function.rsplit(".", 1)[-1], lesson.exercise_dir(paths.EXERCISES) / filename)
        real = graded[(lesson.id, check.name)]
        assert (real["status"], real["message"]) == ("fail", expected), f"{lesson.id}/{check.name}"


def test_a_pristine_staged_run_decides_its_first_ring_without_a_grading_process(monkeypatch):
    def no_process(*args, **kwargs):
        raise AssertionError("a grading process was started")

    monkeypatch.setattr(runner, "_grade_parallel", no_process)
    for lesson in LESSONS:
        result = runner.grade(lesson, paths.EXERCISES, staged=True)
        first = [c for c in result.checks if lesson.check(c.name).ring == lesson.rings[0].name]
        assert first and all(c.status is Status.FAIL and "is not written yet" in c.message for c in first)
        assert all(c.status is Status.WAITING for c in result.checks if c not in first)


def test_written_functions_still_run_and_a_file_that_does_not_parse_is_left_to_the_grading_process(tmp_path):
    lesson = catalog.find(LESSONS, "03")
    tree = copy_tree(paths.SOLUTIONS, tmp_path / "t", [lesson.slug])
    handshake = lesson.exercise_dir(tree) / "handshake.py"
    text = handshake.read_text()
    start = text.index("def accept_key(")
    body = text.index('"""', text.index('"""', start) + 3) + 3  # after the docstring
    end = text.index("\ndef ", body)
    handshake.write_text(text[:body] + "\n    raise NotImplementedError('accept_key')\n\n" + text[end:])
    first = [c for c in lesson.checks if c.ring == lesson.rings[0].name]
    decided = runner._unwritten(lesson, lesson.exercise_dir(tree), first)
    assert set(decided) == {"accept_key"}  # the others need written functions: they run for real
    (lesson.exercise_dir(tree) / "frames.py").write_text("def broken(:\n")
    assert runner._unwritten(lesson, lesson.exercise_dir(tree), first) == {}
