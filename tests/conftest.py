import os
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from checker import catalog  # noqa: E402
from tests.helpers import checker_json  # noqa: E402


@pytest.fixture(scope="session")
def exercises():
    return catalog.load()


@pytest.fixture(scope="session")
def solutions_report():
    """Every reference solution graded once per test session."""
    return checker_json("--target", "solutions")


@pytest.fixture(scope="session")
def pristine_report(tmp_path_factory):
    """The pristine exercises graded once per test session (state kept out of the repo)."""
    state = tmp_path_factory.mktemp("state")
    return checker_json(env={"WORKSHOP_STATE_DIR": str(state)})


@pytest.fixture
def state_dir(tmp_path, monkeypatch):
    monkeypatch.setenv("WORKSHOP_STATE_DIR", str(tmp_path / "state"))
    return {"WORKSHOP_STATE_DIR": str(tmp_path / "state")}


def browser_required() -> bool:
    return os.environ.get("CI", "").lower() in ("1", "true", "yes")


#: The environment before any test module was imported (collection may set Django up in-process).
CLEAN_ENVIRONMENT = dict(os.environ)
PROCESS_LOCAL = ("DJANGO_SETTINGS_MODULE",)


@pytest.fixture(autouse=True)
def _environment_restored():
    """Each test gets the environment as it was: a test (or a test module, at import) that sets
    Django up in this process puts ``DJANGO_SETTINGS_MODULE`` in the environment, and the servers,
    demos and scripts the next test starts would inherit another lesson's settings."""
    for name in PROCESS_LOCAL:
        if name not in CLEAN_ENVIRONMENT:
            os.environ.pop(name, None)  # Django, once set up here, no longer reads it
    saved = dict(os.environ)
    yield
    os.environ.clear()
    os.environ.update(saved)
