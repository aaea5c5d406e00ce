"""How the demo, the checker and the benchmark start lesson 07's processes, as you would by hand::

    export PYTHONPATH=exercises/07-task-queues:lessons/07-task-queues:. WORKSHOP_REDIS_URL=redis://127.0.0.1:6379/0
    daphne -b 127.0.0.1 -p 8007 jobsite.asgi:application                   # the web process
    celery -A jobsite worker --pool=solo --loglevel=INFO                    # the worker (another terminal)

The Celery worker listens on no port, so "ready" means: its log says ``ready.``.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

LESSON_DIR = Path(__file__).resolve().parent.parent
REPO_ROOT = LESSON_DIR.parent.parent
sys.path.insert(0, str(REPO_ROOT))

from workshop import channels_support, procs  # noqa: E402


def daphne_argv(port: int, host: str = "127.0.0.1", *, access_log: bool = True) -> list[str]:
    return channels_support.daphne_argv("jobsite.asgi:application", port, host, access_log=access_log)


def worker_argv(pool: str = "solo", concurrency: int = 1, loglevel: str = "INFO") -> list[str]:
    """``celery -A jobsite worker``. ``solo`` runs tasks in the worker's main thread, one at a time;
    ``threads`` runs ``concurrency`` at once. No gossip/mingle/heartbeat: one worker, faster start."""
    argv = [sys.executable, "-m", "celery", "-A", "jobsite", "worker", f"--pool={pool}",
            f"--loglevel={loglevel}", "--without-gossip", "--without-mingle", "--without-heartbeat",
            "--hostname", f"lesson07-{os.getpid()}@%h"]
    if pool != "solo":
        argv.append(f"--concurrency={concurrency}")
    return argv


def lesson_env(exercise_dir: Path, redis_url: str, *, step_seconds: float | None = None,
               base: dict | None = None) -> dict[str, str]:
    """The learner's folder first on PYTHONPATH, then the lesson, then the repository; one Redis."""
    env = channels_support.lesson_env(LESSON_DIR, exercise_dir, "jobsite.settings", base)
    env["WORKSHOP_REDIS_URL"] = redis_url
    if step_seconds is not None:
        env["WORKSHOP_JOB_STEP_SECONDS"] = str(step_seconds)
    return env


class Worker:
    """A real Celery worker subprocess: ``with Worker(env) as w:`` starts it and waits for ``ready.``;
    leaving the block stops it and every child (SIGTERM: warm shutdown, then SIGKILL) and reaps it."""

    def __init__(self, env: dict, *, log_path: Path | None = None, pool: str = "solo", concurrency: int = 1,
                 ready_timeout: float = 20.0, echo: bool = False):
        self.env = env
        self.argv = worker_argv(pool, concurrency)
        self.ready_timeout = ready_timeout
        self.echo = echo
        self.log_path = Path(log_path) if log_path else None
        self.proc: subprocess.Popen | None = None
        self._log = None

    def start(self) -> "Worker":
        if self.log_path is None:
            import tempfile

            fd, name = tempfile.mkstemp(prefix="workshop-07-worker-", suffix=".log")
            os.close(fd)
            self.log_path = Path(name)
        self._log = open(self.log_path, "wb")
        self.proc = procs.spawn(self.argv, env=self.env, cwd=str(LESSON_DIR), stdin=subprocess.DEVNULL,
                                stdout=self._log, stderr=subprocess.STDOUT)
        deadline = time.monotonic() + self.ready_timeout
        while " ready." not in self.log_path.read_text(errors="replace"):
            if self.proc.poll() is not None or time.monotonic() > deadline:
                state = (f"exited with code {self.proc.returncode}" if self.proc.poll() is not None
                         else f"was not ready within {self.ready_timeout:g} s")
                tail = self.log_tail()
                self.stop()
                raise RuntimeError(f"the Celery worker {state}.\n{tail}")
            time.sleep(0.05)
        return self

    def log_text(self) -> str:
        return self.log_path.read_text(errors="replace") if self.log_path and self.log_path.exists() else ""

    def log_tail(self, lines: int = 15) -> str:
        return "\n".join(self.log_text().splitlines()[-lines:])

    def stop(self) -> None:
        if self.proc is not None:
            procs.stop_tree(self.proc, grace=5.0)
        if self._log is not None:
            self._log.close()
            self._log = None

    def __enter__(self) -> "Worker":
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()
