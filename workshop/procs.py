"""Start subprocesses that can always be stopped, with everything they started.

A learner's server may spawn children, Chromium spawns a dozen, and on some machines
PID 1 does not reap orphans. So every process the workshop starts gets its own session
(process group), and stopping it means: find the whole tree of descendants *first*
(children re-parent once their parent dies), ask politely (SIGTERM), then SIGKILL
whatever is left, and ``wait()`` for our direct child so it never lingers as a zombie.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

from . import net, paths


def _process_table() -> list[tuple[int, int, int]]:
    """(pid, ppid, pgid) of every process we can see."""
    rows: list[tuple[int, int, int]] = []
    proc = Path("/proc")
    if sys.platform.startswith("linux") and proc.is_dir():
        for entry in proc.iterdir():
            if not entry.name.isdigit():
                continue
            try:
                stat = (entry / "stat").read_text()
            except OSError:
                continue
            # The command name (field 2) may contain spaces and parentheses: split after the last ')'.
            fields = stat[stat.rfind(")") + 2 :].split()
            rows.append((int(entry.name), int(fields[1]), int(fields[2])))
        return rows
    out = subprocess.run(["ps", "-A", "-o", "pid=,ppid=,pgid="], capture_output=True, text=True).stdout
    for line in out.splitlines():
        parts = line.split()
        if len(parts) == 3:
            rows.append((int(parts[0]), int(parts[1]), int(parts[2])))
    return rows


def running(pid: int) -> bool:
    """True while ``pid`` runs; a zombie (ended, not reaped yet, perhaps by nobody) does not count."""
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0] != "Z"
    except (OSError, IndexError):
        pass  # no /proc (macOS), or the process is gone
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        pass  # it exists, and is someone else's
    return True


def python_env(base=None) -> dict:
    """``base`` (default: this environment) for a Python child that imports this repository's
    packages: the repository first on ``PYTHONPATH``, output unbuffered, no ``.pyc`` written."""
    env = {**(os.environ if base is None else base), "PYTHONUNBUFFERED": "1", "PYTHONDONTWRITEBYTECODE": "1"}
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(paths.REPO_ROOT), env.get("PYTHONPATH")]))
    return env


def descendants(pid: int) -> set[int]:
    """``pid``'s children, grandchildren, ... and every member of its process group."""
    table = _process_table()
    children: dict[int, list[int]] = {}
    for child, parent, _ in table:
        children.setdefault(parent, []).append(child)
    found: set[int] = set()
    todo = [pid]
    while todo:
        for child in children.get(todo.pop(), []):
            if child not in found:
                found.add(child)
                todo.append(child)
    found.update(p for p, _, group in table if group == pid and p != pid)
    return found


def rss_bytes(pid: int) -> int:
    """Resident memory of one process in bytes (``VmRSS`` in /proc; ``ps`` elsewhere); 0 once it is gone.

    The benchmarks read it before and after opening connections: the difference per connection is
    what one more client costs a server."""
    status = Path(f"/proc/{pid}/status")
    if status.exists():
        try:
            for line in status.read_text().splitlines():
                if line.startswith("VmRSS:"):
                    return int(line.split()[1]) * 1024
        except OSError:  # it ended between the two looks
            pass
        return 0
    out = subprocess.run(["ps", "-o", "rss=", "-p", str(pid)], capture_output=True, text=True).stdout.strip()
    return int(out or 0) * 1024


def _signal_all(pids, sig) -> None:
    for pid in pids:
        try:
            os.kill(pid, sig)
        except (ProcessLookupError, PermissionError):
            pass


def stop_tree(proc: subprocess.Popen, grace: float = 3.0) -> int | None:
    """Stop ``proc`` and everything it started; return its exit code.

    SIGTERM first, so servers can close sockets and delete temporary files; SIGKILL after
    ``grace`` seconds for whatever did not listen.
    """
    if proc.poll() is None:
        tree = descendants(proc.pid)
        _signal_all([proc.pid, *tree], signal.SIGTERM)
        try:
            proc.wait(timeout=grace)
        except subprocess.TimeoutExpired:
            pass
        kill_tree(proc, tree)
    else:
        kill_tree(proc, descendants(proc.pid))
    return proc.returncode


def kill_tree(proc: subprocess.Popen, known: set[int] | None = None) -> int | None:
    """SIGKILL ``proc`` and its descendants at once (no grace), then reap it."""
    tree = set(known or ()) | (descendants(proc.pid) if proc.poll() is None else set())
    _signal_all([proc.pid, *tree], signal.SIGKILL)
    try:
        os.killpg(proc.pid, signal.SIGKILL)
    except (ProcessLookupError, PermissionError, OSError):
        pass
    try:
        proc.wait(timeout=5)
    except subprocess.TimeoutExpired:  # pragma: no cover - a process stuck in the kernel
        pass
    return proc.returncode


def spawn(argv, **kwargs) -> subprocess.Popen:
    """``subprocess.Popen`` in a new session, so the whole group can be stopped together."""
    kwargs.setdefault("start_new_session", True)
    return subprocess.Popen(argv, **kwargs)


class ServerProcess:
    """A server subprocess that is listening once ``start()`` returns and is stopped by ``stop()``.

    Use it as a context manager. Output goes to a log file so that a server that dies at
    start-up can be explained to the learner with its last lines.
    """

    def __init__(self, argv, port: int, *, host: str = net.LOOPBACK, env=None, cwd=None,
                 log_path: Path | None = None, ready_timeout: float = 10.0):
        self.argv = [str(a) for a in argv]
        self.port = port
        self.host = host
        self.env = env
        self.cwd = cwd
        self.ready_timeout = ready_timeout
        self.log_path = Path(log_path) if log_path else None
        self.proc: subprocess.Popen | None = None
        self._log = None
        self._own_log = log_path is None

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}"

    def start(self) -> "ServerProcess":
        if self.log_path is None:
            import tempfile

            fd, name = tempfile.mkstemp(prefix="workshop-server-", suffix=".log")
            os.close(fd)
            self.log_path = Path(name)
        self._log = open(self.log_path, "wb")
        from workshop import server_forks  # forked warm when this process started a fork server for it

        self.proc = server_forks.spawn(self.argv, log=self._log, env=self.env, cwd=self.cwd,
                                       timeout=self.ready_timeout)
        ready = net.wait_for_port(self.port, self.host, self.ready_timeout, alive=lambda: self.proc.poll() is None)
        if not ready:
            code = self.proc.poll()
            self.stop()
            tail = self.log_tail()
            state = f"exited with code {code}" if code is not None else f"did not listen within {self.ready_timeout:g} s"
            raise RuntimeError(f"the server ({' '.join(self.argv[-4:])}) {state} on {self.host}:{self.port}.\n{tail}")
        return self

    def log_tail(self, lines: int = 15) -> str:
        if not self.log_path or not self.log_path.exists():
            return ""
        text = self.log_path.read_text(errors="replace").splitlines()
        return "\n".join(text[-lines:])

    def stop(self) -> None:
        if self.proc is not None:
            stop_tree(self.proc)
        if self._log is not None:
            self._log.close()
            self._log = None

    def __enter__(self) -> "ServerProcess":
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()
        if self._own_log and self.log_path is not None:
            self.log_path.unlink(missing_ok=True)
