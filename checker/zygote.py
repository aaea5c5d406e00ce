"""A zygote for ``checker watch``: a process that has imported the slow modules once and forks
a fresh grading process for each save.

A fresh ``python -m checker.worker`` spends most of a plain-function grading importing: the
checker, the lesson's checks, Django, Channels, Playwright. The zygote pays that once per watch
session, then ``fork()`` gives every grading a copy of the already-imported interpreter in a few
milliseconds. The learner's files are *never* imported in the zygote (neither is the lesson's
scaffolding, which imports them): only the checker's own modules and the third-party modules the
lesson's files name. So each forked grading imports the learner's code afresh, and nothing one
save did (module state, threads, monkey-patches) reaches the next; that is what
``tests/test_checker_watch.py`` checks.

Protocol, on a ``SOCK_SEQPACKET`` socket pair (one message each, JSON):

    runner -> zygote   {"id": n, "spec": "<WorkerSpec>"}  + fds [event pipe, output log]
    zygote -> runner   {"id": n, "pid": p}                 the grading process was forked
    zygote -> runner   {"exit": p, "code": c}              it ended (the zygote reaps it)

Each forked grading starts a session of its own, like a spawned worker, so the runner stops it
and everything it started with ``procs.kill_tree`` as before.
"""

from __future__ import annotations

import ast
import atexit
import contextlib
import importlib
import importlib.util
import json
import os
import select
import signal
import socket
import subprocess
import sys
import threading
from pathlib import Path

from workshop import paths, procs

_active: dict[tuple[str, str], "Zygote"] = {}


def for_exercise(lesson_id: str, exercise_dir: Path) -> "Zygote | None":
    """The running zygote for this exercise, if ``checker watch`` started one."""
    zygote = _active.get((lesson_id, str(exercise_dir)))
    return zygote if zygote is not None and zygote.alive() else None


class ForkedProcess:
    """Enough of ``subprocess.Popen`` (pid, poll, wait, returncode) for a grading forked by the zygote."""

    def __init__(self, pid: int, zygote: "Zygote"):
        self.pid = pid
        self._zygote = zygote

    @property
    def returncode(self) -> int | None:
        return self.poll()

    def poll(self) -> int | None:
        code = self._zygote.exit_codes.get(self.pid)
        if code is None and not self._zygote.alive():
            try:
                os.kill(self.pid, 0)
            except ProcessLookupError:
                return -signal.SIGKILL
        return code

    def wait(self, timeout: float | None = None) -> int:
        with self._zygote.changed:
            if not self._zygote.changed.wait_for(lambda: self.poll() is not None, timeout):
                raise subprocess.TimeoutExpired(f"forked grading {self.pid}", timeout)
        return self.poll()


class Zygote:
    """The runner's side: start the zygote, ask it for grading processes, stop it."""

    def __init__(self, lesson_id: str, exercise_dir: Path):
        """Start the zygote; it imports in the background (``wait_ready``, or ``fork`` waits for it)."""
        self.key = (lesson_id, str(exercise_dir))
        self.exit_codes: dict[int, int] = {}
        self.changed = threading.Condition()
        self.ready = False
        self._replies: dict[int, int] = {}
        self._next_id = 0
        self._send_lock = threading.Lock()
        ours, theirs = socket.socketpair(socket.AF_UNIX, socket.SOCK_SEQPACKET)
        self.sock = ours
        env = {**os.environ, "PYTHONUNBUFFERED": "1", "PYTHONDONTWRITEBYTECODE": "1"}
        env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(paths.REPO_ROOT), env.get("PYTHONPATH")]))
        self.proc = procs.spawn([sys.executable, "-P", "-m", "checker.zygote", lesson_id, str(exercise_dir),
                                 str(theirs.fileno())], pass_fds=(theirs.fileno(),), stdin=subprocess.DEVNULL,
                                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, cwd=str(paths.REPO_ROOT),
                                env=env)
        theirs.close()
        threading.Thread(target=self._read, daemon=True).start()
        _active[self.key] = self

    def alive(self) -> bool:
        return self.proc.poll() is None

    def wait_ready(self, timeout: float) -> bool:
        """True once the zygote has imported everything and forks on request."""
        with self.changed:
            self.changed.wait_for(lambda: self.ready or not self.alive(), timeout)
            return self.ready and self.alive()

    def _read(self) -> None:
        while True:
            try:
                data = self.sock.recv(4096)
            except OSError:
                data = b""
            with self.changed:
                if not data:
                    self.changed.notify_all()
                    return
                message = json.loads(data)
                if "ready" in message:
                    self.ready = True
                elif "exit" in message:
                    self.exit_codes[message["exit"]] = message["code"]
                else:
                    self._replies[message["id"]] = message["pid"]
                self.changed.notify_all()

    def fork(self, spec_text: str, fds: tuple[int, int], timeout: float = 60.0) -> ForkedProcess:
        """A grading process for ``spec_text`` writing events to ``fds[0]``, output to ``fds[1]``."""
        if not self.wait_ready(timeout):
            raise RuntimeError("the zygote is not running")
        with self._send_lock:
            self._next_id += 1
            ident = self._next_id
            socket.send_fds(self.sock, [json.dumps({"id": ident, "spec": spec_text}).encode()], list(fds))
        with self.changed:
            if not self.changed.wait_for(lambda: ident in self._replies or not self.alive(), timeout) \
                    or ident not in self._replies:
                raise RuntimeError("the zygote did not fork a grading process")
            return ForkedProcess(self._replies.pop(ident), self)

    def close(self) -> None:
        """Stop the zygote (and any grading it forked that still runs)."""
        if _active.get(self.key) is self:
            del _active[self.key]
        procs.stop_tree(self.proc, grace=1.0)
        self.sock.close()


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


