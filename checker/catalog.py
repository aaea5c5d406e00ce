"""The lesson records: every ``lessons/NN-slug/lesson.toml`` read into small frozen dataclasses.

One file per lesson holds everything the lesson *is*: number, slug, title, the summary line of
the root README's table, its timing, the learner's files, its ports and launcher, its rings,
its checks (points, time limits, groups, hint ladders) and its progressive hints. The checker,
the generated tables of the READMEs (``checker.docs``) and the schedules all read it, so they
cannot disagree. The format is described in ``checker/AUTHORING.md``.
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass, replace
from pathlib import Path

from workshop import paths

RECORD_NAME = "lesson.toml"
DEFAULT_TIMEOUT = 10.0
BROWSER_RING = "browser"


@dataclass(frozen=True)
class Check:
    name: str
    title: str
    points: int
    timeout: float
    ring: str
    hints: tuple[str, ...]  # a ladder: a question first, then the concept, then the recipe
    browser: bool
    group: str  # checks of one group share a grading process; groups run side by side
    #: (variant, ladder) pairs: the ladder a learner of that variant climbs instead (05: Node.js)
    variant_hints: tuple[tuple[str, tuple[str, ...]], ...] = ()
    #: "file.py:function" (or "file.py:Class.method"): the learner's function this check calls
    #: first. While it is still a stub, a learner's (staged) run fails the check from the source,
    #: with the usual "not written yet", without starting a grading process for it.
    needs: tuple[str, ...] = ()

    @property
    def hint(self) -> str:
        """The first rung: what a failing run shows without being asked."""
        return self.hints[0] if self.hints else ""


@dataclass(frozen=True)
class Ring:
    name: str
    title: str


@dataclass(frozen=True)
class Variant:
    """One way to do a lesson's exercise (05: the sidecar in Python or in Node.js); the learner picks one.

    The same checks grade every variant: a check reads ``ctx.lesson.variant`` to know which
    program to start. ``files`` are the variant's own files; files no variant names are shared.
    """

    name: str
    title: str
    files: tuple[str, ...]
    hints: tuple[str, ...] = ()  # the lesson's progressive hints for this variant (else the record's)
    requires: str = ""  # a program it needs on PATH ("node"): ``pick`` warns when it is missing


@dataclass(frozen=True)
class TimingPart:
    part: str
    minutes: int


@dataclass(frozen=True)
class Lesson:
    id: str
    slug: str
    title: str
    summary: str
    files: tuple[str, ...]
    hints: tuple[str, ...]
    timing: tuple[TimingPart, ...]
    rings: tuple[Ring, ...]
    checks: tuple[Check, ...]
    ports: tuple[str, ...]  # names of the ports its launcher needs, in order
    variants: tuple[Variant, ...] = ()  # the first is the default
    variant: str = ""  # the variant this copy of the record grades (``for_variant``); "" when none
    warm_servers: tuple[str, ...] = ()  # ``python -m`` entry points its launcher starts, forked warm when grading

    @property
    def max_score(self) -> int:
        return sum(check.points for check in self.checks)

    @property
    def minutes(self) -> int:
        return sum(part.minutes for part in self.timing)

    @property
    def checks_module(self) -> str:
        return "checker.checks.ex" + self.slug.replace("-", "_")

    @property
    def lesson_dir(self) -> Path:
        return paths.lesson_dir(self.slug)

    def exercise_dir(self, target: Path) -> Path:
        """This lesson's folder in a tree laid out like ``exercises/``."""
        return paths.exercise_dir(target, self.slug)

    @property
    def graded_files(self) -> tuple[str, ...]:
        """The learner's files this grading reads: the shared ones and the chosen variant's."""
        chosen = self.variant or (self.variants[0].name if self.variants else "")  # "": the default one
        others = {f for v in self.variants if v.name != chosen for f in v.files}
        return tuple(f for f in self.files if f not in others)

    def for_variant(self, name: str | None = None) -> "Lesson":
        """This record set to grade variant ``name`` (default: the first), with its hint ladders."""
        if not self.variants:
            if name:
                raise CatalogError(f"exercise {self.id} has no variants; drop --variant {name}")
            return self
        names = [v.name for v in self.variants]
        name = name or names[0]
        if name not in names:
            raise CatalogError(f"exercise {self.id} has no variant {name!r}; pick one of: {', '.join(names)}")
        checks = tuple(replace(c, hints=dict(c.variant_hints).get(name, c.hints)) for c in self.checks)
        return replace(self, checks=checks, variant=name, hints=self.variant_named(name).hints or self.hints)

    def variant_named(self, name: str) -> Variant | None:
        return next((v for v in self.variants if v.name == name), None)

    def check(self, name: str) -> Check:
        for check in self.checks:
            if check.name == name:
                return check
        raise KeyError(name)


