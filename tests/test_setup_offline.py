"""``setup_workshop.py`` for the room: a wheelhouse, an install with no network, and honest errors.

Real pip, real npm, real virtual environments in temporary copies of the repository. The
"no network" runs point pip's and npm's index at a closed loopback port and switch off every
other source (config files, find-links, caches), so anything that still tries the network fails.
The wheelhouse is the full one (every pin, from the same code path as ``--wheelhouse``): with
the registries' local mirrors on these machines it takes about half a minute.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from workshop import install, paths

ROOT = paths.REPO_ROOT
CLOSED = "http://127.0.0.1:9/"  # the discard port: nothing listens, connections are refused at once
COPY_IGNORE = shutil.ignore_patterns(".venv", ".git", "node_modules", "__pycache__", ".workshop", ".pytest_cache",
                                     ".hypothesis", "build", "*.egg-info")
pytestmark = pytest.mark.timeout(900)


def _no_network_env(**extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PIP_", "npm_config_", "NPM_CONFIG_"))}
    env.update(PIP_CONFIG_FILE=os.devnull, PIP_INDEX_URL=CLOSED, PIP_NO_CACHE_DIR="1", PIP_RETRIES="0",
               PIP_TIMEOUT="3", PIP_DISABLE_PIP_VERSION_CHECK="1", CI="",
               # npm keys its cache by the registry's URLs: keep the registry, send any request to nowhere
               npm_config_proxy=CLOSED, npm_config_https_proxy=CLOSED, npm_config_fetch_retries="0")
    env.update(extra)
    return env


def _setup(copy: Path, *args: str, env: dict[str, str]) -> subprocess.CompletedProcess:
    env = {**env, "WORKSHOP_STATE_DIR": str(copy / ".workshop")}
    return subprocess.run([sys.executable, str(copy / "setup_workshop.py"), "--no-grade", *args], cwd=copy,
                          env=env, capture_output=True, text=True, timeout=600)


def _installed(venv_python: Path) -> dict[str, str]:
    freeze = subprocess.run([str(venv_python), "-m", "pip", "list", "--format=freeze"], capture_output=True,
                            text=True, env=_no_network_env(), check=True).stdout
    return {_norm(line.split("==")[0]): line.split("==")[1] for line in freeze.splitlines() if "==" in line}


def _norm(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def _pin(requirement: str) -> tuple[str, str | None]:
    name, _, version = requirement.partition("==")
    return _norm(re.split(r"[<>=!~ ]", name)[0]), version or None


@pytest.fixture(scope="session")
def wheelhouse(tmp_path_factory) -> Path:
    """``setup_workshop.py --wheelhouse DIR`` once, with the machine's normal network."""
    folder = tmp_path_factory.mktemp("wheelhouse") / "wh"
    done = subprocess.run([sys.executable, str(ROOT / "setup_workshop.py"), "--wheelhouse", str(folder)], cwd=ROOT,
                          capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    return folder


@pytest.fixture
def repo_copy(tmp_path) -> Path:
    copy = tmp_path / "repo"
    shutil.copytree(ROOT, copy, ignore=COPY_IGNORE)
    return copy


def test_the_wheelhouse_holds_a_wheel_for_every_pin_and_the_slides_tarballs(wheelhouse):
    wheels = {}
    for path in wheelhouse.glob("*.whl"):
        name, version = path.name.split("-")[:2]
        wheels[_norm(name)] = version
    for requirement in install.requirements(ROOT):
        name, version = _pin(requirement)
        assert name in wheels, f"no wheel for {requirement}"
        if version:
            assert wheels[name] == version, requirement
    assert any(p.name.lower().startswith("uwsgi-") and p.name.endswith(".tar.gz") for p in wheelhouse.iterdir()), \
        "uWSGI's source archive is missing (laptops of another platform build it)"
    assert install.wheelhouse_mismatch(wheelhouse) is None
    assert (wheelhouse / install.NPM_CACHE / "_cacache").is_dir()


def test_offline_install_uses_only_the_wheelhouse(wheelhouse, repo_copy):
    done = _setup(repo_copy, "--offline", str(wheelhouse), env=_no_network_env())
    output = done.stdout + done.stderr
    assert "Set up." in done.stdout, output[-4000:]
    assert "problem" not in done.stderr and "warning" not in done.stderr, done.stderr
    installed = _installed(repo_copy / ".venv" / "bin" / "python")
    for requirement in install.pinned(ROOT):
        name, version = _pin(requirement)
        assert installed.get(name) == version, f"{requirement}: installed {installed.get(name)}"
    assert (repo_copy / ".venv" / "bin" / "uwsgi").exists()
    reveal = (repo_copy / "slides" / "node_modules" / "reveal.js" / "package.json").read_text()
    assert '"version": "5.2.1"' in reveal


def test_an_unreachable_index_is_reported_as_a_network_problem(repo_copy):
    done = _setup(repo_copy, env=_no_network_env())
    assert done.returncode == 1
    assert "network problem" in done.stderr and "--offline" in done.stderr, done.stderr[-3000:]
    assert "C compiler" not in done.stderr
    assert "Set up." not in done.stdout


def test_a_failed_uwsgi_build_is_reported_as_a_compiler_problem(wheelhouse, repo_copy):
    # Every package is in the wheelhouse, but uWSGI must be built from its source with a "compiler" that fails.
    env = _no_network_env(PIP_NO_INDEX="1", PIP_FIND_LINKS=str(wheelhouse), PIP_NO_BINARY="uwsgi", CC="/bin/false")
    done = _setup(repo_copy, env=env)
    assert "C compiler" in done.stderr, done.stdout[-3000:] + done.stderr[-3000:]
    assert "Installing everything else" in done.stderr
    assert "network" not in done.stderr
    assert "Set up." in done.stdout
    installed = _installed(repo_copy / ".venv" / "bin" / "python")
    assert installed.get("django") == "5.2.19"
    assert "uwsgi" not in installed


def test_classify_reads_pips_words():
    assert install.classify("ERROR: No matching distribution found for Django==5.2.19") == install.NETWORK
    assert install.classify("  Failed building wheel for uWSGI\nerror: command 'gcc' failed") == install.COMPILER
    assert install.classify("ERROR: Invalid requirement: 'x'") == install.UNKNOWN
