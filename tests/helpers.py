"""Helpers for the project's own tests: run the checker as a learner would, in a subprocess."""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

from workshop import procs

ROOT = Path(__file__).resolve().parent.parent


def checker(*args: str, env: dict | None = None, timeout: float = 240) -> subprocess.CompletedProcess:
    """``python -m checker ARGS`` from the repository root; output captured as text."""
    merged = {**os.environ, **(env or {})}
    merged.pop("FORCE_COLOR", None)
    merged.pop("DJANGO_SETTINGS_MODULE", None)  # each grading process sets up its own lesson's Django
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


def wait_until(predicate, seconds: float) -> bool:
    """Poll ``predicate`` until it is true (True) or ``seconds`` have passed (False): a test waits for a
    state, never for a fixed time."""
    end = time.monotonic() + seconds
    while not predicate():
        if time.monotonic() > end:
            return False
        time.sleep(0.02)
    return True


def live_processes(pids) -> list[int]:
    """The pids among ``pids`` that are still running (zombies do not count: they are dead)."""
    return [pid for pid in pids if procs.running(pid)]


@contextlib.contextmanager
def modules_from(folders, names):
    """Import ``names`` from ``folders`` (first on ``sys.path``); restore ``sys.path`` and ``sys.modules`` after.

    Lessons name their modules plainly (``frames``, ``sse``), so a test that imports one lesson's
    files must not leave them behind for the next lesson's test.
    """
    saved_path = list(sys.path)
    saved = {name: sys.modules.pop(name) for name in names if name in sys.modules}
    sys.path[:0] = [str(folder) for folder in folders]
    try:
        yield
    finally:
        sys.path[:] = saved_path
        for name in names:
            sys.modules.pop(name, None)
        sys.modules.update(saved)


def read_until(proc: subprocess.Popen, pattern: str, seconds: float) -> str:
    """Lines of ``proc``'s stdout until one matches ``pattern`` (or fail with what was printed)."""
    import re
    import time

    seen = []
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        line = proc.stdout.readline()
        if not line:
            break
        seen.append(line)
        if re.search(pattern, line):
            return "".join(seen)
    raise AssertionError(f"no line matching {pattern!r} within {seconds} s; got:\n{''.join(seen)}")
