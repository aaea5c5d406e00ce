"""Helpers for the project's own tests: run the checker as a learner would, in a subprocess."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def checker(*args: str, env: dict | None = None, timeout: float = 240) -> subprocess.CompletedProcess:
    """``python -m checker ARGS`` from the repository root; output captured as text."""
    merged = {**os.environ, **(env or {})}
    merged.pop("FORCE_COLOR", None)
    merged.update(env or {})
    return subprocess.run([sys.executable, "-m", "checker", *args], cwd=ROOT, capture_output=True, text=True,
                          env=merged, timeout=timeout)


def checker_json(*args: str, env: dict | None = None, timeout: float = 240) -> tuple[int, dict]:
    done = checker(*args, "--json", env=env, timeout=timeout)
    try:
        return done.returncode, json.loads(done.stdout)
    except ValueError:
        raise AssertionError(f"not JSON (exit {done.returncode}):\n{done.stdout}\n{done.stderr}") from None


def copy_tree(source: Path, destination: Path, slugs: list[str] | None = None) -> Path:
    """A copy of an exercises-like tree (optionally only some lessons) to break freely."""
    destination.mkdir(parents=True, exist_ok=True)
    for folder in sorted(source.iterdir()):
        if folder.is_dir() and (slugs is None or folder.name in slugs):
            shutil.copytree(folder, destination / folder.name, ignore=shutil.ignore_patterns("__pycache__"))
    return destination


def live_processes(pids) -> list[int]:
    """The pids among ``pids`` that are still running (zombies do not count: they are dead)."""
    alive = []
    for pid in pids:
        try:
            state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
        except OSError:
            try:
                os.kill(pid, 0)
            except OSError:
                continue
            state = "R"
        if state != "Z":
            alive.append(pid)
    return alive
