"""A zygote for ``checker watch``: a process that has imported the slow modules once and forks
a fresh grading process for each save.

A fresh ``python -m checker.worker`` spends most of a plain-function grading importing: the
checker, the lesson's checks, Django, Channels, Playwright. The zygote pays that once per watch
session, then ``fork()`` gives every grading a copy of the already-imported interpreter in a few
milliseconds. The learner's files are *never* imported in the zygote (neither is the lesson's
scaffolding, which imports them): only the checker's own modules, the third-party modules the
lesson's files name and what the lesson's Python servers import (``workshop.server_forks``). So
each forked grading imports the learner's code afresh, and nothing one save did (module state,
threads, monkey-patches) reaches the next; that is what ``tests/test_checker_watch.py`` checks.

The machinery is ``workshop.forkserver``'s (its protocol; a request here is ``{"spec": "<WorkerSpec>"}``
with the event pipe and the output log as file descriptors). Each forked grading starts a session
of its own, like a spawned worker, so the runner stops it and everything it started with
``procs.kill_tree`` as before.
"""

from __future__ import annotations

import ast
import importlib
import importlib.util
import socket
import sys
from pathlib import Path

from workshop import forkserver, paths, procs, server_forks

_active: dict[tuple[str, str], "Zygote"] = {}


def for_exercise(lesson_id: str, exercise_dir: Path) -> "Zygote | None":
    """The running zygote for this exercise, if ``checker watch`` started one."""
    zygote = _active.get((lesson_id, str(exercise_dir)))
    return zygote if zygote is not None and zygote.alive() else None


class Zygote(forkserver.ForkServer):
    """The runner's side: start the zygote, ask it for grading processes, stop it."""

    def __init__(self, lesson_id: str, exercise_dir: Path, *, session: bool = False):
        """Start the zygote; it imports in the background (``wait_ready``, or ``fork`` waits for it).

        ``session``: it serves a whole ``checker watch`` session, so it also imports the check
        package's ``WARM_IMPORTS``, which only some gradings use (a one-off grading would wait for
        them before its first fork)."""
        self.key = (lesson_id, str(exercise_dir))
        env = procs.python_env()
        argv = [sys.executable, "-P", "-m", "checker.zygote", lesson_id, str(exercise_dir)]
        super().__init__(argv + ["--session"] * session, env=env, cwd=str(paths.REPO_ROOT))
        _active[self.key] = self

    def fork(self, spec_text: str, fds: tuple[int, int], timeout: float = 60.0) -> forkserver.ForkedProcess:
        """A grading process for ``spec_text`` writing events to ``fds[0]``, output to ``fds[1]``."""
        return super().fork({"spec": spec_text}, fds, timeout)

    def close(self) -> None:
        """Stop the zygote (and any grading it forked that still runs)."""
        if _active.get(self.key) is self:
            del _active[self.key]
        super().close()


# -- the zygote process ---------------------------------------------------------------------------
def third_party_imports(lesson, exercise_dir: Path) -> list[str]:
    """Modules the lesson's Python files import that come from neither the lesson nor the exercise."""
    local = {p.stem for folder in (lesson.lesson_dir, exercise_dir) if folder.is_dir() for p in folder.iterdir()}
    sources = [exercise_dir / name for name in lesson.files if name.endswith(".py")]
    sources += [p for p in lesson.lesson_dir.rglob("*.py") if "migrations" not in p.parts]
    names: list[str] = []
    for source in sources:
        try:
            tree = ast.parse(source.read_text(encoding="utf-8"))
        except (OSError, SyntaxError, ValueError):
            continue
        for node in ast.walk(tree):
            if isinstance(node, ast.Import):
                found = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                found = [node.module]
            else:
                continue
            names += [n for n in found if n.split(".")[0] not in local and n not in names]
    return [n for n in names if n.split(".")[0] not in ("checker", "workshop") and _installed(n.split(".")[0])]


def _installed(top: str) -> bool:
    try:
        return importlib.util.find_spec(top) is not None
    except (ImportError, ValueError):
        return False


def preload(lesson, exercise_dir: Path, session: bool = False) -> None:
    """Import what every grading of ``lesson`` imports, never the learner's or the lesson's own files
    (and for a watch ``session``, what its check package declares worth holding)."""
    from checker import worker  # noqa: F401 - the grading process itself
    from checker.checks import checks_of

    checks_of(lesson)  # their modules import only checker, workshop and the standard library at the top
    # and what a check package imports inside its checks, when it declares it safe before a fork
    declared = getattr(importlib.import_module(lesson.checks_module), "WARM_IMPORTS", ()) if session else ()
    for name in [*third_party_imports(lesson, exercise_dir), *declared]:
        try:
            importlib.import_module(name)
        except Exception:  # noqa: BLE001 - e.g. needs Django settings: the grading imports it then
            pass
    if lesson.warm_servers and server_forks.enabled():
        # what the lesson's Python servers import: each grading that starts servers forks its fork
        # server from itself (workshop.server_forks), so it is ready without importing anything
        server_forks.preload(lesson.warm_servers)


def _child(request: dict, fds: list[int]) -> int:
    """In the forked grading process (a session of its own already): grade like a spawned worker."""
    forkserver.output_to(fds[1])
    from checker import pipeline, worker

    spec = pipeline.WorkerSpec.decode(request["spec"])
    spec = pipeline.WorkerSpec(**{**spec.__dict__, "fd": fds[0]})
    return worker.main([spec.encode()])


def serve(lesson_id: str, exercise_dir: Path, sock: socket.socket, session: bool = False) -> None:
    from checker import catalog

    lesson = catalog.find(catalog.load(), lesson_id)
    forkserver.serve(sock, lambda: preload(lesson, exercise_dir, session), _child)


if __name__ == "__main__":
    serve(sys.argv[1], Path(sys.argv[2]), socket.socket(fileno=int(sys.argv[-1])), session="--session" in sys.argv)
