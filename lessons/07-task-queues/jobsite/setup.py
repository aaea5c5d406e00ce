"""Start Django outside Daphne and the worker (the checker, the benchmark, a shell)."""

from __future__ import annotations

import os


def ensure_django() -> None:
    """``django.setup()`` with ``jobsite.settings`` unless Django is already set up (or setting up)."""
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "jobsite.settings")
    from django.apps import apps

    if apps.ready or apps.loading:
        return
    import django

    django.setup(set_prefix=False)
