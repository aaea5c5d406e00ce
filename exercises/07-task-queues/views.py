"""Starting a job: the request only enqueues, and answers at once."""

from __future__ import annotations

from asgiref.sync import async_to_sync  # noqa: F401
from channels.exceptions import ChannelFull  # noqa: F401
from channels.layers import get_channel_layer  # noqa: F401
from django.http import HttpResponseNotAllowed, JsonResponse  # noqa: F401

from jobs.store import create_job  # noqa: F401
from jobs.work import WORKER_CHANNEL, parse_engine, parse_job_request  # noqa: F401
from tasks import render_report  # noqa: F401


def start_job(request):
    """POST /jobs/ with the form fields ``steps``, ``fail_at`` and ``engine``: start a job, answer at once.

    * Not a POST: ``HttpResponseNotAllowed(["POST"])``.
    * ``steps, fail_at = parse_job_request(request.POST)`` and ``engine = parse_engine(request)``
      (``"celery"``, or ``"channels"`` for ``?engine=channels``); on ValueError from either answer
      ``JsonResponse({"error": str(problem)}, status=400)``.
    * ``job_id = create_job(steps)`` (saves the state "queued").
    * Celery: enqueue, do not run: ``render_report.delay(job_id, steps, fail_at)`` puts a message
      on the Redis queue and returns at once; the worker runs it. Calling ``render_report(...)``
      directly would render the whole report here, holding this request (and a worker of a WSGI
      server) for as long as it takes.
    * Channels: send ``{"type": "job.render", "job": job_id, "steps": steps, "fail_at": fail_at}``
      to the channel ``WORKER_CHANNEL`` with the layer's ``send`` (a coroutine function: from this
      sync view, ``async_to_sync(get_channel_layer().send)(WORKER_CHANNEL, message)``). A channel
      holds at most its capacity of messages (100 by default); past that ``send`` raises
      ``ChannelFull`` and the job would never run: answer
      ``JsonResponse({"error": ...}, status=503)`` instead of 202.
    * Answer ``JsonResponse({"job": job_id, "engine": engine}, status=202)`` (202 Accepted: the
      work is not done yet).
    """
    # TODO
    raise NotImplementedError("start_job")
