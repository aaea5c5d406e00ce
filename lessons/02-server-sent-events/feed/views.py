"""The feed's scaffolding views: the page, posting, dropping connections, closing the feed.

The stream itself (``GET /events``) is the learner's ``sse.stream_view``; we look it up at
request time so the module imported is always the one in the exercise folder being served,
and we wrap what it streams to count the open streams.
"""

from __future__ import annotations

import json
from pathlib import Path

from django.conf import settings
from django.http import HttpResponse, HttpResponseNotAllowed, JsonResponse
from django.shortcuts import render

from feed.store import EVENT_TYPES, feed
from feed.streaming import stats, track
from workshop import learner

STATIC = Path(__file__).with_name("static")
MAX_TEXT = 2000


def _sse():
    return learner.import_learner("sse", settings.EXERCISE_DIR)


def index(request):
    return render(request, "feed/index.html", {"query": request.GET.urlencode(), "host": request.get_host()})


def events(request):
    """GET: the learner's event stream."""
    if request.method != "GET":
        return HttpResponseNotAllowed(["GET"])
    connection = stats.connected(request.headers.get("Last-Event-ID"))
    response = _sse().stream_view(request)
    connection.status = getattr(response, "status_code", 0)
    if getattr(response, "streaming", False) and not getattr(response, "is_async", False):
        response.streaming_content = track(response.streaming_content, feed)
    return response


def _body(request) -> dict | None:
    if request.content_type == "application/json":
        try:
            data = json.loads(request.body or b"{}")
        except ValueError:
            return None
        return data if isinstance(data, dict) else None
    return request.POST


def post_event(request):
    """POST text (and optionally event=alert): a new event for every open stream."""
    if request.method != "POST":
        return HttpResponseNotAllowed(["POST"])
    data = _body(request)
    if data is None:
        return JsonResponse({"error": "send a JSON object with text (and event)"}, status=400)
    text = str(data.get("text") or "").replace("\r\n", "\n").strip("\n")
    kind = str(data.get("event") or "message")
    if not text.strip():
        return JsonResponse({"error": "text is required"}, status=400)
    if len(text) > MAX_TEXT:
        return JsonResponse({"error": f"text is longer than {MAX_TEXT} characters"}, status=400)
    if kind not in EVENT_TYPES:
        return JsonResponse({"error": f"event must be one of {', '.join(EVENT_TYPES)}"}, status=400)
    return JsonResponse(feed.post(text, kind).as_dict(), status=201)


def drop(request):
    """POST: end every open stream now, from the server side."""
    if request.method != "POST":
        return HttpResponseNotAllowed(["POST"])
    before = stats.open_now()
    feed.drop_connections()
    return JsonResponse({"dropped": before})


def feed_state(request):
    """GET: {"closed": bool}. POST {"closed": true|false}: close the feed (streams end, then 204) or reopen it."""
    if request.method == "POST":
        data = _body(request)
        closed = data.get("closed") if data is not None else None
        if closed in ("true", "false"):  # from a form
            closed = closed == "true"
        if not isinstance(closed, bool):
            return JsonResponse({"error": "send {\"closed\": true} or {\"closed\": false}"}, status=400)
        if closed:
            feed.close()
        else:
            feed.reopen()
    elif request.method != "GET":
        return HttpResponseNotAllowed(["GET", "POST"])
    return JsonResponse({"closed": feed.closed})


def feed_js(request):
    response = HttpResponse((STATIC / "feed.js").read_bytes(), content_type="text/javascript; charset=utf-8")
    response["Cache-Control"] = "no-store"
    return response


def stream_stats(request):
    return JsonResponse({**stats.as_dict(), "events": feed.last_id(), "closed": feed.closed})
