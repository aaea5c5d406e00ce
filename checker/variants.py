"""Which variant of an exercise a learner grades, remembered between runs.

Some exercises can be done in more than one way: lesson 05's sidecar in Python (``sidecar.py``)
or in Node.js (``sidecar.js``), the talk's "another framework beside Django". The learner picks
one (``python -m checker pick 05 node``); the same checks then grade that one, for the same
points, so a room where some chose Node.js still compares like with like. ``--variant`` on a
single run overrides the choice without changing it.

The choice lives in the checker's state folder (``variants.json``: ``{"05": "node"}``), never
in the learner's files, like the hint ladders (``checker.hints``).
"""

from __future__ import annotations

import json
from pathlib import Path

from checker.catalog import CatalogError, Lesson

FILE_NAME = "variants.json"


def _read(state_dir: Path) -> dict[str, str]:
    try:
        raw = json.loads((Path(state_dir) / FILE_NAME).read_text())
    except (OSError, ValueError):
        return {}
    return {str(k): str(v) for k, v in raw.items()} if isinstance(raw, dict) else {}


def chosen(state_dir: Path, lesson: Lesson) -> str:
    """The variant the learner picked for ``lesson``; the first one when none (or a stale name) is stored."""
    if not lesson.variants:
        return ""
    name = _read(state_dir).get(lesson.id, "")
    return name if lesson.variant_named(name) else lesson.variants[0].name


def choose(state_dir: Path, lesson: Lesson, name: str) -> None:
    """Remember ``name`` for ``lesson`` (``CatalogError`` when the lesson has no such variant)."""
    lesson.for_variant(name)  # validates
    choices = _read(state_dir)
    choices[lesson.id] = name
    path = Path(state_dir) / FILE_NAME
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(choices, indent=1))


def apply(lessons: list[Lesson], state_dir: Path, override: str | None = None) -> list[Lesson]:
    """The lessons, each set to grade its chosen variant (``override`` for those that have it).

    An ``override`` that none of ``lessons`` has is a usage error, said in words.
    """
    if override and not any(lesson.variant_named(override) for lesson in lessons):
        with_variants = [f"{l.id}: {', '.join(v.name for v in l.variants)}" for l in lessons if l.variants]
        raise CatalogError(f"no exercise here has a variant {override!r}"
                           + (f" (variants: {'; '.join(with_variants)})" if with_variants else
                              " (none of these exercises has variants)"))
    return [lesson.for_variant(override if override and lesson.variant_named(override)
                               else chosen(state_dir, lesson)) if lesson.variants else lesson
            for lesson in lessons]


def describe(lesson: Lesson, picked: str = "") -> str:
    """One line for the report: which variant is graded, and how to switch ("" without variants).

    ``picked``: the learner's stored choice; when this run graded another (``--variant``), the line
    says so instead of suggesting to pick what is already picked.
    """
    if not lesson.variants:
        return ""
    current = lesson.variant_named(lesson.variant) or lesson.variants[0]
    if picked and picked != current.name:
        return f"graded: {current.title}, this run only (--variant); your pick stays {picked}"
    others = [v for v in lesson.variants if v.name != current.name]
    switch = "; ".join(f"to grade {v.title} instead: python -m checker pick {lesson.id} {v.name}" for v in others)
    return f"graded: {current.title}" + (f"; {switch}" if switch else "")
