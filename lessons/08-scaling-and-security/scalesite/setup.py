"""Set Django up outside Daphne and create the tables, once per database file (file-locked,
because several Daphne processes start together and share one SQLite file)."""

from __future__ import annotations

from workshop import channels_support

SETTINGS = "scalesite.settings"


def ensure_django() -> None:
    channels_support.ensure_django(SETTINGS)


def ensure_schema() -> None:
    channels_support.ensure_schema(SETTINGS)
