"""The background work: a Celery task that renders a report and pushes its progress.

The worker (``celery -A jobsite worker``) imports this module and runs ``render_report`` when a
message for it comes off the Redis queue. The worker is a plain synchronous process: no event
loop, no consumers. It talks to browsers only through the channel layer, by sending events to
the job's group; the consumers in the Daphne process forward them.
"""

from __future__ import annotations

from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer

from jobs.store import group_for, save_state
from jobs.work import render_page
from jobsite.celery import app


def report_progress(job_id: str, done: int, total: int, error: str | None = None) -> dict:
    """Save the job's state and send it to the job's group; return the state."""
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
    """Render ``steps`` pages, reporting 0/steps first, then after each page; failed on an error."""
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
