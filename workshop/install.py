"""Installing the workshop's packages: from the internet, or from a wheelhouse with no network.

Standard library only: ``setup_workshop.py`` imports this before anything is installed.

Conference wifi is where workshops go to die, so an instructor can fill a *wheelhouse* once
(``python3 setup_workshop.py --wheelhouse DIR``: every wheel this platform and Python version
need, plus the npm tarballs of the slides) and pass it around on a USB stick; each laptop then
runs ``python3 setup_workshop.py --offline DIR``, which never touches the network.

When pip fails, its own words say why, and the advice differs completely: an unreachable index
wants the wheelhouse route (or a proxy setting), a failed uWSGI build wants a C compiler.
``classify`` reads pip's output so setup says the right one, instead of blaming the compiler
for a dead network.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
import sysconfig
import tempfile
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
MANIFEST = "wheelhouse.json"
NPM_CACHE = "npm-cache"
#: Folders whose package-lock.json the wheelhouse carries (those that exist when it is built).
NPM_FOLDERS = ("slides", "lessons/05-redis-sidecar/node")
#: The one pinned package published only as source: built into a wheel for the wheelhouse.
UWSGI = "uwsgi"

NETWORK = "network"
COMPILER = "compiler"
UNKNOWN = "unknown"

# pip's own words for "I could not reach the index" (urllib3 and pip's resolver messages).
_NETWORK_SIGNS = re.compile(
    r"NewConnectionError|Failed to establish a new connection|Max retries exceeded|Connection refused"
    r"|Temporary failure in name resolution|Name or service not known|ConnectTimeout|ReadTimeout"
    r"|ProxyError|SSLError|Could not fetch URL|No matching distribution found"
    r"|Could not find a version that satisfies", re.I)
# ... and for "a C extension did not compile" (uWSGI is the one sdist we build).
_COMPILER_SIGNS = re.compile(
    r"Failed building wheel for uwsgi|Could not build wheels for uwsgi|Failed to build uwsgi"
    r"|error: command '[^']*' failed|command '[^']*(?:gcc|cc|clang)' failed|gcc: (?:error|not found)"
    r"|unable to execute '[^']*'|error compiling|Python\.h: No such file", re.I)


def classify(output: str) -> str:
    """``NETWORK``, ``COMPILER`` or ``UNKNOWN``: what pip's ``output`` says went wrong.

    A network failure is checked first: with no index, pip never gets as far as compiling, and
    the resolver's "No matching distribution found" would otherwise look like any other error.
    """
    if _NETWORK_SIGNS.search(output):
        return NETWORK
    if _COMPILER_SIGNS.search(output):
        return COMPILER
    return UNKNOWN


def pinned(root: Path = ROOT, extras: tuple[str, ...] = ("uwsgi",)) -> list[str]:
    """The pinned requirements of ``pyproject.toml``, with those of ``extras``."""
    project = tomllib.loads((root / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    pins = list(project["dependencies"])
    for extra in extras:
        pins += project.get("optional-dependencies", {}).get(extra, [])
    return pins


def requirements(root: Path = ROOT) -> list[str]:
    """Everything an offline install may need: the pins (uWSGI's too) and the build tools.

    The build tools are the project's ``[build-system]`` requirements (for ``pip install -e .``)
    and ``wheel``, which pip needs to build a source archive that has no ``pyproject.toml``
    (uWSGI's, on a laptop whose platform the wheelhouse has no uWSGI wheel for).
    """
    build = tomllib.loads((root / "pyproject.toml").read_text(encoding="utf-8"))["build-system"]["requires"]
    return pinned(root) + list(build) + ["wheel"]


def _is_uwsgi(requirement: str) -> bool:
    return re.split(r"[<>=!~\[ ;]", requirement, maxsplit=1)[0].strip().lower() == UWSGI


def run_captured(argv, *, cwd: Path = ROOT, env: dict | None = None, echo: bool = True) -> tuple[int, str]:
    """Run ``argv``, showing its output as it comes (when ``echo``) and returning it too."""
    proc = subprocess.Popen([str(a) for a in argv], cwd=cwd, env=env, stdout=subprocess.PIPE,
                            stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, text=True, errors="replace")
    lines = []
    assert proc.stdout is not None
    for line in proc.stdout:
        lines.append(line)
        if echo:
            sys.stdout.write(line)
            sys.stdout.flush()
    return proc.wait(), "".join(lines)


#: uWSGI's routing options need PCRE at build time; pip's wheel cache may hold a build without it.
UWSGI_REBUILD = ["install", "--no-cache-dir", "--force-reinstall", "--no-binary", "uWSGI", "uWSGI==2.0.31"]
UWSGI_ROUTING_ADVICE = (
    "uWSGI without internal routing (PCRE): lesson 04's offloading cannot run (uWSGI prints \"!!! no internal "
    "routing support, rebuild with pcre support !!!\"). Install PCRE2's headers, then rebuild uWSGI without "
    "pip's wheel cache:\n"
    "    Debian/Ubuntu: sudo apt-get install libpcre2-dev    macOS: brew install pcre2\n"
    "    python -m pip " + " ".join(UWSGI_REBUILD))


def uwsgi_has_routing(binary) -> bool:
    """Does this ``uwsgi`` binary have internal routing? A probe run: ``uwsgi --cflags`` prints the
    flags it was compiled with, and uWSGI compiles its routing only with ``-DUWSGI_ROUTING``
    (set when its build found PCRE)."""
    try:
        done = subprocess.run([str(binary), "--cflags"], capture_output=True, text=True, timeout=30)
    except (OSError, subprocess.SubprocessError):
        return False
    return done.returncode == 0 and "-DUWSGI_ROUTING" in done.stdout.split()


def _pip(python) -> list:
    return [python, "-m", "pip", "--disable-pip-version-check"]


# -- building a wheelhouse ---------------------------------------------------------------
def build_wheelhouse(wheelhouse: Path, python=sys.executable, *, pins: list[str] | None = None,
                     npm_folders=NPM_FOLDERS, root: Path = ROOT) -> list[str]:
    """Fill ``wheelhouse`` with what ``--offline`` needs on this platform; the problems, in words.

    ``pip wheel`` downloads every pinned package as a wheel and *builds* the ones published only
    as source (uWSGI), so the offline install needs no compiler on laptops like this one. uWSGI's
    source archive goes in as well, for laptops of another platform that do have a compiler.
    """
    wheelhouse = Path(wheelhouse).resolve()
    wheelhouse.mkdir(parents=True, exist_ok=True)
    pins = requirements(root) if pins is None else list(pins)
    problems: list[str] = []
    plain = [p for p in pins if not _is_uwsgi(p)]
    uwsgi = [p for p in pins if _is_uwsgi(p)]
    code, output = run_captured([*_pip(python), "wheel", "-q", "--wheel-dir", wheelhouse, *plain], cwd=root)
    if code != 0:
        problems.append(f"pip could not fetch the packages ({classify(output)} problem); see its output above")
    for pin in uwsgi:
        if run_captured([*_pip(python), "download", "-q", "--no-deps", "--no-binary", ":all:", "--dest",
                         wheelhouse, pin], cwd=root)[0] != 0:
            problems.append(f"could not download the source of {pin}")
        code, output = run_captured([*_pip(python), "wheel", "-q", "--no-deps", "--wheel-dir", wheelhouse, pin],
                                    cwd=root)
        if code != 0:
            problems.append(f"could not build a wheel of {pin} ({classify(output)} problem): laptops will need a "
                            "C compiler to install it from its source archive")
    npm = [folder for folder in npm_folders if (root / folder / "package-lock.json").is_file()]
    problems += _npm_fill_cache(wheelhouse / NPM_CACHE, [root / folder for folder in npm])
    manifest = {"python": f"{sys.version_info.major}.{sys.version_info.minor}", "platform": sysconfig.get_platform(),
                "requirements": pins, "npm": npm}
    (wheelhouse / MANIFEST).write_text(json.dumps(manifest, indent=1) + "\n", encoding="utf-8")
    return problems


def _npm_fill_cache(cache: Path, folders: list[Path]) -> list[str]:
    """``npm ci`` each lockfile in a scratch folder with ``cache`` as npm's cache: every tarball lands in it."""
    if not folders:
        return []
    npm = shutil.which("npm")
    if npm is None:
        return ["npm was not found: the wheelhouse has no slides assets (install Node.js to add them)"]
    problems = []
    for folder in folders:
        with tempfile.TemporaryDirectory(prefix="npm-wheelhouse-") as scratch:
            for name in ("package.json", "package-lock.json"):
                shutil.copy2(folder / name, scratch)
            code, _ = run_captured([npm, "ci", "--cache", cache, "--ignore-scripts", "--no-audit", "--no-fund",
                                    "--loglevel=error"], cwd=Path(scratch))
            if code != 0:
                problems.append(f"npm could not fetch the packages of {folder}")
    return problems


# -- npm packages setup installs -----------------------------------------------------------
#: Folders whose pinned packages setup installs with ``npm ci`` when npm is here (the slides'
#: build runs its own ``npm ci`` when the deck is built).
NPM_SETUP_FOLDERS = ("lessons/05-redis-sidecar/node",)


def npm_current(folder: Path) -> bool:
    """True when ``folder/node_modules`` holds exactly what ``package-lock.json`` pins (npm's hidden lockfile agrees)."""
    hidden = folder / "node_modules" / ".package-lock.json"
    if not hidden.is_file():
        return False
    wanted = json.loads((folder / "package-lock.json").read_text(encoding="utf-8")).get("packages", {})
    have = json.loads(hidden.read_text(encoding="utf-8")).get("packages", {})
    strip = lambda packages: {k: v.get("version") for k, v in packages.items() if k}  # noqa: E731 - the root entry differs
    return strip(wanted) == strip(have)


def npm_setup(root: Path = ROOT, folders=NPM_SETUP_FOLDERS) -> list[str]:
    """``npm ci`` (exact versions, from the lockfile, no install scripts) in each folder not current yet; the problems.

    Never ``npm install``: that may pick newer versions and rewrite the lockfile. Without npm the
    folders are left alone (what needs them says so, and how to install Node.js).
    """
    npm = shutil.which("npm")
    if npm is None:
        return [f"npm was not found: {', '.join(folders)} not installed (only lesson 05's Node.js sidecar needs it; "
                "install Node.js 18+ and run setup again)"]
    problems = []
    for name in folders:
        folder = Path(root) / name
        if npm_current(folder):
            continue
        code, _ = run_captured([npm, "ci", "--ignore-scripts", "--no-audit", "--no-fund", "--loglevel=error"],
                               cwd=folder)
        if code != 0:
            problems.append(f"npm ci failed in {name}/ (is the npm registry reachable? `setup_workshop.py --offline` "
                            "installs from a wheelhouse)")
    return problems


# -- installing from one -------------------------------------------------------------------
def offline_pip_args(wheelhouse: Path) -> list[str]:
    """pip's options for an install that may use only ``wheelhouse``."""
    return ["--no-index", "--find-links", str(Path(wheelhouse).resolve())]


def wheelhouse_mismatch(wheelhouse: Path) -> str | None:
    """Why ``wheelhouse`` may not suit this machine (another Python or platform), or ``None``."""
    path = Path(wheelhouse) / MANIFEST
    if not path.is_file():
        return f"{wheelhouse} has no {MANIFEST}: is it a folder made by `setup_workshop.py --wheelhouse`?"
    manifest = json.loads(path.read_text(encoding="utf-8"))
    here = {"python": f"{sys.version_info.major}.{sys.version_info.minor}", "platform": sysconfig.get_platform()}
    differs = [f"{key} {manifest.get(key)} (this machine: {value})" for key, value in here.items()
               if manifest.get(key) != value]
    return ("the wheelhouse was built for " + ", ".join(differs)) if differs else None


def npm_offline(wheelhouse: Path, root: Path = ROOT) -> list[str]:
    """``npm ci --offline`` in each folder the wheelhouse carries tarballs for; the problems."""
    manifest = json.loads((Path(wheelhouse) / MANIFEST).read_text(encoding="utf-8"))
    npm = shutil.which("npm")
    problems = []
    for folder in manifest.get("npm", []):
        if npm is None:
            problems.append(f"npm was not found: {folder}/ not installed (only the slides need it)")
            continue
        code, _ = run_captured([npm, "ci", "--offline", "--cache", Path(wheelhouse).resolve() / NPM_CACHE,
                                "--ignore-scripts", "--no-audit", "--no-fund", "--loglevel=error"], cwd=root / folder)
        if code != 0:
            problems.append(f"npm ci --offline failed in {folder}/")
    return problems


def advice(cause: str, *, offline: bool = False) -> str:
    """What to tell the learner after pip failed for ``cause``."""
    if cause == NETWORK and offline:
        return ("pip could not find a package in the wheelhouse. Was it built for this Python and platform, "
                "and with the current pyproject.toml? Ask your instructor for a fresh one.")
    if cause == NETWORK:
        return ("pip could not reach the package index: this is a network problem, not your machine.\n"
                "  - Check your connection (or set HTTPS_PROXY if you are behind a proxy), then run this again.\n"
                "  - No usable network (conference wifi)? Ask your instructor for the wheelhouse folder and run:\n"
                "        python3 setup_workshop.py --offline WHEELHOUSE_DIR\n"
                "    (an instructor makes one with `python3 setup_workshop.py --wheelhouse WHEELHOUSE_DIR`).\n"
                "  - The conda route is in README.md.")
    if cause == COMPILER:
        return ("uWSGI (lesson 04) could not be built: it compiles from source and needs a C compiler\n"
                "(Debian/Ubuntu: sudo apt-get install build-essential python3-dev; macOS: xcode-select --install).")
    return "pip failed; its output above says why."
