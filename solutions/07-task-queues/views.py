"""Starting a job: the request only enqueues, and answers at once."""

from __future__ import annotations

from django.http import HttpResponseNotAllowed, JsonResponse

from jobs.store import create_job
from jobs.work import parse_job_request
from tasks import render_report


def start_job(request):
    """POST /jobs/ (steps, fail_at) -> 202 {"job": id}; 400 {"error": ...} for a bad form."""
    if request.method != "POST":
        return HttpResponseNotAllowed(["POST"])
    try:
        steps, fail_at = parse_job_request(request.POST)
    except ValueError as problem:
        return JsonResponse({"error": str(problem)}, status=400)
    job_id = create_job(steps)
    render_report.delay(job_id, steps, fail_at)
    return JsonResponse({"job": job_id}, status=202)
