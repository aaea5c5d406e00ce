"""How the demo, the checker and the benchmark start the chat site: real Daphne, in a subprocess.

The command is the one you would type yourself::

    PYTHONPATH=exercises/06-django-channels:lessons/06-django-channels:. \\
        daphne -b 127.0.0.1 -p 8006 chatsite.asgi:application
"""

from __future__ import annotations

import sys
from pathlib import Path

LESSON_DIR = Path(__file__).resolve().parent.parent
REPO_ROOT = LESSON_DIR.parent.parent
if str(REPO_ROOT) not in sys.path:
    sys.path.insert(0, str(REPO_ROOT))

from workshop import channels_support  # noqa: E402


def daphne_argv(port: int, host: str = "127.0.0.1", *, access_log: bool = True) -> list[str]:
    """``python -m daphne -b HOST -p PORT chatsite.asgi:application`` with this interpreter."""
    return channels_support.daphne_argv("chatsite.asgi:application", port, host, access_log=access_log)


def daphne_env(exercise_dir: Path, *, redis_url: str | None = None, db_path: str | None = None,
               base: dict | None = None) -> dict[str, str]:
    """The environment: the learner's folder first on PYTHONPATH, then the lesson, then the repository.

    ``redis_url`` switches the channel layer to Redis; ``db_path`` shares a database file.
    """
    env = channels_support.lesson_env(LESSON_DIR, exercise_dir, "chatsite.settings", base)
    if redis_url:
        env["WORKSHOP_REDIS_URL"] = redis_url
    else:
        env.pop("WORKSHOP_REDIS_URL", None)
    if db_path:
        env["WORKSHOP_CHAT_DB"] = db_path
    return env
