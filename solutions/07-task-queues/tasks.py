"""The background work: a Celery task that renders a report and pushes its progress.

The worker (``celery -A jobsite worker``) imports this module and runs ``render_report`` when a
message for it comes off the Redis queue. The worker is a plain synchronous process: no event
loop, no consumers. It talks to browsers only through the channel layer, by sending events to
the job's group (``group_for(job_id)``, i.e. ``job.<id>``); the consumers in the Daphne process
forward them to the pages.
"""

from __future__ import annotations

from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer

from jobs.store import group_for, save_state
from jobs.work import render_page
from jobsite.celery import app


def report_progress(job_id: str, done: int, total: int, error: str | None = None) -> dict:
    """Save the job's state and send it to the job's group; return the state.

    The state is ``{"job": job_id, "status": ..., "done": done, "total": total}``, where status is
    ``"failed"`` when ``error`` is given (then add ``"error": error`` too), else ``"done"`` when
    ``done >= total``, else ``"running"``.

    1. ``save_state(job_id, state)`` first, so a page connecting from now on reads it.
    2. Send ``{"type": "job.progress", "state": state}`` to the group ``group_for(job_id)`` through
       ``get_channel_layer()``. Careful: ``group_send`` is a coroutine function. Called from sync
       code as ``layer.group_send(...)`` it returns a coroutine that never runs (Python only warns
       "coroutine ... was never awaited") and nothing is sent. Wrap it:
       ``async_to_sync(layer.group_send)(group, event)``.
       If ``get_channel_layer()`` returns None, this process has no CHANNEL_LAYERS setting: raise an
       error that says so rather than failing later with an AttributeError.
    """
    if error is not None:
        status = "failed"
    elif done >= total:
        status = "done"
    else:
        status = "running"
    state = {"job": job_id, "status": status, "done": done, "total": total}
    if error is not None:
        state["error"] = error
    save_state(job_id, state)  # first, so a page connecting now reads at least this
    layer = get_channel_layer()
    if layer is None:
        raise RuntimeError("no channel layer: CHANNEL_LAYERS is not configured in this process")
    async_to_sync(layer.group_send)(group_for(job_id), {"type": "job.progress", "state": state})
    return state


@app.task(acks_late=True)
def render_report(job_id: str, steps: int, fail_at: int | None = None) -> int:
    """Render ``steps`` pages with ``render_page(page, fail_at)``, reporting progress; return the pages done.

    Report ``report_progress(job_id, 0, steps)`` before the first page, then after each page
    ``report_progress(job_id, done, steps)``: the last one is ``done == steps``, status "done".
    If a page raises, report the failure (``error=str(exc)``, with the pages done so far) and
    re-raise, so Celery records the task as failed too.

    ``acks_late=True`` (already there): the queue message is acknowledged only after the task
    returns, so a worker killed halfway gives the job back to the queue and it runs again. That is
    at-least-once delivery: make a second run harmless (saving the latest state is).
    """
    done = 0
    report_progress(job_id, done, steps)
    try:
        for page in range(steps):
            render_page(page, fail_at)
            done += 1
            report_progress(job_id, done, steps)
    except Exception as exc:
        report_progress(job_id, done, steps, error=str(exc))
        raise
    return done
