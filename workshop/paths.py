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


def exercise_dir(target: Path, slug: str) -> Path:
    """Lesson ``slug``'s folder in ``target``, a tree laid out like ``exercises/`` (or ``solutions/``).

    The one function that knows the layout: the checker computes the folder here and hands it
    to everything else (worker, launchers, demos, servers) explicitly.
    """
    return Path(target).resolve() / slug


def learner_exercise_dir(slug: str) -> Path:
    """The learner's own folder for lesson ``slug``: the default of every demo and launcher."""
    return exercise_dir(EXERCISES, slug)
