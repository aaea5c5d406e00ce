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
    parser.add_argument("--wheelhouse", metavar="DIR", type=Path,
                        help="instructors: put every wheel and npm tarball this platform and Python need into DIR "
                             "(for --offline on the laptops of the room), then stop")
    parser.add_argument("--offline", metavar="DIR", type=Path,
                        help="install from a wheelhouse made with --wheelhouse, with no network at all")
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
    from workshop import install  # standard library only, like this script

    if args.wheelhouse:
        step(f"filling the wheelhouse {args.wheelhouse}/ for Python {sys.version_info.major}.{sys.version_info.minor} "
             "on this platform (wheels, uWSGI built once, the slides' npm tarballs)")
        problems = install.build_wheelhouse(args.wheelhouse, PYTHON)
        for problem in problems:
            print(f"  problem: {problem}", file=sys.stderr)
        print(f"\nWheelhouse {'incomplete' if problems else 'ready'}: {args.wheelhouse}/. Copy it to each laptop "
              f"(same OS and Python) and run there:\n    python3 setup_workshop.py --offline {args.wheelhouse}")
        return 1 if problems else 0
    offline = install.offline_pip_args(args.offline) if args.offline else []
    if args.offline:
        mismatch = install.wheelhouse_mismatch(args.offline)
        if mismatch:
            print(f"warning: {mismatch}; the install may fail.", file=sys.stderr)
    step("installing the pinned packages " + (f"from {args.offline}/, offline" if args.offline
                                              else "(about 600 MB the first time, then seconds)"))
    pip = [PYTHON, "-m", "pip", "install", "--disable-pip-version-check", "-q", *offline, "-e"]
    code, output = install.run_captured([*pip, ".[uwsgi]"])
    if code != 0:
        cause = install.classify(output)
        if cause == install.NETWORK:  # nothing could be installed: retrying without uWSGI would fail the same way
            print("\n" + install.advice(cause, offline=bool(offline)), file=sys.stderr)
            return 1
        print("\n" + install.advice(cause) + "\nInstalling everything else; lesson 04's uWSGI checks will be "
              "skipped until uWSGI is there.", file=sys.stderr)
        if os.environ.get("CI", "").lower() in ("1", "true", "yes"):
            print("CI=true: uWSGI is required here.", file=sys.stderr)
            return 1
        code, output = install.run_captured([*pip, "."])
        if code != 0:
            print("\npip could not install the packages. " + install.advice(install.classify(output), offline=bool(offline)),
                  file=sys.stderr)
            return 1
    if not uwsgi_routing(offline):
        return 1
    if args.offline:
        for problem in install.npm_offline(args.offline, ROOT):
            print(f"warning: {problem}", file=sys.stderr)
    else:
        step("installing the Node.js sidecar's pinned packages (npm ci in lessons/05-redis-sidecar/node), if npm is here")
        problems = install.npm_setup(ROOT)
        for problem in problems:
            print(f"warning: {problem}", file=sys.stderr)
        if problems and os.environ.get("CI", "").lower() in ("1", "true", "yes"):
            print("CI=true: Node.js and lesson 05's npm packages are required here.", file=sys.stderr)
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


def uwsgi_routing(offline: list[str]) -> bool:
    """Lesson 04's offloading needs uWSGI's internal routing, compiled in only when PCRE was found.

    pip reuses a cached wheel, so a uWSGI built before ``libpcre2-dev`` was installed stays
    without routing: rebuild it once, bypassing the cache. False only when CI must have it.
    """
    from workshop import install  # standard library only, like this script

    binary = BIN / "uwsgi"
    if not binary.exists() or install.uwsgi_has_routing(binary):
        return True
    step("rebuilding uWSGI with internal routing (PCRE), bypassing pip's wheel cache")
    install.run_captured([PYTHON, "-m", "pip", "--disable-pip-version-check", "-q", *install.UWSGI_REBUILD, *offline])
    if install.uwsgi_has_routing(binary):
        return True
    print("\n" + install.UWSGI_ROUTING_ADVICE, file=sys.stderr)
    if os.environ.get("CI", "").lower() in ("1", "true", "yes"):
        print("CI=true: uWSGI with routing is required here.", file=sys.stderr)
        return False
    return True


if __name__ == "__main__":
    sys.exit(main())
