"""The exercise catalog: ``checker/catalog.toml`` read into small frozen dataclasses.

One file holds every exercise's id, slug, title, learner files, checks (with points,
time limits and hints) and progressive hints, as rustlings' ``info.toml`` does.
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass
from pathlib import Path

CATALOG_PATH = Path(__file__).with_name("catalog.toml")
DEFAULT_TIMEOUT = 10.0


@dataclass(frozen=True)
class Check:
    name: str
    title: str
    points: int
    timeout: float
    hint: str
    browser: bool
    group: str  # checks of one group share a worker; groups run side by side


@dataclass(frozen=True)
class Exercise:
    id: str
    slug: str
    title: str
    files: tuple[str, ...]
    hints: tuple[str, ...]
    checks: tuple[Check, ...]

    @property
    def max_score(self) -> int:
        return sum(check.points for check in self.checks)

    @property
    def checks_module(self) -> str:
        return "checker.checks.ex" + self.slug.replace("-", "_")

    def check(self, name: str) -> Check:
        for check in self.checks:
            if check.name == name:
                return check
        raise KeyError(name)


class CatalogError(ValueError):
    pass


def load(path: Path = CATALOG_PATH) -> list[Exercise]:
    data = tomllib.loads(path.read_text(encoding="utf-8"))
    exercises = []
    for raw in data.get("exercise", []):
        try:
            checks = tuple(
                Check(
                    name=c["name"],
                    title=c.get("title", c["name"]),
                    points=int(c["points"]),
                    timeout=float(c.get("timeout", DEFAULT_TIMEOUT)),
                    hint=c.get("hint", ""),
                    browser=bool(c.get("browser", False)),
                    group=c.get("group") or ("browser" if c.get("browser") else "main"),
                )
                for c in raw.get("check", [])
            )
            exercises.append(Exercise(id=raw["id"], slug=raw["slug"], title=raw["title"],
                                      files=tuple(raw["files"]), hints=tuple(raw.get("hints", ())), checks=checks))
        except KeyError as missing:
            raise CatalogError(f"{path}: an exercise entry lacks the key {missing}") from None
    return exercises


def find(exercises: list[Exercise], selector: str) -> Exercise | None:
    """An exercise by number ("3", "03"), id or slug ("03-websocket-handshake")."""
    wanted = selector.strip().rstrip("/").split("/")[-1]
    for exercise in exercises:
        if wanted in (exercise.id, exercise.slug) or (wanted.isdigit() and int(wanted) == int(exercise.id)):
            return exercise
    return None
