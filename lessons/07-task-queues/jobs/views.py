"""The page, its JavaScript and a JSON view of a job's state. Starting a job is the learner's
``views.start_job`` (see ``jobsite/urls.py``)."""

from __future__ import annotations

import sys
from pathlib import Path

from django.conf import settings
from django.http import Http404, HttpResponse, JsonResponse
from django.shortcuts import render
from django.views.decorators.csrf import ensure_csrf_cookie

from jobs.store import load_state
from workshop import learner

STATIC = Path(__file__).with_name("static") / "jobs"


@ensure_csrf_cookie  # the page's JavaScript sends the cookie back in X-CSRFToken
def index(request):
    return render(request, "jobs/index.html", {"step_seconds": settings.JOB_STEP_SECONDS,
                                               "max_steps": settings.JOB_MAX_STEPS,
                                               "redis_url": settings.REDIS_URL})


def start_job(request):
    """Hands the request to the learner's ``views.start_job``, explaining a file that will not load.

    ``settings.EXERCISE_DIR`` is the folder ``jobsite.asgi.application_for`` was built for."""
    try:
        module = learner.import_learner("views", settings.EXERCISE_DIR)
    except learner.LearnerCodeError as err:
        print(f"Lesson 07: views.py could not be loaded: {err}", file=sys.stderr, flush=True)
        return JsonResponse({"error": f"views.py could not be loaded: {err}"}, status=500)
    try:
        return module.start_job(request)
    except NotImplementedError:
        return JsonResponse({"error": "views.start_job is still a stub: finish its TODO."}, status=501)


def job_state(request, job_id: str):
    state = load_state(job_id)
    if state is None:
        raise Http404("no such job")
    return JsonResponse(state)


def progress_js(request):
    response = HttpResponse((STATIC / "progress.js").read_bytes(), content_type="text/javascript; charset=utf-8")
    response["Cache-Control"] = "no-store"
    return response
