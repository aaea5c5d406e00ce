"""Set up Django for the board and return its WSGI application."""

from pathlib import Path

from workshop.django_support import wsgi_application


def application_for(exercise_dir) -> object:
    """Django's WSGI app with the learner's code taken from ``exercise_dir``.

    The folder is kept in the settings (``EXERCISE_DIR``): the views load the learner's
    ``polling.py`` and ``poll_client.js`` from there, never from the environment.
    """
    application = wsgi_application(Path(__file__).resolve().parent.parent, exercise_dir, "board.settings")
    from django.conf import settings

    settings.EXERCISE_DIR = Path(exercise_dir).resolve()
    return application
