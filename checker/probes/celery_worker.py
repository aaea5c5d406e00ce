"""A real Celery worker subprocess as a ``workshop.launch.Service``, ready when it logs ``ready.``.

A worker listens on no port, so the port test of ``Service`` cannot tell when it is ready; its
log can: Celery prints ``celery@host ready.`` once it consumes from the queue. A launcher adds it
beside its web servers and ``start_all`` starts them together::

    worker = celery_worker.service(lesson_dir, exercise_dir, "jobsite.settings", "jobsite.celery:app",
                                   env=env, ready_timeout=ctx.timeout(20))

Stopping it is ``Service.stop``: SIGTERM (Celery's warm shutdown), then SIGKILL, then ``wait()``.
"""

from __future__ import annotations

import os
import tempfile
import time
import uuid
from pathlib import Path

from workshop import celery_worker, server_forks
from workshop.launch import Service


class CeleryWorker(Service):
    """A ``Service`` whose only ready-when test is its log line (it has no port).

    Subclasses for other portless workers set ``READY_LINE`` (a regular expression) and ``KIND``."""

    READY_LINE = celery_worker.READY_LINE
    KIND = "Celery worker"

    def __init__(self, name: str, argv, **kwargs):
        super().__init__(name, argv, 0, ready_line=self.READY_LINE, **kwargs)

    def start(self) -> "CeleryWorker":
        if self.log_path is None:
            fd, log_name = tempfile.mkstemp(prefix=f"workshop-{self.name}-", suffix=".log")
            os.close(fd)
            self.log_path = Path(log_name)
        self._log = open(self.log_path, "wb")
        self.proc = server_forks.spawn(self.argv, log=self._log, env=self.env, cwd=self.cwd,
                                       timeout=self.ready_timeout)
        end = time.monotonic() + self.ready_timeout
        while not self.ready_line.search(self.log_tail(200)):
            if self.proc.poll() is not None or time.monotonic() > end:
                state = (f"exited with code {self.proc.returncode}" if self.proc.poll() is not None
                         else f"was not ready within {self.ready_timeout:g} s")
                tail = self.log_tail()
                self.stop()
                raise RuntimeError(f"the {self.KIND} {state}.\n{tail}")
            time.sleep(0.05)
        return self

    def log_text(self) -> str:
        return self.log_path.read_text(errors="replace") if self.log_path and self.log_path.exists() else ""


def service(lesson_dir: Path, exercise_dir: Path, settings: str, app: str, *, name: str = "worker",
            pool: str = "solo", concurrency: int = 1, env: dict | None = None, log_path: Path | None = None,
            ready_timeout: float = 20.0) -> CeleryWorker:
    """A worker for ``app`` running the tasks of ``exercise_dir`` (not started yet).

    ``solo`` runs one task at a time in the worker's main thread; ``threads`` runs ``concurrency``
    at once. No gossip, mingle or heartbeat: one worker alone starts faster without them.
    """
    options = [f"--pool={pool}", "--loglevel=INFO", "--without-gossip", "--without-mingle", "--without-heartbeat",
               "--hostname", f"{name}-{uuid.uuid4().hex[:8]}@%h"]  # unique: Celery warns of twins
    if pool != "solo":
        options.append(f"--concurrency={concurrency}")
    return CeleryWorker(name, celery_worker.argv(lesson_dir, exercise_dir, settings, app, options), env=env,
                        log_path=log_path, ready_timeout=ready_timeout)
