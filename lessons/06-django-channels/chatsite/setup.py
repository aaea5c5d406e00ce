"""Start Django outside ``manage.py`` and Daphne, and create the database tables.

Daphne imports ``chatsite.asgi``, which sets Django up the usual way. The checker, the
notebook and the benchmark import the learner's ``consumers.py`` directly instead, and that
file imports models at the top, as Django code does; ``chat/__init__.py`` calls
``ensure_django()`` so that works too.
"""

from __future__ import annotations

from workshop import channels_support

SETTINGS = "chatsite.settings"


def ensure_django() -> None:
    """``django.setup()`` with ``chatsite.settings`` unless Django is already set up (or setting up)."""
    channels_support.ensure_django(SETTINGS)


def ensure_schema() -> None:
    """Create or update the tables once per database file (file-locked: Daphnes start together)."""
    channels_support.ensure_schema(SETTINGS)
