"""The Python servers of a lesson (Daphne, Channels' worker, a Celery worker), forked warm.

A launcher starts Daphne as ``python -P -m workshop.asgi_server ...``. Started cold, each such
process spends about 1 CPU second importing Django, Channels and Twisted before it serves (0.9 of
1.0 s measured on the workshop's 2-core machine, `bench/results/checker_profile.md`). A grading
process of lessons 06-08 starts two to four of them. So a grading process that will start some
calls ``start(modules)`` first thing, before it imports the learner's files: it imports those
modules' ``WARM_IMPORTS`` (nothing to do when it was forked from a zygote that did: ``checker.zygote``)
and forks itself into a fork server (``workshop.forkserver.serve_here``), and every later ``spawn``
of one of those modules is a ``fork()`` of that warm copy: about 0.2 CPU s instead of 1. A process
that cannot fork itself safely (other threads running, or not started with ``-P`` as the servers
are) starts the fork server as a new interpreter instead, which imports the same beside it.

Nothing of the learner's, and nothing of the lesson's own code, is imported before the fork: each
server still imports the learner's files afresh, reads its settings from its environment and
builds its application, exactly as a cold process does. ``WARM_IMPORTS`` (declared in each entry
module, beside the code that knows what it imports) lists only modules that start no thread,
open no socket and create no event loop or Twisted reactor when imported; the reactor, which
Daphne installs when ``daphne.server`` is imported, is made in each child, never shared.

``spawn`` falls back to a cold ``procs.spawn`` when no fork server was started in this process,
when it died or is still importing after the caller's time limit, for an environment that would
start Python differently (``STARTUP_VARIABLES``), or for any other command line. What a launcher
sees is the same: the log, the exit code, the signals. What differs: ``ps`` shows the process as
``workshop.server_forks`` and its parent is the fork server (each is a session of its own either
way, so ``procs.stop_tree`` stops it and what it started). ``WORKSHOP_WARM_SERVERS=0`` turns it
off (to compare, or to rule it out). On macOS, where forking without ``exec`` is less travelled,
that is the switch to try first if a server behaves differently under the checker.
"""

from __future__ import annotations

import importlib
import os
import socket
import subprocess
import sys
import threading
import time

from workshop import forkserver, paths, procs

_server: forkserver.ForkServer | None = None
_modules: frozenset[str] = frozenset()
_started_with: dict[str, str] = {}  # the fork server's environment: what its interpreter was started with

# Read when an interpreter starts, not later: a request whose environment differs in one of these
# would not get the interpreter it asked for from a fork, so it is started cold. (TZ is not one:
# Django sets it in the grading process, and the child calls time.tzset() after taking its environment.)
STARTUP_VARIABLES = ("PYTHONHASHSEED", "PYTHONUNBUFFERED", "PYTHONWARNINGS", "PYTHONIOENCODING", "PYTHONUTF8",
                     "PYTHONOPTIMIZE", "PYTHONDEVMODE", "PYTHONSAFEPATH", "PYTHONNOUSERSITE", "PYTHONHOME",
                     "PYTHONFAULTHANDLER", "PYTHONTRACEMALLOC", "PYTHONINTMAXSTRDIGITS", "LC_ALL", "LC_CTYPE", "LANG")


def enabled() -> bool:
    """On unless ``WORKSHOP_WARM_SERVERS=0``; only where there is ``fork()`` (not on Windows itself)."""
    return hasattr(os, "fork") and os.environ.get("WORKSHOP_WARM_SERVERS", "1") != "0"


def start(modules, *, fork_self: bool = False) -> None:
    """Start this process's fork server for ``modules`` (``python -m`` entry points), unless running.

    ``fork_self``: the caller has imported nothing of the learner's or the lesson's yet and set no
    Django up (a grading process, first thing): import the modules here, then make the server a
    copy of this process. Otherwise, or when that is not possible, a new interpreter serves.
    """
    global _server, _modules, _started_with
    modules = [m for m in modules if m]
    if not modules or not enabled() or (_server is not None and _server.alive()):
        return
    stop()  # one that died: its socket and whatever it left
    if fork_self and forkserver.can_serve_here() and sys.flags.safe_path:  # -P, as the servers start
        try:
            preload(modules)  # nothing to do in a grading forked from a zygote: it imported them
            _server = forkserver.ForkServer(None, here=_child)
            _modules, _started_with = frozenset(modules), dict(os.environ)
            return
        except Exception:  # noqa: BLE001 - e.g. fork() refused (EAGAIN): a new interpreter then
            _server = None
    env = procs.python_env()
    _server = forkserver.ForkServer([sys.executable, "-P", "-m", "workshop.server_forks", ",".join(modules)],
                                    env=env, cwd=str(paths.REPO_ROOT))
    _modules, _started_with = frozenset(modules), env


