"""The board's scaffolding views: the page, posting, static JavaScript, statistics.

The two polling endpoints are the learner's (``polling.poll_view`` and
``polling.long_poll_view``); we look them up at request time so the module that is
imported is always the one in the exercise folder being served.
"""

from __future__ import annotations

import json
from pathlib import Path

from django.conf import settings
from django.http import HttpResponse, HttpResponseNotAllowed, JsonResponse
from django.shortcuts import render

from board.stats import stats
from board.store import board
from workshop import learner

STATIC = Path(__file__).with_name("static")
MAX_TEXT = 500
MAX_AUTHOR = 40


def _polling():
    return learner.import_learner("polling", settings.EXERCISE_DIR)


def index(request):
    mode = "long" if request.GET.get("mode") == "long" else "poll"
    try:
        interval = max(50, min(int(request.GET.get("interval", "1000")), 60000))
    except ValueError:
        interval = 1000
    return render(request, "board/index.html", {"mode": mode, "interval": interval, "host": request.get_host()})


def post_message(request):
    if request.content_type == "application/json":
        try:
            data = json.loads(request.body or b"{}")
        except ValueError:
            return JsonResponse({"error": "the body is not valid JSON"}, status=400)
        if not isinstance(data, dict):
            return JsonResponse({"error": "send a JSON object with author and text"}, status=400)
    else:
        data = request.POST
    author = str(data.get("author") or "anonymous").strip()[:MAX_AUTHOR] or "anonymous"
    text = str(data.get("text") or "").strip()
    if not text:
        return JsonResponse({"error": "text is required"}, status=400)
    if len(text) > MAX_TEXT:
        return JsonResponse({"error": f"text is longer than {MAX_TEXT} characters"}, status=400)
    return JsonResponse(board.post(author, text).as_dict(), status=201)


def messages(request):
    """GET: the learner's short-poll endpoint. POST: add a message (scaffolding)."""
    if request.method == "POST":
        return post_message(request)
    if request.method != "GET":
        return HttpResponseNotAllowed(["GET", "POST"])
    return _polling().poll_view(request)


def wait(request):
    """GET: the learner's long-poll endpoint."""
    if request.method != "GET":
        return HttpResponseNotAllowed(["GET"])
    return _polling().long_poll_view(request)


def _javascript(path: Path) -> HttpResponse:
    if not path.exists():
        return HttpResponse(f"console.error('missing file: {path.name}');", status=404,
                            content_type="text/javascript")
    response = HttpResponse(path.read_bytes(), content_type="text/javascript; charset=utf-8")
    response["Cache-Control"] = "no-store"  # the learner edits it: always send the saved version
    return response


def client_js(request):
    return _javascript(settings.EXERCISE_DIR / "poll_client.js")


def app_js(request):
    return _javascript(STATIC / "app.js")


def poll_stats(request):
    return JsonResponse({**stats.as_dict(), "messages": board.last_id()})


def favicon(request):
    return HttpResponse(status=204)  # no icon; saying so keeps the log free of 404s
