"""Notebooks are code: every notebook under lessons/ executes in a fresh kernel, with real services."""

from __future__ import annotations

from pathlib import Path

import nbformat
import pytest
from nbclient import NotebookClient

from workshop import paths
from workshop.redis_server import RedisServer

NOTEBOOKS = sorted(paths.LESSONS.rglob("*.ipynb"))


@pytest.fixture(scope="module")
def redis_url():
    with RedisServer() as server:
        yield server.url


def test_there_are_notebooks():
    assert NOTEBOOKS, "lessons/ should hold at least one notebook"


@pytest.mark.parametrize("notebook", NOTEBOOKS, ids=[str(p.relative_to(paths.LESSONS)) for p in NOTEBOOKS])
def test_notebook_executes(notebook: Path, redis_url, monkeypatch):
    monkeypatch.setenv("WORKSHOP_REDIS_URL", redis_url)  # the kernel inherits it
    nb = nbformat.read(notebook, as_version=4)
    client = NotebookClient(nb, timeout=120, kernel_name="python3",
                            resources={"metadata": {"path": str(notebook.parent)}})
    client.execute()  # raises CellExecutionError, with the cell and its traceback, when a cell fails
    errors = [o for c in nb.cells if c.cell_type == "code" for o in c.get("outputs", []) if o.output_type == "error"]
    assert errors == []
    printed = "".join(o.get("text", "") for c in nb.cells if c.cell_type == "code" for o in c.get("outputs", []))
    assert "Traceback" not in printed, f"{notebook.name} printed a traceback:\n{printed[-2000:]}"