class CatalogError(ValueError):
    pass


def _hints(raw: dict) -> tuple[str, ...]:
    hints = raw.get("hints", raw.get("hint", ()))
    return (hints,) if isinstance(hints, str) else tuple(hints)


def read_record(path: Path) -> Lesson:
    """One lesson record; ``CatalogError`` says which file and key is wrong."""
    try:
        raw = tomllib.loads(path.read_text(encoding="utf-8"))
    except tomllib.TOMLDecodeError as err:
        raise CatalogError(f"{paths.relative(path)}: {err}") from None
    try:
        rings = tuple(Ring(r["name"], r.get("title", r["name"])) for r in raw.get("ring", ()))
        ring_names = {ring.name for ring in rings}
        checks = []
        for c in raw.get("check", ()):
            browser = bool(c.get("browser", False))
            ring = c.get("ring") or (BROWSER_RING if browser else "main")
            if rings and ring not in ring_names:
                raise CatalogError(f"{paths.relative(path)}: check {c['name']!r} names ring {ring!r}, "
                                   f"which the record does not declare ({', '.join(sorted(ring_names))})")
            checks.append(Check(name=c["name"], title=c.get("title", c["name"]), points=int(c["points"]),
                                timeout=float(c.get("timeout", DEFAULT_TIMEOUT)), ring=ring, hints=_hints(c),
                                browser=browser, group=c.get("group") or ("browser" if browser else "main"),
                                variant_hints=tuple((k, tuple(v)) for k, v in c.get("variant_hints", {}).items()),
                                needs=tuple(c.get("needs", ()))))
            malformed = [need for need in checks[-1].needs if need.count(":") != 1 or not need.split(":")[0]]
            if malformed:
                raise CatalogError(f"{paths.relative(path)}: check {c['name']!r}: needs {malformed} should read "
                                   "'file.py:function'")
        variants = tuple(Variant(v["name"], v.get("title", v["name"]), tuple(v.get("files", ())), _hints(v),
                                 v.get("requires", "")) for v in raw.get("variant", ()))
        unknown = {k for c in checks for k, _ in c.variant_hints} - {v.name for v in variants}
        if unknown:
            raise CatalogError(f"{paths.relative(path)}: variant_hints for undeclared variants: {sorted(unknown)}")
        lesson = Lesson(id=raw["number"], slug=raw["slug"], title=raw["title"], summary=raw.get("summary", ""),
                        files=tuple(raw["files"]), hints=_hints(raw),
                        timing=tuple(TimingPart(t["part"], int(t["minutes"])) for t in raw.get("timing", ())),
                        rings=rings or (Ring("main", "main"),), checks=tuple(checks),
                        ports=tuple(raw.get("ports", ())), variants=variants,
                        warm_servers=tuple(raw.get("warm_servers", ())))
    except KeyError as missing:
        raise CatalogError(f"{paths.relative(path)}: a required key is missing: {missing}") from None
    if lesson.slug != path.parent.name:
        raise CatalogError(f"{paths.relative(path)}: slug {lesson.slug!r} differs from its folder's name")
    return lesson


def load(lessons_root: Path = paths.LESSONS) -> list[Lesson]:
    """Every lesson that has a record, in lesson order."""
    return [read_record(path) for path in sorted(lessons_root.glob(f"*/{RECORD_NAME}"))]


def find(lessons: list[Lesson], selector: str) -> Lesson | None:
    """A lesson by number ("3", "03"), id or slug ("03-websocket-handshake")."""
    wanted = selector.strip().rstrip("/").split("/")[-1]
    for lesson in lessons:
        if wanted in (lesson.id, lesson.slug) or (wanted.isdigit() and lesson.id.isdigit()
                                                    and int(wanted) == int(lesson.id)):
            return lesson
    return None
