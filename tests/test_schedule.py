"""The schedules add up, and the generated blocks of README.md and INSTRUCTORS.md are current."""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from checker import schedule
from workshop import paths


@pytest.fixture(scope="module")
def entries():
    return schedule.load()


def _contiguous(slots):
    for before, after in zip(slots, slots[1:]):
        assert after.start == before.start + before.minutes, (before, after)


def _records_copy(tmp_path: Path) -> Path:
    """The lesson records alone, in a tree of their own, to change freely."""
    root = tmp_path / "lessons"
    for record in paths.LESSONS.glob("*/lesson.toml"):
        (root / record.parent.name).mkdir(parents=True)
        shutil.copy2(record, root / record.parent.name / record.name)
    return root


def test_the_generated_blocks_match_the_records():
    assert schedule.stale() == [], "run: python -m checker.schedule --write"
    done = subprocess.run([sys.executable, "-m", "checker.schedule", "--check"], cwd=paths.REPO_ROOT,
                          capture_output=True, text=True)
    assert done.returncode == 0, done.stdout


def test_the_three_hour_track_fits_and_accounts_for_every_lesson(entries):
    slots = schedule.three_hour(entries)
    _contiguous(slots)
    assert slots[0].start == 0
    assert slots[-1].start + slots[-1].minutes <= schedule.TRACK_LIMIT
    taught = [s.lesson for s in slots if s.lesson]
    home = [e.lesson.id for e in entries if e.track == "take-home"]
    assert sorted(taught + home) == sorted(e.lesson.id for e in entries)
    for entry in entries:
        if entry.track == "core":
            slot = next(s for s in slots if s.lesson == entry.lesson.id)
            assert slot.minutes == sum(entry.lesson.timing[i].minutes for i in entry.track_parts)
    assert any(s.what == "Break" for s in slots)
    ids = [e.lesson.id for e in entries if e.track == "core"]
    assert ids == sorted(ids) and "05" in ids and "06" in ids


def test_the_full_day_fits_with_a_lunch_and_breaks(entries):
    slots = schedule.full_day(entries)
    _contiguous(slots)
    assert slots[0].start == schedule.DAY_START
    assert slots[-1].start + slots[-1].minutes <= schedule.DAY_END
    assert [s.what for s in slots].count("Lunch") == 1
    stretch = 0
    for slot in slots[:-1]:  # the wrap-up may close a long stretch
        stretch = 0 if not slot.lesson and slot.what in ("Break", "Lunch") else stretch + slot.minutes
        assert stretch <= schedule.DAY_STRETCH, slot
    core = {e.lesson.id: e.lesson.minutes for e in entries if e.day == "core"}
    for slot in slots:
        if slot.lesson in core:
            assert slot.minutes == core[slot.lesson]
    taught = {s.lesson for s in slots if s.lesson}
    assert taught | {e.lesson.id for e in entries if e.day == "take-home"} == {e.lesson.id for e in entries}
    # lesson 00 (asyncio) comes before lesson 05 (the first asyncio server)
    order = [s.lesson for s in slots if s.lesson]
    assert order.index("00") < order.index("05")


def test_self_paced_covers_every_lesson_in_order(entries):
    sittings = schedule.self_paced(entries)
    flat = [e.lesson.id for sitting in sittings for e in sitting]
    assert flat == [e.lesson.id for e in entries]
    for sitting in sittings:
        assert len(sitting) == 1 or sum(e.lesson.minutes for e in sitting) <= schedule.SITTING
    text = schedule.render_self_paced(entries)
    assert f"({sum(e.lesson.minutes for e in entries)} minutes" in text


def test_a_track_that_no_longer_fits_is_refused(tmp_path):
    root = _records_copy(tmp_path)
    record = next(root.glob("06-*/lesson.toml"))
    text = record.read_text()
    assert re.search(r"^track_parts = \[.*?\]", text, re.M)
    record.write_text(re.sub(r"^track_parts = \[.*?\]", "track_parts = [0, 1, 2, 3]", text, flags=re.M))
    with pytest.raises(schedule.ScheduleError, match="180"):
        schedule.three_hour(schedule.load(root))


def test_a_changed_timing_makes_both_blocks_stale(tmp_path):
    root = _records_copy(tmp_path)
    record = next(root.glob("01-*/lesson.toml"))
    record.write_text(re.sub(r"^minutes = 15$", "minutes = 14", record.read_text(), count=1, flags=re.M))
    changed = schedule.load(root)
    assert sorted(p.name for p in schedule.stale(changed)) == ["INSTRUCTORS.md", "README.md"]


def test_a_record_with_an_unknown_role_is_refused(tmp_path):
    root = _records_copy(tmp_path)
    record = next(root.glob("02-*/lesson.toml"))
    record.write_text(record.read_text().replace('track = "demo"', 'track = "maybe"', 1))
    with pytest.raises(schedule.ScheduleError, match="maybe"):
        schedule.load(root)