def preload(lesson, exercise_dir: Path) -> None:
    """Import what every grading of ``lesson`` imports, never the learner's or the lesson's own files."""
    from checker import worker  # noqa: F401 - the grading process itself
    from checker.checks import checks_of

    checks_of(lesson)  # their modules import only checker, workshop and the standard library at the top
    for name in third_party_imports(lesson, exercise_dir):
        try:
            importlib.import_module(name)
        except Exception:  # noqa: BLE001 - e.g. needs Django settings: the grading imports it then
            pass


def _child(spec_text: str, fds: list[int], sock: socket.socket, wakeup: tuple[int, int]) -> None:
    """In the forked grading process: become a session of its own, then grade like a spawned worker."""
    code = 1
    try:
        os.setsid()
        signal.set_wakeup_fd(-1)
        signal.signal(signal.SIGCHLD, signal.SIG_DFL)
        sock.close()
        for fd in wakeup:
            os.close(fd)
        devnull = os.open(os.devnull, os.O_RDONLY)
        os.dup2(devnull, 0)
        os.dup2(fds[1], 1)
        os.dup2(fds[1], 2)
        for fd in (devnull, fds[1]):
            os.close(fd)
        from checker import pipeline, worker

        spec = pipeline.WorkerSpec.decode(spec_text)
        spec = pipeline.WorkerSpec(**{**spec.__dict__, "fd": fds[0]})
        code = worker.main([spec.encode()])
        atexit._run_exitfuncs()
    except SystemExit as stop:
        code = stop.code if isinstance(stop.code, int) else 1
    except BaseException:  # noqa: BLE001 - say why, then end this process only
        import traceback

        traceback.print_exc()
    finally:
        for stream in (sys.stdout, sys.stderr):
            try:
                stream.flush()
            except Exception:  # noqa: BLE001
                pass
        os._exit(code)


def serve(lesson_id: str, exercise_dir: Path, sock: socket.socket) -> None:
    from checker import catalog

    preload(catalog.find(catalog.load(), lesson_id), exercise_dir)
    wake_read, wake_write = os.pipe()
    os.set_blocking(wake_write, False)
    signal.signal(signal.SIGCHLD, lambda *_: None)
    signal.set_wakeup_fd(wake_write)
    sock.send(b'{"ready": true}')
    while True:
        ready, _, _ = select.select([sock, wake_read], [], [])
        if wake_read in ready:
            os.read(wake_read, 512)
            while True:
                try:
                    pid, status = os.waitpid(-1, os.WNOHANG)
                except ChildProcessError:
                    break
                if pid == 0:
                    break
                sock.send(json.dumps({"exit": pid, "code": os.waitstatus_to_exitcode(status)}).encode())
        if sock in ready:
            data, fds, _, _ = socket.recv_fds(sock, 65536, 2)
            if not data:  # the runner went away: no orphan may outlive us (PID 1 may not reap it)
                for pid in procs.descendants(os.getpid()):
                    with contextlib.suppress(ProcessLookupError):
                        os.kill(pid, signal.SIGKILL)
                return
            request = json.loads(data)
            sys.stdout.flush()
            pid = os.fork()
            if pid == 0:
                _child(request["spec"], fds, sock, (wake_read, wake_write))
            for fd in fds:
                os.close(fd)
            sock.send(json.dumps({"id": request["id"], "pid": pid}).encode())


if __name__ == "__main__":
    serve(sys.argv[1], Path(sys.argv[2]), socket.socket(fileno=int(sys.argv[3])))
