"""The live room's state, in plain Python: what learners reported and what the instructor sees.

No Django here, so every rule can be tested with a fake clock and no server: which statuses are
accepted (strictly validated: a learner's laptop is not trusted to send well-formed data), when
a learner counts as stuck, which failing check is the room's most common, the progress curve
and the CSV export.

Scores are recomputed from the lesson records (``checker.catalog``) rather than taken from the
learner: the catalog is the one source of points, so the dashboard and ``room DIR --csv`` agree.
"""

from __future__ import annotations

import math
import re
import threading
import time
import unicodedata
from dataclasses import dataclass, field

from checker.pipeline import Status, overall_status

NAME_MAX = 40  # characters of a learner's display name
LEARNER_ID = re.compile(r"[0-9a-f]{16,64}\Z")  # chosen at random by `checker join`
MAX_LEARNERS = 500  # a room; more is someone scripting fake learners
MAX_STATUSES = 16  # per request: one per exercise, and a few to spare
HISTORY_MAX = 2000  # points of the progress curve kept
CHECK_VALUES = {status.value for status in Status}


class Invalid(ValueError):
    """A status the dashboard refuses; ``str()`` is what the learner's checker shows."""


def clean_name(raw) -> str:
    """A display name: text, control characters turned to spaces, at most ``NAME_MAX`` characters.

    Markup is *kept* as typed: the page shows names with ``textContent``, so ``<img ...>`` is
    just a funny name. Escaping belongs where a name is displayed, not here.
    """
    if not isinstance(raw, str):
        raise Invalid("the name must be text")
    text = "".join(" " if unicodedata.category(ch).startswith("C") else ch for ch in raw)
    text = " ".join(text.split())[:NAME_MAX]
    if not text:
        raise Invalid("the name is empty")
    return text


def spreadsheet_safe(text: str) -> str:
    """A cell a spreadsheet will not run as a formula (``=HYPERLINK(...)`` as a learner's name)."""
    return "'" + text if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text


class RateLimiter:
    """Token buckets by key: ``burst`` requests at once, then ``per_second`` on average.

    Used per learner for statuses and per address for wrong join codes. Bounded: past
    ``max_keys`` buckets the full ones (idle keys) are forgotten.
    """

    def __init__(self, burst: float, per_second: float, clock=time.monotonic, max_keys: int = 10_000):
        self.burst, self.per_second, self.clock, self.max_keys = burst, per_second, clock, max_keys
        self._buckets: dict[str, tuple[float, float]] = {}
        self._lock = threading.Lock()

    def allow(self, key: str) -> bool:
        with self._lock:
            now = self.clock()
            tokens, last = self._buckets.get(key, (self.burst, now))
            tokens = min(self.burst, tokens + (now - last) * self.per_second)
            allowed = tokens >= 1
            self._buckets[key] = (tokens - 1 if allowed else tokens, now)
            if len(self._buckets) > self.max_keys:
                self._buckets = {k: v for k, v in self._buckets.items() if v[0] < self.burst - 1}
            return allowed


@dataclass
class Cell:
    """One learner's latest status on one exercise."""

    checks: dict[str, str]  # check name -> status ("" never): only checks the catalog knows
    graded_at: float  # the learner's clock, only to order re-sent statuses
    hint_rung: int = 0
    failing: str | None = None  # the first failing check, in the lesson's order
    failing_since: float | None = None  # the dashboard's clock: when `failing` became the problem


@dataclass
class Learner:
    name: str
    cells: dict[str, Cell] = field(default_factory=dict)


