"""The slow work itself: rendering one page of a report. Stands in for anything slow (a PDF, a
video transcode, a big export, a call to a slow API). Also what a request asks for: the form's
fields and which engine runs the job."""

from __future__ import annotations

import time

from django.conf import settings

# The named channel Channels' worker process listens on (``runworker jobs-worker``): the view sends
# to it, ``jobsite/asgi.py`` routes it to the learner's ``workers.ReportWorker``.
WORKER_CHANNEL = "jobs-worker"
ENGINES = ("celery", "channels")  # who runs a job: a Celery worker (the default) or Channels' worker


class RenderError(Exception):
    """A page could not be rendered."""


def render_page(page: int, fail_at: int | None = None) -> str:
    """Render page ``page`` (0-based): takes ``settings.JOB_STEP_SECONDS``. Raises RenderError on
    page ``fail_at``, so the lesson can show a job that fails halfway."""
    time.sleep(settings.JOB_STEP_SECONDS)
    if fail_at is not None and page == fail_at:
        raise RenderError(f"page {page + 1} could not be rendered (the job was started with fail_at={fail_at})")
    return f"page {page + 1}"


def parse_job_request(post) -> tuple[int, int | None]:
    """(steps, fail_at) from the form (``request.POST``); ValueError with a reason if they are bad.

    ``steps``: a whole number from 1 to JOB_MAX_STEPS. ``fail_at``: empty, or the 1-based page
    that should fail (returned 0-based)."""
    steps_text = (post.get("steps") or "").strip()
    if not steps_text.isdigit() or not 1 <= int(steps_text) <= settings.JOB_MAX_STEPS:
        raise ValueError(f"steps must be a whole number from 1 to {settings.JOB_MAX_STEPS}, not {steps_text!r}")
    steps = int(steps_text)
    fail_text = (post.get("fail_at") or "").strip()
    if not fail_text:
        return steps, None
    if not fail_text.isdigit() or not 1 <= int(fail_text) <= steps:
        raise ValueError(f"fail_at must be empty or a page from 1 to {steps}, not {fail_text!r}")
    return steps, int(fail_text) - 1


def parse_engine(request) -> str:
    """Which engine runs the job: ``?engine=channels`` in the URL or the form's ``engine`` field;
    ``"celery"`` when neither says. ValueError for any other name."""
    engine = (request.GET.get("engine") or request.POST.get("engine") or ENGINES[0]).strip().lower()
    if engine not in ENGINES:
        raise ValueError(f"engine must be one of {', '.join(ENGINES)}, not {engine!r}")
    return engine
