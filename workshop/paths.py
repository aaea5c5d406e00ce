"""Where things are: the repository, its lessons, and a lesson's folder in any tree.

Lesson ``NN`` uses the same folder name (``NN-slug``) under ``lessons/``, ``exercises/`` and
``solutions/``; these helpers are the one place that knows it.
"""

from __future__ import annotations

from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parent.parent
LESSONS = REPO_ROOT / "lessons"
EXERCISES = REPO_ROOT / "exercises"
SOLUTIONS = REPO_ROOT / "solutions"


def lesson_dir(slug: str) -> Path:
    """The lesson's own folder (text, notebooks and scaffolding)."""
    return LESSONS / slug


def relative(path: Path) -> str:
    """``path`` relative to the repository when it is inside it, for messages."""
    try:
        return str(Path(path).resolve().relative_to(REPO_ROOT))
    except ValueError:
        return str(path)
