"""Start Django outside Daphne and the worker (the checker, the benchmark, a shell)."""

from __future__ import annotations

from workshop import channels_support


def ensure_django() -> None:
    """``django.setup()`` with ``jobsite.settings`` unless Django is already set up (or setting up)."""
    channels_support.ensure_django("jobsite.settings")
