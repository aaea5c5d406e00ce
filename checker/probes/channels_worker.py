"""Channels' background worker (``runworker``) as a ``workshop.launch.Service``, ready when it logs
``Running worker for channels [...]``.

The process is ``workshop.channels_worker`` (Channels' ``Worker`` on the lesson's application,
built for the exercise folder on its command line). Like a Celery worker it opens no port, so
its log line is the ready-when test::

    worker = channels_worker.service(lesson_dir, exercise_dir, "jobsite.settings",
                                     "jobsite.asgi:application_for", ["jobs-worker"], env=env)

Stopping it is ``Service.stop``: SIGTERM, then SIGKILL, then ``wait()``. Whatever messages it
had received and not yet handled die with it: delivery on a channel is at most once.
"""

from __future__ import annotations

import re
from pathlib import Path

from checker.probes.celery_worker import CeleryWorker
from workshop import channels_worker


class ChannelsWorker(CeleryWorker):
    """A portless ``Service`` ready on ``workshop.channels_worker.READY_LINE``."""

    READY_LINE = re.escape(channels_worker.READY_LINE)
    KIND = "Channels worker (runworker)"


def service(lesson_dir: Path, exercise_dir: Path, settings: str, factory: str, channels: list[str], *,
            name: str = "runworker", env: dict | None = None, log_path: Path | None = None,
            ready_timeout: float = 20.0) -> ChannelsWorker:
    """A worker receiving from ``channels`` with ``factory(exercise_dir)``'s ``"channel"`` route (not started)."""
    argv = channels_worker.argv(Path(lesson_dir).resolve(), Path(exercise_dir).resolve(), settings, factory, channels)
    return ChannelsWorker(name, argv, env=env, cwd=str(Path(lesson_dir).resolve()), log_path=log_path,
                          ready_timeout=ready_timeout)
