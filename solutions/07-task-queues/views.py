"""Starting a job: the request only enqueues, and answers at once."""

from __future__ import annotations

from django.http import HttpResponseNotAllowed, JsonResponse

from jobs.store import create_job
from jobs.work import parse_job_request
from tasks import render_report


def start_job(request):
    """POST /jobs/ with the form fields ``steps`` and ``fail_at``.

    * Not a POST: ``HttpResponseNotAllowed(["POST"])``.
    * ``steps, fail_at = parse_job_request(request.POST)``; on ValueError answer
      ``JsonResponse({"error": str(problem)}, status=400)``.
    * ``job_id = create_job(steps)`` (saves the state "queued").
    * Enqueue, do not run: ``render_report.delay(job_id, steps, fail_at)`` puts a message on the
      Redis queue and returns at once; the worker runs it. Calling ``render_report(...)`` directly
      would render the whole report here, holding this request (and a worker of a WSGI server)
      for as long as it takes.
    * Answer ``JsonResponse({"job": job_id}, status=202)`` (202 Accepted: the work is not done yet).
    """
    if request.method != "POST":
        return HttpResponseNotAllowed(["POST"])
    try:
        steps, fail_at = parse_job_request(request.POST)
    except ValueError as problem:
        return JsonResponse({"error": str(problem)}, status=400)
    job_id = create_job(steps)
    render_report.delay(job_id, steps, fail_at)
    return JsonResponse({"job": job_id}, status=202)
