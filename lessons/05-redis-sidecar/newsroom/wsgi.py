"""Set up Django for the newsroom and return its WSGI application."""

from pathlib import Path

from workshop.django_support import wsgi_application


def application_for(exercise_dir, *, redis_url: str | None = None, sidecar_url: str | None = None,
                    secret_key: str | None = None) -> object:
    """Django's WSGI app with the learner's ``publish.py`` taken from ``exercise_dir``.

    The folder is kept in the settings (``EXERCISE_DIR``): the views load ``publish.py`` from
    there, never from the environment. ``redis_url`` and ``sidecar_url`` (where the pages open
    their socket) override the settings' defaults; the launcher passes both, and ``secret_key``,
    this run's random signing key (the sidecar gets the same one in a file).
    """
    application = wsgi_application(Path(__file__).resolve().parent.parent, exercise_dir, "newsroom.settings")
    from django.conf import settings

    settings.EXERCISE_DIR = Path(exercise_dir).resolve()
    if redis_url:
        settings.NEWSROOM_REDIS_URL = redis_url
    if sidecar_url:
        settings.NEWSROOM_SIDECAR_URL = sidecar_url
    if secret_key:
        settings.SECRET_KEY = secret_key
    return application
