"""What every ring of lesson 07's checks shares: Django in this process on the check's real Redis,
the learner's modules, the channel layer and the state comparison."""

from __future__ import annotations

import contextlib
import os

from checker.api import CheckFailed, Context

STEP_SECONDS = 0.01  # per page, when the task runs in this process
RECV = 1.0           # seconds (at scale 1) to wait for an event that should come
SCENARIO = 5.0       # seconds (at scale 1) for one asynchronous scenario
QUEUE = "celery"     # the Redis list Celery's default queue lives in


@contextlib.contextmanager
def _django_setup(ctx: Context):
    redis = ctx.redis()
    os.environ["WORKSHOP_REDIS_URL"] = redis.url
    os.environ["WORKSHOP_JOB_STEP_SECONDS"] = str(STEP_SECONDS)
    from workshop.channels_support import ensure_django

    ensure_django("jobsite.settings")
    # Loading the learner's files may have set Django up already (with the default Redis URL):
    # point the settings, the channel layer and Celery at this check's Redis.
    from channels.layers import channel_layers
    from django.conf import settings

    from jobsite.celery import app

    settings.REDIS_URL = settings.CELERY_BROKER_URL = redis.url
    settings.JOB_STEP_SECONDS = STEP_SECONDS
    settings.EXERCISE_DIR = ctx.exercise_dir
    settings.CHANNEL_LAYERS["default"]["CONFIG"]["hosts"][0]["address"] = redis.url
    channel_layers._reset_backends("CHANNEL_LAYERS")
    app.conf.broker_url = redis.url
    import redis as redis_py

    client = redis_py.Redis.from_url(redis.url, decode_responses=True)
    yield client
    client.close()


def learner_module(ctx: Context, module: str):
    """(a redis-py client on the check's Redis, the learner's ``module``), Django set up."""
    client = ctx.resource("django", lambda: _django_setup(ctx))
    return client, ctx.import_learner(module)


def layer():
    from channels.layers import get_channel_layer

    found = get_channel_layer()
    if found is None:
        raise CheckFailed("get_channel_layer() returned None: CHANNEL_LAYERS is missing from the settings.")
    return found


def expect_state(state, where: str, job_id: str, status: str, done: int, total: int) -> None:
    want = {"job": job_id, "status": status, "done": done, "total": total}
    if not isinstance(state, dict) or any(state.get(k) != v for k, v in want.items()):
        raise CheckFailed(f"{where}: got {state!r:.300}; expected {want}.")
