"""Set Django up outside Daphne and create the tables, once per database file (file-locked,
because several Daphne processes start together and share one SQLite file)."""

from __future__ import annotations

import fcntl
import os

_migrated: set[str] = set()


def ensure_django() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "scalesite.settings")
    from django.apps import apps

    if apps.ready or apps.loading:
        return
    import django

    django.setup(set_prefix=False)


def ensure_schema() -> None:
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
