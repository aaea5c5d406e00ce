"""Node.js from a check, a test or the doctor: is it here, are a folder's packages installed, call a learner's JS.

The Node.js variant of lesson 05 needs ``node`` (18 or newer) and the packages pinned in
``lessons/05-redis-sidecar/node/package-lock.json``, which ``setup_workshop.py`` installs with
``npm ci``. Without ``node`` its checks are *skipped* with the advice below (failed under
``CI=true``, like the browser checks); grading never installs anything.

``call(runner, exercise_dir, calls, timeout=...)`` runs the learner's functions in one ``node``
process (``runner`` is a small script that loads the learner's file, such as the lesson's
``node/call.js``) and returns one result per call: ``{"value": ...}`` or ``{"error": {...}}``.
Arguments are JSON; ``UNDEFINED`` stands for JavaScript's ``undefined`` and ``as_set([...])`` for a ``Set``.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from pathlib import Path

MIN_MAJOR = 18
UNDEFINED = {"$undefined": True}


def as_set(items) -> dict:
    return {"$set": list(items)}


def find_node() -> str | None:
    """The ``node`` on PATH, if it runs and is new enough."""
    binary = shutil.which("node")
    if binary is None:
        return None
    return binary if (version(binary) or (0,))[0] >= MIN_MAJOR else None


def version(binary: str | None = None) -> tuple[int, ...] | None:
    """``node --version`` as numbers, or ``None`` when it does not run."""
    binary = binary or shutil.which("node")
    if binary is None:
        return None
    try:
        out = subprocess.run([binary, "--version"], capture_output=True, text=True, timeout=10).stdout.strip()
        return tuple(int(part) for part in out.lstrip("v").split("."))
    except (OSError, ValueError, subprocess.TimeoutExpired):
        return None


def install_advice() -> str:
    found = version()
    what = (f"node {'.'.join(map(str, found))} is too old (the sidecar's packages need {MIN_MAJOR}+)" if found
            else "node (Node.js) was not found on PATH")
    return (f"{what}, so lesson 05's Node.js sidecar cannot be graded here (you picked it: python -m checker pick 05 python goes back to Python). To write it: install Node.js "
            f"{MIN_MAJOR}+ (https://nodejs.org, `sudo apt-get install nodejs npm`, `brew install node`), then run "
            "`python3 setup_workshop.py` (it runs `npm ci` in lessons/05-redis-sidecar/node). The Python sidecar "
            "needs none of it.")


def packages_missing(folder: Path) -> str | None:
    """Why the packages of ``folder/package.json`` are not usable (``npm ci`` not run), or ``None``."""
    manifest = json.loads((Path(folder) / "package.json").read_text(encoding="utf-8"))
    absent = [name for name in manifest.get("dependencies", {})
              if not (Path(folder) / "node_modules" / name / "package.json").is_file()]
    if not absent:
        return None
    return (f"the Node.js packages {', '.join(absent)} are not installed in {folder.name}/node_modules: run "
            f"`python3 setup_workshop.py` (or `npm ci` in {folder}); grading never installs anything.")


def call(runner: Path, exercise_dir: Path, calls: list[dict], *, timeout: float, env: dict | None = None) -> list[dict]:
    """Run ``calls`` (``{"fn": name, "args": [...]}``) in one ``node runner --exercise-dir DIR`` process.

    Raises ``RuntimeError`` with node's own words when the file cannot be loaded, and
    ``subprocess.TimeoutExpired`` when node does not answer within ``timeout`` seconds.
    """
    node = find_node() or "node"
    done = subprocess.run([node, str(runner), "--exercise-dir", str(exercise_dir)], input=json.dumps(calls),
                          capture_output=True, text=True, timeout=timeout, env={**os.environ, **(env or {})})
    if done.returncode != 0:
        raise RuntimeError((done.stderr or done.stdout).strip()[-1500:] or f"node exited with {done.returncode}")
    return json.loads(done.stdout.strip().splitlines()[-1])
