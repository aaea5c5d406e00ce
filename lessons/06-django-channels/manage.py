#!/usr/bin/env python
"""Django's command line for lesson 06, serving the exercise folder you name (default: yours).

    python lessons/06-django-channels/manage.py runserver 8006   # Daphne's runserver: ASGI, WebSockets, autoreload
    python lessons/06-django-channels/manage.py shell            # try the ORM and the channel layer
    python lessons/06-django-channels/manage.py --exercise-dir solutions/06-django-channels runserver 8006

``--exercise-dir`` (first) chooses the folder whose consumers.py and routing.py are served.
"""

import os
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent

if __name__ == "__main__":
    sys.path[:0] = [str(HERE), str(HERE.parent.parent)]  # the lesson (chatsite, chat), the repository
    from workshop import paths

    exercise_dir, argv = paths.learner_exercise_dir(HERE.name), list(sys.argv)
    if argv[1:2] == ["--exercise-dir"]:
        exercise_dir = Path(argv[2]).resolve()
        del argv[1:3]  # sys.argv keeps it: runserver's autoreloader restarts with sys.argv
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "chatsite.settings")
    import chatsite.asgi

    chatsite.asgi.configure(exercise_dir)  # the learner's folder first on sys.path; the tables exist
    from django.core.management import execute_from_command_line

    execute_from_command_line(argv)
