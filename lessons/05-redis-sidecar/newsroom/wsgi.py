"""Set up Django for the newsroom and return its WSGI application."""

from pathlib import Path

from workshop.django_support import wsgi_application


def application_for(exercise_dir) -> object:
    """Django's WSGI app with the learner's ``publish.py`` taken from ``exercise_dir``."""
    return wsgi_application(Path(__file__).resolve().parent.parent, exercise_dir, "newsroom.settings")
