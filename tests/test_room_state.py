"""The live room's rules (``checker.live.room``) with a fake clock: no server, no waiting."""

from __future__ import annotations

import pytest

from checker import catalog
from checker.live.room import Invalid, RateLimiter, Room

LEARNER = "0123456789abcdef"


class Clock:
    def __init__(self):
        self.now = 1000.0

    def __call__(self):
        return self.now


@pytest.fixture
def setup():
    lessons = catalog.load()
    clock = Clock()
    return Room(lessons, stuck_seconds=120, clock=clock), clock, catalog.find(lessons, "03")


def status(lesson, failing_at, at, **extra):
    checks = {c.name: ("pass" if failing_at is None or i < failing_at else "fail" if i == failing_at else "waiting")
              for i, c in enumerate(lesson.checks)}
    return {"exercise": lesson.id, "time": at, "checks": checks, **extra}


def test_stuck_means_the_same_failing_check_for_long_enough(setup):
    room, clock, lesson = setup
    room.accept({"learner": LEARNER, "name": "Ada", "statuses": [status(lesson, 1, at=1)]})
    clock.now += 100
    room.accept({"learner": LEARNER, "name": "Ada", "statuses": [status(lesson, 1, at=2)]})  # same check
    assert room.stuck() == []
    clock.now += 30
    assert [(s["name"], s["check"]) for s in room.stuck()] == [("Ada", lesson.checks[1].name)]
    room.accept({"learner": LEARNER, "name": "Ada", "statuses": [status(lesson, 2, at=3)]})  # progress
    assert room.stuck() == []
    assert room.common_failure()["check"] == lesson.checks[2].name
    assert room.common_failure()["hint"] == lesson.checks[2].hint


def test_re_sent_statuses_change_nothing_and_hints_keep_the_checks(setup):
    room, _, lesson = setup
    assert room.accept({"learner": LEARNER, "name": "Ada", "statuses": [status(lesson, None, at=5)]}) == 1
    assert room.accept({"learner": LEARNER, "name": "Ada", "statuses": [status(lesson, 0, at=4)]}) == 0
    room.accept({"learner": LEARNER, "name": "Ada", "statuses": [{"exercise": "03", "time": 6, "hint_rung": 1}]})
    cell = room.snapshot()["learners"][0]["cells"]["03"]
    assert (cell["status"], cell["score"], cell["hint_rung"]) == ("pass", lesson.max_score, 1)


@pytest.mark.parametrize("payload", [
    [], {"learner": "../x", "name": "A"}, {"learner": LEARNER, "name": ""}, {"learner": LEARNER, "name": 3},
    {"learner": LEARNER, "name": "A", "statuses": [{"exercise": "03", "time": "soon"}]},
    {"learner": LEARNER, "name": "A", "statuses": [{"exercise": "03", "time": 1, "checks": {"accept_key": "won"}}]},
    {"learner": LEARNER, "name": "A", "statuses": [{"exercise": "03", "time": 1, "hint_rung": 99}]},
    {"learner": LEARNER, "name": "A", "statuses": [{"exercise": "03", "time": 1}] * 17},
])
def test_malformed_statuses_are_refused(setup, payload):
    with pytest.raises(Invalid):
        setup[0].accept(payload)


def test_names_are_kept_as_typed_but_not_as_formulas(setup):
    room, _, lesson = setup
    room.accept({"learner": LEARNER, "name": "=HYPERLINK(\"x\")\n<b>", "statuses": [status(lesson, None, at=1)]})
    assert room.snapshot()["learners"][0]["name"] == "=HYPERLINK(\"x\") <b>"
    assert room.csv_rows()[1][0] == "'=HYPERLINK(\"x\") <b>"


def test_rate_limiter_allows_a_burst_then_refills():
    clock = Clock()
    limit = RateLimiter(burst=3, per_second=1.0, clock=clock)
    assert [limit.allow("a") for _ in range(4)] == [True, True, True, False]
    assert limit.allow("b")
    clock.now += 1.0
    assert limit.allow("a") and not limit.allow("a")
