"""Lesson 07's servers, started once for the demo, the checks and the benchmark::

    with launch(exercise_dir, Ports(http=8000)) as site:
        site.url("http")                 # Daphne: the page, POST /jobs/, /ws/jobs/<id>/
        site.services["worker"]          # the Celery worker (.log_tail())
        site.services["runworker"]       # Channels' worker for the channel jobs-worker (.log_tail())
        site.extras["redis_url"]         # broker, channel layer and job state

Four real processes on 127.0.0.1: a Redis server (unless ``redis_url`` names one already
running), a Celery worker running the learner's ``tasks.py``, Channels' worker (``runworker
jobs-worker``) running the learner's ``workers.py``, and Daphne serving
``jobsite.asgi.application_for(exercise_dir)``. The last three get the exercise folder on their
command line; all read ``WORKSHOP_REDIS_URL`` so they meet on the same Redis. By hand::

    python -m workshop.asgi_server --lesson-dir lessons/07-task-queues --exercise-dir DIR \\
        --settings jobsite.settings --factory jobsite.asgi:application_for --port 8000
    python -m workshop.celery_worker --lesson-dir lessons/07-task-queues --exercise-dir DIR \\
        --settings jobsite.settings --app jobsite.celery:app -- --pool=solo
    python -m workshop.channels_worker --lesson-dir lessons/07-task-queues --exercise-dir DIR \
        --settings jobsite.settings --factory jobsite.asgi:application_for jobs-worker
"""

from __future__ import annotations

import os
import threading
from pathlib import Path

from checker.probes import celery_worker, channels_worker, daphne
from workshop.launch import Launch, Ports, start_all
from workshop.redis_server import RedisServer

LESSON_DIR = Path(__file__).resolve().parent
SETTINGS = "jobsite.settings"
FACTORY = "jobsite.asgi:application_for"
WORKER_CHANNELS = ["jobs-worker"]  # jobs.work.WORKER_CHANNEL (not imported here: it needs Django's settings)


def server_env(redis_url: str, step_seconds: float) -> dict[str, str]:
    """What the web process and the worker share: one Redis, one page time."""
    return {**os.environ, "WORKSHOP_REDIS_URL": redis_url, "WORKSHOP_JOB_STEP_SECONDS": str(step_seconds),
            "PYTHONUNBUFFERED": "1"}


def launch(exercise_dir: Path, ports: Ports, *, pool: str = "solo", concurrency: int = 1, step_seconds: float = 0.5,
           redis_url: str | None = None, access_log: bool = True, ready_timeout: float = 20.0,
           echo: bool = False) -> Launch:
    """Redis, a Celery worker (``pool``: ``solo`` or ``threads``), Channels' worker and Daphne on
    ``ports["http"]``.

    ``echo`` copies the servers' logs to this terminal as they write them (the demo's view).
    """
    exercise_dir = Path(exercise_dir).resolve()

    def start(site: Launch) -> None:
        url = redis_url or site.enter(RedisServer()).url
        site.extras["redis_url"] = url
        env = server_env(url, step_seconds)
        worker = site.add(celery_worker.service(LESSON_DIR, exercise_dir, SETTINGS, "jobsite.celery:app", pool=pool,
                                                concurrency=concurrency, env=env, ready_timeout=ready_timeout))
        runworker = site.add(channels_worker.service(LESSON_DIR, exercise_dir, SETTINGS, FACTORY, WORKER_CHANNELS,
                                                     env=env, ready_timeout=ready_timeout))
        web = site.add(daphne.service("daphne", ports["http"], lesson_dir=LESSON_DIR, exercise_dir=exercise_dir,
                                      settings=SETTINGS, factory=FACTORY, env=env,
                                      host=ports.host, access_log=access_log, timeout=ready_timeout))
        start_all([worker, runworker, web])
        if echo:
            stop = threading.Event()
            site.callback(stop.set)
            daphne.follow([worker, runworker, web], stop=stop)

    return Launch(ports, start)
