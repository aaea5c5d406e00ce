"""Find the ``uwsgi`` binary and build its command line, for the demo, the checks and the bench.

uWSGI is a C program with an embedded Python. ``pip install uWSGI==2.0.31`` compiles it (about
15 s; it needs a C compiler and the Python headers: ``build-essential`` and ``python3-dev`` on
Debian/Ubuntu, the Xcode command line tools on macOS) and puts ``uwsgi`` next to ``python``.
It does not run on Windows outside WSL.
"""

from __future__ import annotations

import os
import shutil
import sys
from pathlib import Path

LESSON_DIR = Path(__file__).resolve().parent
REPO_ROOT = LESSON_DIR.parent.parent
APP_FILE = LESSON_DIR / "uwsgi_app.py"
FRONT_FILE = LESSON_DIR / "offload_front.py"
HELD_FILE = LESSON_DIR / "offload_held.py"
MARK_HEADER, MARK_VARIABLE = "X-Offload", "X_OFFLOAD"  # the response header Django sets, as uWSGI collects it

INSTALL_HINT = (
    "uWSGI is not installed, so the uWSGI parts of lesson 04 cannot run. Install it into the workshop's "
    "environment with:\n"
    "    python -m pip install uWSGI==2.0.31\n"
    "It compiles from source (about 15 s) and needs a C compiler and the Python headers "
    "(Debian/Ubuntu: sudo apt-get install build-essential python3-dev; macOS: xcode-select --install). "
    "On Windows, use WSL."
)


def find_uwsgi() -> str | None:
    """The ``uwsgi`` next to this Python (the venv's bin/), else one on PATH, else None."""
    beside = Path(sys.executable).parent / "uwsgi"
    if beside.is_file() and os.access(beside, os.X_OK):
        return str(beside)
    return shutil.which("uwsgi")


def command(binary: str, port: int, exercise_dir: Path, *, host: str = "127.0.0.1", threads: int = 4,
            async_cores: int = 0, app_file: Path = APP_FILE, quiet: bool = True) -> list[str]:
    """One uWSGI master and one worker process speaking HTTP on ``host:port``, serving the
    learner's code in ``exercise_dir`` (``--set exercise-dir=DIR``: ``uwsgi_app.py`` reads it back).

    ``threads`` worker threads (each holds one request, so one WebSocket, at a time), or with
    ``async_cores`` > 0 uWSGI's own green threads (``--ugreen``): that many requests share the
    one thread, switching whenever one would block.
    """
    argv = [binary, "--http-socket", f"{host}:{port}", "--wsgi-file", str(app_file),
            "--master", "--processes", "1", "--die-on-term", "--need-app", "--enable-threads",
            "--worker-reload-mercy", "2", "--reload-mercy", "2",
            "--home", sys.prefix,  # this Python's environment (the venv): its site-packages
            "--set", f"exercise-dir={Path(exercise_dir).resolve()}"]
    if async_cores:
        argv += ["--async", str(async_cores), "--ugreen"]
    else:
        argv += ["--threads", str(threads)]
    if quiet:
        argv += ["--disable-logging"]
    return argv


def _common(binary: str, app_file: Path, exercise_dir: Path, quiet: bool) -> list[str]:
    argv = [binary, "--wsgi-file", str(app_file), "--master", "--die-on-term", "--need-app",
            "--worker-reload-mercy", "2", "--reload-mercy", "2", "--home", sys.prefix,
            "--set", f"exercise-dir={Path(exercise_dir).resolve()}"]
    return argv + (["--disable-logging"] if quiet else [])


def front_command(binary: str, port: int, held_port: int, exercise_dir: Path, redis_url: str, *,
                  host: str = "127.0.0.1", processes: int = 4, quiet: bool = True) -> list[str]:
    """The *front*: Django (``offload_front.py``) in ``processes`` plain single-thread workers, plus
    one offload thread per worker, handing marked responses to the held instance on ``held_port``.

    The four routing options are uWSGI's article, word for word: collect Django's ``X-Offload``
    header into ``X_OFFLOAD``; when it is not empty, send none of Django's response
    (``disableheaders:``) and pass the request, with its variables, to the held instance over the
    uwsgi protocol (``uwsgi:HOST:PORT,0,0``), an offload thread piping the bytes both ways.
    They need uWSGI built with PCRE (``routing_problem()``).
    """
    marked = f"empty:${{{MARK_VARIABLE}}}"
    return _common(binary, FRONT_FILE, exercise_dir, quiet) + [
        "--http-socket", f"{host}:{port}", "--processes", str(processes), "--threads", "1",
        "--offload-threads", "1", "--set", f"redis-url={redis_url}",
        "--collect-header", f"{MARK_HEADER} {MARK_VARIABLE}",
        "--response-route-if-not", f"{marked} disableheaders:",
        "--response-route-if-not", f"{marked} uwsgi:{host}:{held_port},0,0"]


def held_command(binary: str, port: int, exercise_dir: Path, redis_url: str, *, host: str = "127.0.0.1",
                 greenlets: int = 1000, quiet: bool = True) -> list[str]:
    """The *held* instance (``offload_held.py``): one process, ``greenlets`` gevent greenlets, speaking
    the uwsgi protocol (``--socket``) to the front only. ``--gevent-monkey-patch`` makes the standard
    library's sockets cooperative before the app is loaded, so redis-py waits without blocking."""
    return _common(binary, HELD_FILE, exercise_dir, quiet) + [
        "--socket", f"{host}:{port}", "--processes", "1", "--gevent", str(greenlets), "--gevent-monkey-patch",
        "--set", f"redis-url={redis_url}"]


def routing_problem(binary: str) -> str | None:
    """None if this uWSGI has internal routing (built with PCRE), else what to do about it."""
    from workshop import install

    return None if install.uwsgi_has_routing(binary) else install.UWSGI_ROUTING_ADVICE


def environment() -> dict[str, str]:
    """The uWSGI process's environment: this one, with the lesson and the workshop package on its path.

    The exercise folder is *not* in here: it travels on the command line (``command()``).
    """
    path = os.pathsep.join(filter(None, [str(LESSON_DIR), str(REPO_ROOT), os.environ.get("PYTHONPATH")]))
    return {**os.environ, "PYTHONPATH": path, "PYTHONDONTWRITEBYTECODE": "1", "PYTHONUNBUFFERED": "1"}
