"""The checks of each lesson: ``checker/checks/exNN_slug`` (a module, or a package of modules by ring).

Each lesson's checks register themselves explicitly, in grading order, at the end of the module
(or the package's ``__init__``)::

    CHECKS = register(check_parse_cursor, check_messages_after, ...)

and the lesson record (``lessons/NN-slug/lesson.toml``) names the same checks: a test compares them.
"""

from __future__ import annotations

import importlib
from typing import Callable

CheckFunction = Callable[..., None]
PREFIX = "check_"


def register(*functions: CheckFunction) -> dict[str, CheckFunction]:
    """The checks by the name the lesson record uses (the function name without ``check_``)."""
    checks: dict[str, CheckFunction] = {}
    for function in functions:
        name = function.__name__
        if not name.startswith(PREFIX):
            raise ValueError(f"check functions are named check_<name>; got {name}")
        if name[len(PREFIX):] in checks:
            raise ValueError(f"{name} is registered twice")
        checks[name[len(PREFIX):]] = function
    return checks


def checks_of(lesson) -> dict[str, CheckFunction]:
    """The registered checks of ``lesson`` (a ``checker.catalog.Lesson``)."""
    return importlib.import_module(lesson.checks_module).CHECKS
