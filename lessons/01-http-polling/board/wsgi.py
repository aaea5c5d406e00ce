"""Set up Django for the board and return its WSGI application."""

from pathlib import Path

from workshop.django_support import wsgi_application


def application_for(exercise_dir) -> object:
    """Django's WSGI app with the learner's code taken from ``exercise_dir``."""
    return wsgi_application(Path(__file__).resolve().parent.parent, exercise_dir, "board.settings")
