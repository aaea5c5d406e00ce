#!/usr/bin/env python3
"""One command to get ready: ``python3 setup_workshop.py``.

Creates ``.venv`` next to this file, installs the pinned packages into it, checks the
machine (Python, Redis, a browser, a free port) and grades the exercises once, so you
see where you start. Uses only the standard library, so it runs before anything is
installed. Run it at home before the workshop: conference wifi is no place for 600 MB.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import venv
from pathlib import Path

ROOT = Path(__file__).resolve().parent
VENV = ROOT / ".venv"
BIN = VENV / ("Scripts" if os.name == "nt" else "bin")
PYTHON = BIN / ("python.exe" if os.name == "nt" else "python")


def step(text: str) -> None:
    print(f"\n==> {text}", flush=True)


def run(argv, **kwargs) -> int:
    return subprocess.call([str(a) for a in argv], cwd=ROOT, **kwargs)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--no-grade", action="store_true", help="set up only; do not grade the exercises")
    args = parser.parse_args()
    if sys.version_info < (3, 11):
        print(f"Python {sys.version.split()[0]} is too old: the workshop needs 3.11 or newer.\n"
              "Install it (python.org, your package manager, pyenv or conda), then run:\n"
              "    python3.11 setup_workshop.py", file=sys.stderr)
        return 1
    if os.name == "nt":
        print("Native Windows is not supported (the checker relies on POSIX process groups and signals).\n"
              "Use WSL 2 (Ubuntu) and run this script there; see README.md.", file=sys.stderr)
        return 1
    if not PYTHON.exists():
        step(f"creating a virtual environment in {VENV.name}/")
        venv.EnvBuilder(with_pip=True).create(VENV)
    step("installing the pinned packages (about 600 MB the first time, then seconds)")
    pip = [PYTHON, "-m", "pip", "install", "--disable-pip-version-check", "-q", "-e"]
    if run([*pip, ".[uwsgi]"]) != 0:
        print("\nuWSGI (lesson 04) could not be installed; it compiles from source and needs a C compiler\n"
              "(Debian/Ubuntu: sudo apt-get install build-essential python3-dev; macOS: xcode-select --install).\n"
              "Installing everything else; lesson 04's uWSGI checks will be skipped until uWSGI is there.",
              file=sys.stderr)
        if os.environ.get("CI", "").lower() in ("1", "true", "yes"):
            print("CI=true: uWSGI is required here.", file=sys.stderr)
            return 1
        if run([*pip, "."]) != 0:
            print("\npip could not install the packages. Check your network (or a proxy), then run this again.\n"
                  "The conda route is in README.md.", file=sys.stderr)
            return 1
    step("checking this machine")
    ready = run([PYTHON, "-m", "checker", "doctor"]) == 0
    if not args.no_grade:
        step("grading the exercises (everything fails at first: that is where you start)")
        run([PYTHON, "-m", "checker"])
    activate = f"source {VENV.name}/bin/activate"
    print(f"\nSet up. Activate the environment in each new terminal with:\n    {activate}\n"
          "then grade with `python -m checker`, and open lessons/01-http-polling/README.md to begin.")
    return 0 if ready else 1


if __name__ == "__main__":
    sys.exit(main())
