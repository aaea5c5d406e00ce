"""Background work the Channels way: a consumer of a named channel, run by ``runworker``.

No Celery here. The view sends a message to the channel ``jobs-worker`` (``WORKER_CHANNEL``)
through the channel layer; a separate process started with ``python manage.py runworker
jobs-worker`` (in this workshop ``python -m workshop.channels_worker ... jobs-worker``, the same
worker with your folder on its command line) receives it and hands it to the consumer that
``jobsite/asgi.py`` routes that channel to::

    ProtocolTypeRouter({..., "channel": ChannelNameRouter({"jobs-worker": ReportWorker.as_asgi()})})

A message's ``type`` names the method that handles it, as for group events: ``"job.render"``
calls ``job_render``. The job's steps and its progress are the Celery task's (``render_report``
reports to the job's group, and ``JobConsumer`` forwards to the pages): only the delivery differs,
and it is weaker. A message on a channel is delivered *at most once*: no acknowledgement, no retry,
no result store; it waits in Redis at most the layer's ``expiry`` (60 s) for a worker, a full
channel refuses it (``ChannelFull``), and a worker that dies loses every message it had taken.
"""

from __future__ import annotations

import logging

from channels.consumer import SyncConsumer

import tasks  # noqa: F401  (you will need it)

logger = logging.getLogger("jobs.worker")


class ReportWorker(SyncConsumer):
    """The consumer of the channel ``jobs-worker``: a worker process builds one instance for the
    channel and feeds it every message, one after the other, in the order they arrived."""

    def job_render(self, message):
        """A message ``{"type": "job.render", "job": job_id, "steps": n, "fail_at": k or None}``: run that job.

        * Run the Celery task's steps right here: ``tasks.render_report(job_id, steps, fail_at)``.
          Calling a Celery task object runs its function in this process, like any function (no
          queue, no Celery worker); it reports 0/steps, then each page, then "done" or "failed", to
          the job's group.
        * Blocking is fine: a ``SyncConsumer`` runs its handlers in a thread, so while the pages
          render, the worker's event loop goes on receiving the next messages for this instance.
        * Never let an exception out. A Celery worker records a failed task and goes on; here an
          exception ends this consumer instance (the worker logs "Exception inside application"),
          and the messages it had already received for it, the jobs queued behind this one, are
          lost with it. ``render_report`` has reported the failure to the page before raising:
          catch ``Exception``, log it (``logger.warning``) and return.
        """
        # TODO: run the job's steps (tasks.render_report); catch and log an exception instead of raising it.
        raise NotImplementedError("ReportWorker.job_render")
