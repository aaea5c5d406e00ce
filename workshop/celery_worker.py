"""Run a lesson's Celery worker on the learner's code, handed its exercise folder explicitly.

``celery -A jobsite worker`` finds the tasks through ``sys.path``, which leaves only the
environment to say *whose* ``tasks.py`` to run. This entry point takes the folder on its command
line instead, puts it first on ``sys.path`` and starts the worker in this process::

    python -m workshop.celery_worker --lesson-dir lessons/07-task-queues \\
        --exercise-dir exercises/07-task-queues --settings jobsite.settings --app jobsite.celery:app \\
        -- --pool=solo --loglevel=INFO

Everything after ``--`` goes to ``celery worker``. The worker listens on no port: it is ready
when its log says ``celery@host ready.`` (``READY_LINE``, the ready-when test of the launchers).
"""

from __future__ import annotations

import argparse
import importlib
import os
import sys
from pathlib import Path

READY_LINE = r"@\S+ ready\."


# Safe to import before a fork (workshop.server_forks): no thread, socket, event loop at import
# (the worker's own pool and connections are made in main()).
WARM_IMPORTS = ("django", "celery", "celery.apps.worker", "celery.bin.worker", "celery.worker",
                "celery.backends.redis", "kombu.transport.redis", "redis", "channels.layers", "channels_redis.core")


def argv(lesson_dir: Path, exercise_dir: Path, settings: str, app: str, worker_options: list[str]) -> list[str]:
    """The command line of a worker for ``app`` (``module:attribute``) on this interpreter (``-P``)."""
    return [sys.executable, "-P", "-m", "workshop.celery_worker", "--lesson-dir", str(lesson_dir),
            "--exercise-dir", str(exercise_dir), "--settings", settings, "--app", app, "--", *worker_options]


def main(args: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--lesson-dir", type=Path, required=True)
    parser.add_argument("--exercise-dir", type=Path, required=True)
    parser.add_argument("--settings", required=True, help="Django settings module, e.g. jobsite.settings")
    parser.add_argument("--app", required=True, help="module:attribute of the Celery application")
    parser.add_argument("worker_options", nargs=argparse.REMAINDER, help="options for `celery worker`, after --")
    options = parser.parse_args(args)
    repo_root = Path(__file__).resolve().parent.parent
    for folder in (repo_root, options.lesson_dir.resolve(), options.exercise_dir.resolve()):
        sys.path.insert(0, str(folder))  # the learner's folder ends up first
    os.environ["DJANGO_SETTINGS_MODULE"] = options.settings  # before the app reads its configuration
    module_name, _, attribute = options.app.partition(":")
    app = getattr(importlib.import_module(module_name), attribute)
    extra = [o for o in options.worker_options if o != "--"]
    app.worker_main(["worker", *extra])
    return 0


if __name__ == "__main__":
    sys.exit(main())
