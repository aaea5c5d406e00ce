"""Schedules computed from the lesson records: a 3-hour conference track, a full day, self-paced.

Each record says how long its parts take (``[[timing]]``) and what the lesson is in each
schedule (``track``/``day``: ``core``, ``demo`` or ``take-home``; ``track_parts``, the parts a
3-hour track keeps; ``demo_minutes``). The slots between lessons (welcome, breaks, lunch,
wrap-up) are the policy below. Change a record's timing and the schedules, and the tables of
``INSTRUCTORS.md`` and the README, follow: ``python -m checker.schedule --write`` rewrites the
blocks between ``<!-- generated:schedule -->`` markers, and a test fails while they are stale or
when a schedule no longer fits its time (``ScheduleError``).

    python -m checker.schedule            # print the three schedules
    python -m checker.schedule --write    # rewrite the generated blocks
    python -m checker.schedule --check    # exit 1 if a block is out of date
"""

from __future__ import annotations

import sys
import tomllib
from dataclasses import dataclass
from pathlib import Path

from checker import catalog
from checker.docs import replace_block
from workshop import paths

BLOCK = "schedule"
ROLES = ("core", "demo", "take-home")
TRACK_LIMIT = 180  # minutes: a conference tutorial slot
TRACK_WELCOME, TRACK_WRAP_UP, TRACK_BREAK, TRACK_STRETCH = 10, 5, 10, 75
DAY_START, DAY_END = 9 * 60, 17 * 60 + 30  # minutes after midnight
DAY_WELCOME, DAY_WRAP_UP, DAY_BREAK, DAY_STRETCH = 15, 10, 15, 110
LUNCH, LUNCH_FROM, LUNCH_BY = 60, 11 * 60 + 30, 12 * 60 + 30  # lunch once an item would end after LUNCH_BY
SITTING = 120  # self-paced: the longest sitting, in minutes
WELCOME = "Welcome; `python -m checker doctor` on every laptop (see the room checklist)"
WRAP_UP = "Wrap-up: what to do at home, questions"


class ScheduleError(ValueError):
    pass


@dataclass(frozen=True)
class Entry:
    """A lesson with its roles in the schedules."""
    lesson: catalog.Lesson
    track: str
    track_parts: tuple[int, ...]
    day: str
    demo_minutes: int


@dataclass(frozen=True)
class Slot:
    start: int  # minutes from the schedule's start (or after midnight for the day)
    minutes: int
    what: str
    lesson: str = ""  # the lesson id, or "" for welcome, breaks and lunch


def load(lessons_root: Path = paths.LESSONS) -> list[Entry]:
    """Every lesson record under ``lessons_root``, with its schedule roles checked."""
    entries = []
    for path in sorted(lessons_root.glob(f"*/{catalog.RECORD_NAME}")):
        lesson = catalog.read_record(path)
        raw = tomllib.loads(path.read_text(encoding="utf-8"))
        where = paths.relative(path)
        entry = Entry(lesson, raw.get("track", "take-home"), tuple(raw.get("track_parts", ())),
                      raw.get("day", "core"), int(raw.get("demo_minutes", 0)))
        for key in ("track", "day"):
            if getattr(entry, key) not in ROLES:
                raise ScheduleError(f"{where}: {key} = {getattr(entry, key)!r}; use one of {', '.join(ROLES)}")
        if entry.track == "core" and (not entry.track_parts or
                                      not all(0 <= i < len(lesson.timing) for i in entry.track_parts)):
            raise ScheduleError(f"{where}: a core lesson of the 3-hour track needs track_parts, indexes into its "
                                f"{len(lesson.timing)} [[timing]] parts (from 0)")
        if "demo" in (entry.track, entry.day) and entry.demo_minutes <= 0:
            raise ScheduleError(f"{where}: a demo needs demo_minutes")
        entries.append(entry)
    return entries


def _label(lesson: catalog.Lesson) -> str:
    return f"{lesson.id} {lesson.title}"


def _lay_out(items, start: int, brk: int, stretch: int, lunch: bool) -> list[Slot]:
    """Slots for ``items`` (minutes, what, lesson id) in order, with breaks (and lunch) between them.

    A break comes before an item that would make the time since the last break longer than
    ``stretch``; lunch comes before the first item that would end after ``LUNCH_BY``.
    """
    slots, clock, since_break, had_lunch = [], start, 0, not lunch
    for index, (minutes, what, lesson_id) in enumerate(items):
        last = index == len(items) - 1
        if not had_lunch and clock >= LUNCH_FROM and clock + minutes > LUNCH_BY:
            slots.append(Slot(clock, LUNCH, "Lunch"))
            clock, since_break, had_lunch = clock + LUNCH, 0, True
        elif since_break + minutes > stretch and not last:
            slots.append(Slot(clock, brk, "Break"))
            clock, since_break = clock + brk, 0
        slots.append(Slot(clock, minutes, what, lesson_id))
        clock += minutes
        since_break += minutes
    return slots


def three_hour(entries: list[Entry]) -> list[Slot]:
    """The conference track: the core lessons' chosen parts, the demos, breaks; at most ``TRACK_LIMIT``."""
    items = [(TRACK_WELCOME, WELCOME, "")]
    for e in entries:
        if e.track == "core":
            parts = [e.lesson.timing[i] for i in e.track_parts]
            home = [t.part for i, t in enumerate(e.lesson.timing) if i not in e.track_parts]
            what = f"{_label(e.lesson)}: " + "; ".join(p.part for p in parts)
            if home:
                what += " (at home: " + "; ".join(home) + ")"
            items.append((sum(p.minutes for p in parts), what, e.lesson.id))
        elif e.track == "demo":
            items.append((e.demo_minutes, f"{_label(e.lesson)}: the instructor's demo (exercise at home)", e.lesson.id))
    items.append((TRACK_WRAP_UP, WRAP_UP, ""))
    slots = _lay_out(items, 0, TRACK_BREAK, TRACK_STRETCH, lunch=False)
    total = slots[-1].start + slots[-1].minutes
    if total > TRACK_LIMIT:
        raise ScheduleError(f"the 3-hour track needs {total} minutes, more than {TRACK_LIMIT}: give a core lesson "
                            "fewer track_parts, or make one a demo or take-home")
    return slots


