"""The grading pipeline's vocabulary, in one place: statuses, the exceptions a check raises,
the spec a grading process is started with, the events it sends back, and the results.

    runner (checker.runner) --WorkerSpec--> grading process (checker.worker)
    grading process --Started / Step / Finished / LoadFailed / Done--> runner
    runner --> ExerciseResult(CheckResult...) --> report (people) / to_dict() (--json)

Events travel as one JSON object per line on a pipe; ``encode``/``decode`` are the only code
that knows their wire form, and ``to_dict`` the only code that knows the documented JSON shape.
"""

from __future__ import annotations

import enum
import json
import os
from dataclasses import asdict, dataclass, field
from pathlib import Path


class Status(str, enum.Enum):
    PASS = "pass"
    FAIL = "fail"
    ERROR = "error"
    TIMEOUT = "timeout"
    SKIP = "skip"  # could not run here (no browser); never a failure except under CI=true
    WAITING = "waiting"  # staged grading: an inner ring fails, so this one was not run

    def __str__(self) -> str:  # f-strings and JSON show "pass", not "Status.PASS"
        return self.value

    @property
    def is_problem(self) -> bool:
        return self in (Status.FAIL, Status.ERROR, Status.TIMEOUT)


#: An exercise's status is its worst check's, in this order.
SEVERITY = (Status.ERROR, Status.TIMEOUT, Status.FAIL)


def overall_status(statuses) -> Status:
    found = set(statuses)
    if Status.WAITING in found and not any(s in found for s in SEVERITY):
        return Status.FAIL
    return next((s for s in SEVERITY if s in found), Status.PASS)


class CheckFailed(Exception):
    """Raise with a message for the learner: what happened, what was expected, what to do next."""


class CheckSkipped(Exception):
    """The check could not run on this machine (for example, no browser)."""


def timeout_scale() -> float:
    """``CHECKER_TIMEOUT_SCALE``: multiplies every time limit (a slow laptop may want 2)."""
    try:
        value = float(os.environ.get("CHECKER_TIMEOUT_SCALE", "1"))
    except ValueError:
        return 1.0
    return value if value > 0 else 1.0


# -- runner -> grading process ---------------------------------------------------------------
@dataclass(frozen=True)
class WorkerSpec:
    """What one grading process grades: which checks of which lesson, in which folder."""

    lesson: str  # the lesson's number
    exercise_dir: Path  # computed once by the runner (paths.exercise_dir), never read back
    checks: tuple[str, ...]
    timeout_scale: float
    fd: int  # the pipe the events go to
    variant: str = ""  # the exercise's variant (the record's ``[[variant]]``), "" for its default
    browser: str = ""  # a running Chromium's DevTools URL (``checker.shared_browser``), "" to launch one

    def encode(self) -> str:
        return json.dumps({**asdict(self), "exercise_dir": str(self.exercise_dir), "checks": list(self.checks)})

    @classmethod
    def decode(cls, text: str) -> "WorkerSpec":
        raw = json.loads(text)
        return cls(lesson=raw["lesson"], exercise_dir=Path(raw["exercise_dir"]), checks=tuple(raw["checks"]),
                   timeout_scale=float(raw["timeout_scale"]), fd=int(raw["fd"]), variant=raw.get("variant", ""),
                   browser=raw.get("browser", ""))


# -- grading process -> runner ---------------------------------------------------------------
@dataclass(frozen=True)
class Started:
    check: str


@dataclass(frozen=True)
class Step:
    text: str


@dataclass(frozen=True)
class Finished:
    check: str
    status: Status
    message: str
    seconds: float


@dataclass(frozen=True)
class LoadFailed:
    """The learner's files could not be imported: every pending check gets this status and message."""

    status: Status
    message: str


@dataclass(frozen=True)
class Done:
    pass


Event = Started | Step | Finished | LoadFailed | Done
_EVENTS = {cls.__name__: cls for cls in (Started, Step, Finished, LoadFailed, Done)}


def encode(event: Event) -> str:
    return json.dumps({"event": type(event).__name__, **{k: str(v) if isinstance(v, Status) else v
                                                          for k, v in asdict(event).items()}})


def decode(line: bytes | str) -> Event:
    raw = json.loads(line)
    cls = _EVENTS[raw.pop("event")]
    if "status" in raw:
        raw["status"] = Status(raw["status"])
    return cls(**raw)


# -- results -------------------------------------------------------------------------------
@dataclass
class CheckResult:
    name: str
    title: str
    status: Status
    points: int
    message: str
    hint: str = ""  # the hint rung shown with this result ("" when it passed)
    seconds: float | None = None
    ring: str = ""
    hint_rung: int = 0  # which rung of the check's ladder ``hint`` is (1 = the question); 0 = none

    @property
    def score(self) -> int:
        return self.points if self.status is Status.PASS else 0

    def to_dict(self) -> dict:
        return {"name": self.name, "title": self.title, "status": str(self.status), "points": self.points,
                "score": self.score, "message": self.message, "hint": self.hint, "seconds": self.seconds,
                "ring": self.ring, "hint_rung": self.hint_rung}


@dataclass
class ExerciseResult:
    id: str
    slug: str
    title: str
    checks: list[CheckResult] = field(default_factory=list)
    seconds: float = 0.0
    variant: str = ""  # which variant was graded (lesson 05: "python" or "node"), "" when it has none

    @property
    def status(self) -> Status:
        return overall_status(c.status for c in self.checks)

    @property
    def complete(self) -> bool:
        """Passed with every check run: a check skipped here (no browser, no node) has proved nothing yet."""
        return self.status is Status.PASS and not any(c.status is Status.SKIP for c in self.checks)

    @property
    def score(self) -> int:
        return sum(c.score for c in self.checks)

    @property
    def max_score(self) -> int:
        return sum(c.points for c in self.checks)

    def to_dict(self) -> dict:
        return {"id": self.id, "slug": self.slug, "title": self.title, "status": str(self.status),
                "score": self.score, "max_score": self.max_score, "seconds": self.seconds,
                "checks": [c.to_dict() for c in self.checks], **({"variant": self.variant} if self.variant else {})}


def report_dict(target: Path, results: list[ExerciseResult]) -> dict:
    """The ``--json`` document (its shape is documented in the README)."""
    passes = all(r.status is Status.PASS for r in results)
    return {"target": str(target), "status": "pass" if passes else "fail",
            "score": sum(r.score for r in results), "max_score": sum(r.max_score for r in results),
            "exercises": [r.to_dict() for r in results]}
