"""Tables generated from the lesson records, so the READMEs cannot drift from them.

``python -m checker.docs --write`` rewrites every generated block; ``python -m checker.docs``
prints what is out of date (a test runs it). A block sits between two markers::

    <!-- generated:NAME -->
    ...
    <!-- /generated:NAME -->

Blocks: ``lessons`` (the root README's lesson table), and in each lesson README ``timing`` and
``checks``; each lesson README's first line is its ``# NN · title`` heading.
"""

from __future__ import annotations

import re
import sys
from pathlib import Path

from checker import catalog
from workshop import paths

ROOT_README = paths.REPO_ROOT / "README.md"


def lessons_table(lessons) -> str:
    rows = ["| # | lesson | what you build and see | minutes |", "|---|---|---|---|"]
    rows += [f"| {l.id} | [{l.title}](lessons/{l.slug}/README.md) | {l.summary} | {l.minutes} |" for l in lessons]
    return "\n".join(rows)


def timing_table(lesson) -> str:
    rows = ["| part | minutes |", "|---|---|"]
    rows += [f"| {t.part} | {t.minutes} |" for t in lesson.timing]
    rows.append(f"| **Total** | **{lesson.minutes}** |")
    return "\n".join(rows)


def checks_table(lesson) -> str:
    rings = {ring.name: ring.title for ring in lesson.rings}
    rows = [f"Grade your work with `python -m checker {lesson.id}`. The checks, from the inside out "
            "(an outer ring is graded once the rings inside it pass):", "",
            "| ring | check | points | what it checks |", "|---|---|---|---|"]
    rows += [f"| {c.ring} | `{c.name}` | {c.points} | {c.title} |" for c in lesson.checks]
    rows.append(f"| | **total** | **{lesson.max_score}** | |")
    rows += ["", "Rings: " + "; ".join(f"**{name}**, {title}" for name, title in rings.items()) + "."]
    return "\n".join(rows)


def heading(lesson) -> str:
    return f"# {lesson.id} · {lesson.title}"


def replace_block(text: str, name: str, body: str) -> str:
    """``text`` with the block ``name`` holding ``body``; ``ValueError`` when the markers are missing."""
    pattern = re.compile(rf"(<!-- generated:{name} -->\n)(?:.*?\n)?(<!-- /generated:{name} -->)", re.S)
    if not pattern.search(text):
        raise ValueError(f"no <!-- generated:{name} --> block")
    return pattern.sub(lambda m: m.group(1) + body.rstrip("\n") + "\n" + m.group(2), text, count=1)


def rendered(lessons) -> dict[Path, str]:
    """Every generated file as it should read now."""
    out: dict[Path, str] = {}
    out[ROOT_README] = replace_block(ROOT_README.read_text(encoding="utf-8"), "lessons", lessons_table(lessons))
    for lesson in lessons:
        path = lesson.lesson_dir / "README.md"
        text = path.read_text(encoding="utf-8")
        first, _, rest = text.partition("\n")
        text = heading(lesson) + "\n" + rest
        text = replace_block(text, "timing", timing_table(lesson))
        text = replace_block(text, "checks", checks_table(lesson))
        out[path] = text
    return out


def stale(lessons=None) -> list[Path]:
    """Files whose generated parts differ from the records."""
    lessons = catalog.load() if lessons is None else lessons
    return [path for path, text in rendered(lessons).items() if path.read_text(encoding="utf-8") != text]


def main(argv: list[str]) -> int:
    lessons = catalog.load()
    if "--write" in argv:
        for path, text in rendered(lessons).items():
            if path.read_text(encoding="utf-8") != text:
                path.write_text(text, encoding="utf-8")
                print(f"rewrote {paths.relative(path)}")
        return 0
    out_of_date = stale(lessons)
    for path in out_of_date:
        print(f"{paths.relative(path)} differs from the lesson records: run python -m checker.docs --write")
    return 1 if out_of_date else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
