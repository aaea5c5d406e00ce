"""How the demo, the checker and the benchmark start the chat site: real Daphne, in a subprocess.

The command is the one you would type yourself::

    PYTHONPATH=exercises/06-django-channels:lessons/06-django-channels:. \\
        daphne -b 127.0.0.1 -p 8006 chatsite.asgi:application
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

LESSON_DIR = Path(__file__).resolve().parent.parent
REPO_ROOT = LESSON_DIR.parent.parent


def daphne_argv(port: int, host: str = "127.0.0.1", *, access_log: bool = True) -> list[str]:
    """``python -m daphne -b HOST -p PORT chatsite.asgi:application`` with this interpreter."""
    argv = [sys.executable, "-m", "daphne", "-b", host, "-p", str(port)]
    if not access_log:
        argv += ["-v", "0"]
    return argv + ["chatsite.asgi:application"]


def daphne_env(exercise_dir: Path, *, redis_url: str | None = None, db_path: str | None = None,
               base: dict | None = None) -> dict[str, str]:
    """The environment: the learner's folder first on PYTHONPATH, then the lesson, then the repository.

    ``redis_url`` switches the channel layer to Redis; ``db_path`` shares a database file.
    """
    env = dict(os.environ if base is None else base)
    exercise_dir = Path(exercise_dir).resolve()
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(exercise_dir), str(LESSON_DIR), str(REPO_ROOT),
                                                      env.get("PYTHONPATH")]))
    env["WORKSHOP_EXERCISE_DIR"] = str(exercise_dir)
    env["DJANGO_SETTINGS_MODULE"] = "chatsite.settings"
    env["PYTHONUNBUFFERED"] = "1"
    if redis_url:
        env["WORKSHOP_REDIS_URL"] = redis_url
    else:
        env.pop("WORKSHOP_REDIS_URL", None)
    if db_path:
        env["WORKSHOP_CHAT_DB"] = db_path
    return env