def stop() -> None:
    """Stop the fork server and whatever it forked that still runs."""
    global _server
    if _server is not None:
        _server.close()
        _server = None


def entry_module(argv) -> str | None:
    """``M`` when ``argv`` is ``[this interpreter, "-P", "-m", M, ...]``, else None."""
    argv = [str(a) for a in argv]
    if len(argv) >= 4 and argv[0] == sys.executable and argv[1:3] == ["-P", "-m"]:
        return argv[3]
    return None


def forkable(env: dict) -> bool:
    """True when a process started with ``env`` would start like the fork server did: the same
    start-up variables, and its ``PYTHONPATH`` folders on the server's."""
    if any(env.get(name) != _started_with.get(name) for name in STARTUP_VARIABLES):
        return False
    ours = set(_started_with.get("PYTHONPATH", "").split(os.pathsep))
    return all(folder in ours for folder in env.get("PYTHONPATH", "").split(os.pathsep) if folder)


def spawn(argv, *, log, env=None, cwd=None, timeout: float = 30.0):
    """A server process writing to ``log`` (a file): forked warm when possible, else ``procs.spawn``.

    Returns a ``subprocess.Popen`` or a ``forkserver.ForkedProcess`` (the same methods a launcher
    uses: pid, args, poll, wait, returncode, send_signal, terminate, kill). ``timeout`` bounds the
    wait for the fork server (its imports may still be running); after it, the server starts cold.
    """
    module = entry_module(argv)
    env = {str(k): str(v) for k, v in (os.environ if env is None else env).items()}
    if _server is not None and module in _modules and _server.alive() and forkable(env):
        request = {"module": module, "args": [str(a) for a in argv[4:]], "env": env,
                   "cwd": str(cwd) if cwd is not None else os.getcwd()}  # a spawned process starts in ours
        try:
            return _server.fork(request, [log.fileno()], timeout=timeout, args=[str(a) for a in argv])
        except (RuntimeError, OSError):
            pass  # it died, could not fork or never got ready: start cold, as if it had never been there
    return procs.spawn(argv, stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, env=env, cwd=cwd)


# -- the fork server process ------------------------------------------------------------------------
def preload(modules) -> None:
    """Import each entry module and what it declares safe to import before a fork (``WARM_IMPORTS``)."""
    for name in modules:
        module = importlib.import_module(name)
        for warm in getattr(module, "WARM_IMPORTS", ()):
            try:
                importlib.import_module(warm)
            except Exception:  # noqa: BLE001 - not installed here: the child imports it, or says why
                pass


def _child(request: dict, fds: list[int]) -> int:
    """In the forked server: its log, environment, folder and command line, then the module's ``main()``
    (every entry module has one, reading ``sys.argv`` as ``python -m`` would give it)."""
    forkserver.output_to(fds[0])
    os.environ.clear()
    os.environ.update(request["env"])
    if hasattr(time, "tzset"):
        time.tzset()  # time.tzname and localtime() follow the TZ just set, as at a cold start
    os.chdir(request["cwd"])
    module = importlib.import_module(request["module"])  # imported already: its main() is what -m would run
    sys.argv = [module.__file__, *request["args"]]
    try:
        return module.main()
    finally:  # as an interpreter that ends: wait for non-daemon threads (asgiref's executor finishing a write)
        shutdown = getattr(threading, "_shutdown", None)
        if shutdown is not None:
            shutdown()


def main() -> None:
    modules = sys.argv[1].split(",")
    forkserver.serve(socket.socket(fileno=int(sys.argv[2])), lambda: preload(modules), _child)


if __name__ == "__main__":
    main()