class Room:
    """Everything the dashboard knows; thread-safe (views and consumers share one instance)."""

    def __init__(self, lessons, stuck_seconds: float = 300.0, clock=time.time):
        self.lessons = {lesson.id: lesson for lesson in lessons}
        self.order = [lesson.id for lesson in lessons]
        self.stuck_seconds = stuck_seconds
        self.clock = clock
        self.learners: dict[str, Learner] = {}
        self.history: list[tuple[float, int, int]] = []  # (time, exercises complete, points), room-wide
        self.version = 0  # bumped on every change; consumers compare it
        self._lock = threading.RLock()

    # -- learners' statuses -------------------------------------------------------------------
    def accept(self, payload) -> int:
        """Apply one request's statuses; the number applied (re-sent, older ones are skipped)."""
        if not isinstance(payload, dict):
            raise Invalid("the body must be a JSON object")
        learner_id = payload.get("learner")
        if not isinstance(learner_id, str) or not LEARNER_ID.match(learner_id):
            raise Invalid("unknown learner id: run `python -m checker join` again")
        name = clean_name(payload.get("name"))
        statuses = payload.get("statuses", [])
        if not isinstance(statuses, list) or len(statuses) > MAX_STATUSES:
            raise Invalid(f"'statuses' must be a list of at most {MAX_STATUSES}")
        # An exercise this dashboard's catalog lacks (a newer checkout) is skipped, not refused:
        # refusing would block the learner's queue for good.
        cleaned = [status for status in map(self._clean_status, statuses) if status is not None]
        now = self.clock()
        with self._lock:
            learner = self.learners.get(learner_id)
            if learner is None:
                if len(self.learners) >= MAX_LEARNERS:
                    raise Invalid("the room is full")
                learner = self.learners[learner_id] = Learner(name)
            learner.name = name
            applied = sum(self._apply(learner, status, now) for status in cleaned)
            self._record_progress(now)
            self.version += 1
        return applied

    def _clean_status(self, raw) -> dict | None:
        if not isinstance(raw, dict):
            raise Invalid("each status must be a JSON object")
        lesson = self.lessons.get(raw.get("exercise"))
        if lesson is None:
            return None
        graded_at = raw.get("time")
        if isinstance(graded_at, bool) or not isinstance(graded_at, (int, float)) or not math.isfinite(graded_at):
            raise Invalid("'time' must be a number")
        rung, top = raw.get("hint_rung", 0), max(len(ladder) for ladder in (lesson.hints, *(c.hints for c in lesson.checks)))
        if isinstance(rung, bool) or not isinstance(rung, int) or not 0 <= rung <= top:
            raise Invalid(f"'hint_rung' must be a whole number from 0 to {top}")
        checks = raw.get("checks")
        if checks is not None:
            if not isinstance(checks, dict) or not all(isinstance(v, str) and v in CHECK_VALUES
                                                          for v in checks.values()):
                raise Invalid(f"'checks' must map check names to one of {sorted(CHECK_VALUES)}")
            # Checks this dashboard's catalog does not know (an older checkout) are left out.
            checks = {c.name: checks[c.name] for c in lesson.checks if c.name in checks}
        return {"exercise": lesson.id, "time": float(graded_at), "hint_rung": rung, "checks": checks}

    def _apply(self, learner: Learner, status: dict, now: float) -> bool:
        cell = learner.cells.get(status["exercise"])
        if cell is not None and status["time"] <= cell.graded_at:
            return False  # the learner's queue re-sent what we already have
        if cell is None:
            cell = learner.cells[status["exercise"]] = Cell(checks={}, graded_at=status["time"])
        cell.graded_at = status["time"]
        cell.hint_rung = status["hint_rung"]
        if status["checks"] is not None:  # a hint request carries no checks: keep the last ones
            cell.checks = status["checks"]
            failing = next((name for name, value in cell.checks.items() if Status(value).is_problem), None)
            if failing != cell.failing:
                cell.failing, cell.failing_since = failing, (now if failing else None)
        return True

    # -- what the instructor sees --------------------------------------------------------------
    def _cell_view(self, exercise: str, cell: Cell) -> dict:
        lesson = self.lessons[exercise]
        view = {"status": self._status(cell), "score": self._score(exercise, cell), "hint_rung": cell.hint_rung,
                "failing": cell.failing, "failing_title": lesson.check(cell.failing).title if cell.failing else ""}
        return view

    @staticmethod
    def _status(cell: Cell) -> str:
        return str(overall_status(Status(v) for v in cell.checks.values())) if cell.checks else "ungraded"

    def _score(self, exercise: str, cell: Cell) -> int:
        lesson = self.lessons[exercise]
        return sum(lesson.check(name).points for name, value in cell.checks.items() if value == Status.PASS.value)

    def _totals(self, learner: Learner) -> tuple[int, int]:
        """(points, exercises complete) of one learner."""
        points = sum(self._score(ex, cell) for ex, cell in learner.cells.items())
        complete = sum(self._status(cell) == "pass" and len(cell.checks) == len(self.lessons[ex].checks)
                       for ex, cell in learner.cells.items())
        return points, complete

    def stuck(self, now: float | None = None) -> list[dict]:
        """Learners whose same check has been failing for at least ``stuck_seconds``, longest first."""
        now = self.clock() if now is None else now
        found = []
        with self._lock:
            for learner in self.learners.values():
                for exercise, cell in learner.cells.items():
                    if cell.failing and now - cell.failing_since >= self.stuck_seconds:
                        found.append({"name": learner.name, "exercise": exercise, "check": cell.failing,
                                      "title": self.lessons[exercise].check(cell.failing).title,
                                      "hint_rung": cell.hint_rung,
                                      "minutes": round((now - cell.failing_since) / 60, 1)})
        return sorted(found, key=lambda item: (-item["minutes"], item["name"].casefold()))

    def common_failure(self) -> dict | None:
        """The check most learners currently fail first, with its first hint (ties: lesson order)."""
        counts: dict[tuple[str, str], int] = {}
        with self._lock:
            for learner in self.learners.values():
                for exercise, cell in learner.cells.items():
                    if cell.failing:
                        counts[(exercise, cell.failing)] = counts.get((exercise, cell.failing), 0) + 1
        if not counts:
            return None
        position = {ex: i for i, ex in enumerate(self.order)}
        (exercise, name), count = min(counts.items(), key=lambda kv: (-kv[1], position[kv[0][0]], kv[0][1]))
        check = self.lessons[exercise].check(name)
        return {"exercise": exercise, "check": name, "title": check.title, "hint": check.hint, "learners": count}

    def _record_progress(self, now: float) -> None:
        points = complete = 0
        for learner in self.learners.values():
            p, c = self._totals(learner)
            points, complete = points + p, complete + c
        point = (round(now, 2), complete, points)
        if self.history and now - self.history[-1][0] < 1.0:
            self.history[-1] = point  # a burst of statuses is one point of the curve
        else:
            self.history.append(point)
            del self.history[:-HISTORY_MAX]

    def snapshot(self) -> dict:
        """Everything the page draws, as one JSON-ready dict (names are data; the page escapes them)."""
        now = self.clock()
        with self._lock:
            learners = []
            for key, learner in self.learners.items():
                points, complete = self._totals(learner)
                learners.append({"key": key, "name": learner.name, "total": points, "complete": complete,
                                 "cells": {ex: self._cell_view(ex, cell) for ex, cell in learner.cells.items()}})
            learners.sort(key=lambda item: (item["name"].casefold(), item["key"]))
            return {"type": "room", "version": self.version, "now": now,
                    "stuck_minutes": self.stuck_seconds / 60,
                    "exercises": [{"id": l.id, "title": l.title, "max_score": l.max_score}
                                  for l in self.lessons.values()],
                    "learners": learners, "stuck": self.stuck(now), "common": self.common_failure(),
                    "progress": list(self.history)}

    def csv_rows(self) -> list[list]:
        """The export, in ``python -m checker room DIR --csv``'s shape (header first)."""
        from checker.commands.room import csv_header, csv_row

        lessons = list(self.lessons.values())
        rows = [csv_header(lessons)]
        with self._lock:
            for learner in sorted(self.learners.values(), key=lambda item: item.name.casefold()):
                cells = [learner.cells.get(l.id) for l in lessons]
                scores = [self._score(l.id, cell) if cell else 0 for l, cell in zip(lessons, cells)]
                rows.append(csv_row(spreadsheet_safe(learner.name), scores, self._totals(learner)[1]))
        return rows