def full_day(entries: list[Entry]) -> list[Slot]:
    """A day from 09:00: core lessons in full, demos, breaks and lunch; it must end by ``DAY_END``."""
    items = [(DAY_WELCOME, WELCOME, "")]
    for e in entries:
        if e.day == "core":
            items.append((e.lesson.minutes, f"{_label(e.lesson)}: the whole lesson", e.lesson.id))
        elif e.day == "demo":
            items.append((e.demo_minutes, f"{_label(e.lesson)}: the instructor's demo (exercise at home)", e.lesson.id))
    items.append((DAY_WRAP_UP, WRAP_UP, ""))
    slots = _lay_out(items, DAY_START, DAY_BREAK, DAY_STRETCH, lunch=True)
    end = slots[-1].start + slots[-1].minutes
    if end > DAY_END:
        raise ScheduleError(f"the full day ends at {_clock(end)}, after {_clock(DAY_END)}: make a lesson a demo "
                            "or take-home")
    return slots


def self_paced(entries: list[Entry]) -> list[list[Entry]]:
    """Every lesson in order, in sittings of at most ``SITTING`` minutes (a longer lesson sits alone)."""
    sittings: list[list[Entry]] = []
    for e in entries:
        if sittings and sum(x.lesson.minutes for x in sittings[-1]) + e.lesson.minutes <= SITTING:
            sittings[-1].append(e)
        else:
            sittings.append([e])
    return sittings


def _clock(minutes: int) -> str:
    return f"{minutes // 60:02d}:{minutes % 60:02d}"


def _elapsed(minutes: int) -> str:
    return f"{minutes // 60}:{minutes % 60:02d}"


def _table(slots: list[Slot], fmt) -> list[str]:
    rows = ["| time | minutes | what |", "|---|---|---|"]
    rows += [f"| {fmt(s.start)} | {s.minutes} | {s.what if s.lesson else f'*{s.what}*'} |" for s in slots]
    end = slots[-1].start + slots[-1].minutes
    rows.append(f"| {fmt(end)} | | end |")
    return rows


def render_three_hour(entries: list[Entry]) -> str:
    slots = three_hour(entries)
    total = slots[-1].start + slots[-1].minutes
    home = [_label(e.lesson) for e in entries if e.track == "take-home"]
    lines = [f"**3-hour conference track** ({total} minutes, breaks included; times from the start):", ""]
    lines += _table(slots, _elapsed)
    lines += ["", "Take-home: " + ", ".join(home) + "; the demo lessons' exercises; the parts marked *at home*."]
    return "\n".join(lines)


def render_full_day(entries: list[Entry]) -> str:
    slots = full_day(entries)
    teaching = sum(s.minutes for s in slots if s.lesson)
    lines = [f"**Full day** ({_clock(slots[0].start)}-{_clock(slots[-1].start + slots[-1].minutes)}, "
             f"{teaching} minutes of lessons):", ""]
    lines += _table(slots, _clock)
    home = [_label(e.lesson) for e in entries if e.day == "take-home"]
    if home:
        lines += ["", "Take-home: " + ", ".join(home) + "."]
    return "\n".join(lines)


def render_self_paced(entries: list[Entry]) -> str:
    total = sum(e.lesson.minutes for e in entries)
    lines = [f"**Self-paced** ({total} minutes of class time in all; alone, expect longer), in sittings of at "
             f"most {SITTING} minutes:", "", "| sitting | lessons | minutes | running total |", "|---|---|---|---|"]
    running = 0
    for number, sitting in enumerate(self_paced(entries), 1):
        minutes = sum(e.lesson.minutes for e in sitting)
        running += minutes
        names = ", ".join(f"[{_label(e.lesson)}](lessons/{e.lesson.slug}/README.md)" for e in sitting)
        lines.append(f"| {number} | {names} | {minutes} | {running} |")
    return "\n".join(lines)


def blocks(entries: list[Entry]) -> dict[Path, str]:
    """The generated block of each file that carries one."""
    every = "\n\n".join([render_three_hour(entries), render_full_day(entries), render_self_paced(entries)])
    return {paths.REPO_ROOT / "README.md": render_three_hour(entries), paths.REPO_ROOT / "INSTRUCTORS.md": every}


def stale(entries: list[Entry] | None = None) -> list[Path]:
    """Files whose schedule block differs from what the records give now."""
    entries = load() if entries is None else entries
    return [path for path, body in blocks(entries).items()
            if path.read_text(encoding="utf-8") != replace_block(path.read_text(encoding="utf-8"), BLOCK, body)]


def main(argv: list[str]) -> int:
    entries = load()
    if "--write" in argv:
        for path, body in blocks(entries).items():
            text = path.read_text(encoding="utf-8")
            if replace_block(text, BLOCK, body) != text:
                path.write_text(replace_block(text, BLOCK, body), encoding="utf-8")
                print(f"rewrote {paths.relative(path)}")
        return 0
    if "--check" in argv:
        out_of_date = stale(entries)
        for path in out_of_date:
            print(f"{paths.relative(path)}: the schedule differs from the lesson records: "
                  "run python -m checker.schedule --write")
        return 1 if out_of_date else 0
    print(blocks(entries)[paths.REPO_ROOT / "INSTRUCTORS.md"])
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
