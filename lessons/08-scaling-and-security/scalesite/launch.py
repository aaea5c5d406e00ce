"""How the demo, the checker and the benchmark start one backend: real Daphne in a subprocess::

    WORKSHOP_BACKEND_NAME=daphne-1 WORKSHOP_REDIS_URL=redis://127.0.0.1:6379/0 \\
    PYTHONPATH=exercises/08-scaling-and-security:lessons/08-scaling-and-security:. \\
        daphne -b 127.0.0.1 -p 8101 scalesite.asgi:application
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
    return channels_support.daphne_argv("scalesite.asgi:application", port, host, access_log=access_log)


def daphne_env(exercise_dir: Path, *, name: str, redis_url: str, db_path: str, allowed_origins: list[str],
               layer: str = "redis", extra: dict | None = None) -> dict[str, str]:
    """The environment of one backend: the learner's folder first on PYTHONPATH, its name, Redis."""
    env = channels_support.lesson_env(LESSON_DIR, exercise_dir, "scalesite.settings")
    env.update({
        "WORKSHOP_BACKEND_NAME": name,
        "WORKSHOP_REDIS_URL": redis_url,
        "WORKSHOP_SCALE_DB": db_path,
        "WORKSHOP_ALLOWED_ORIGINS": ",".join(allowed_origins),
        "WORKSHOP_LAYER": layer,
    })
    env.update(extra or {})
    return env
