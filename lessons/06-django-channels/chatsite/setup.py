"""Start Django outside ``manage.py`` and Daphne, and create the database tables.

Daphne imports ``chatsite.asgi``, which sets Django up the usual way. The checker, the
notebook and the benchmark import the learner's ``consumers.py`` directly instead, and that
file imports models at the top, as Django code does; ``chat/__init__.py`` calls
``ensure_django()`` so that works too.
"""

from __future__ import annotations

import fcntl
import os


def ensure_django() -> None:
    """``django.setup()`` with ``chatsite.settings`` unless Django is already set up (or setting up)."""
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "chatsite.settings")
    from django.apps import apps

    if apps.ready or apps.loading:
        return
    import django

    django.setup(set_prefix=False)


_migrated: set[str] = set()


def ensure_schema() -> None:
    """Create or update the tables (``manage.py migrate``) once per database file.

    Several Daphne processes may share one SQLite file and start together: a file lock makes
    them migrate one after the other (the second finds nothing to do).
    """
    ensure_django()
    from django.conf import settings
    from django.core.management import call_command

    name = str(settings.DATABASES["default"]["NAME"])
    if name in _migrated:
        return
    with open(name + ".lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        try:
            call_command("migrate", verbosity=0, interactive=False)
        finally:
            fcntl.flock(lock, fcntl.LOCK_UN)
    _migrated.add(name)
