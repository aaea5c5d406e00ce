#!/usr/bin/env python
"""Django's command line for lesson 06, with your exercise folder on the path.

    python lessons/06-django-channels/manage.py runserver 8006   # Daphne's runserver: ASGI, WebSockets, autoreload
    python lessons/06-django-channels/manage.py shell            # try the ORM and the channel layer

``WORKSHOP_EXERCISE_DIR`` chooses another folder (e.g. solutions/06-django-channels).
"""

import os
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
REPO_ROOT = HERE.parent.parent

if __name__ == "__main__":
    exercise_dir = Path(os.environ.get("WORKSHOP_EXERCISE_DIR") or REPO_ROOT / "exercises" / HERE.name).resolve()
    os.environ["WORKSHOP_EXERCISE_DIR"] = str(exercise_dir)
    sys.path[:0] = [str(exercise_dir), str(HERE), str(REPO_ROOT)]
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "chatsite.settings")
    if "runserver" in sys.argv:  # a fresh database for this run: create its tables first
        from chatsite.setup import ensure_schema

        ensure_schema()
    from django.core.management import execute_from_command_line

    execute_from_command_line(sys.argv)
