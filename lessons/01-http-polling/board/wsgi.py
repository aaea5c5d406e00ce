"""Set up Django for the board and return its WSGI application."""

import os


def application_for(exercise_dir) -> object:
    """Django's WSGI app with the learner's code taken from ``exercise_dir``."""
    from pathlib import Path

    from workshop import learner

    learner.activate(Path(__file__).resolve().parent.parent, Path(exercise_dir))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "board.settings")
    import django
    from django.core.wsgi import get_wsgi_application

    django.setup(set_prefix=False)
    return get_wsgi_application()
