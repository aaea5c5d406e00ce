"""The newsroom's views (scaffolding): pages, history, posting, and the socket's ticket.

Django does what WSGI is good at, one short request at a time: render a page with the history,
store a message and hand it to Redis, sign a token. It never holds a socket: the sidecar does.
The learner's ``publish.py`` is looked up at request time, so the module served is always the one
in the exercise folder being served.
"""

from __future__ import annotations

import functools
import json
import re
import threading
from pathlib import Path

from django.conf import settings
from django.http import HttpResponse, HttpResponseNotAllowed, HttpResponseRedirect, JsonResponse
from django.shortcuts import render
from django.views.decorators.http import require_POST

from newsroom import protocol, store
from workshop import learner

STATIC = Path(__file__).with_name("static")
USER_COOKIE = "newsroom_user"
USER_SALT = "newsroom.user"
USER_NAME = re.compile(r"^[A-Za-z0-9_-]{1,20}$")
MAX_TEXT = 500

_redis = None
_redis_lock = threading.Lock()


def redis_client():
    """One redis-py client (a thread-safe connection pool) for every request thread."""
    global _redis
    with _redis_lock:
        if _redis is None:
            import redis

            _redis = redis.Redis.from_url(settings.NEWSROOM_REDIS_URL, decode_responses=True)
        return _redis


def _publish():
    return learner.import_learner("publish", settings.EXERCISE_DIR)


def current_user(request) -> str | None:
    return request.get_signed_cookie(USER_COOKIE, default=None, salt=USER_SALT)


def _known_room(view):
    """Answer 404 for a room Django does not serve (an answer, not Http404: the error middleware
    would turn that exception into a 500). Django signs tokens only for its own rooms."""

    @functools.wraps(view)
    def only_our_rooms(request, room):
        if room not in protocol.ROOMS:
            return JsonResponse({"error": f"no room {room!r}"}, status=404)
        return view(request, room)

    return only_our_rooms


def _safe_next(target: str | None) -> str:
    return target if target and target.startswith("/") and not target.startswith("//") else "/"


def index(request):
    return render(request, "newsroom/index.html", {"user": current_user(request), "rooms": protocol.ROOMS,
                                                   "next": _safe_next(request.GET.get("next"))})


@require_POST
def login(request):
    """POST ``/login`` with ``name`` and ``next``: remember the name in a signed cookie.

    POST only, and CSRF-checked like every POST here: a login by GET can be forced by any page
    (an image or a link to ``/login?name=mallory``), which then logs the victim in as the
    attacker, who reads whatever the victim posts next (login CSRF).
    """
    name = (request.POST.get("name") or "").strip()
    target = _safe_next(request.POST.get("next"))
    if not USER_NAME.match(name):
        return render(request, "newsroom/index.html", {"user": None, "rooms": protocol.ROOMS, "next": target,
                                                       "problem": "Pick a name of 1-20 letters, digits, - or _."},
                      status=400)
    response = HttpResponseRedirect(target)
    response.set_signed_cookie(USER_COOKIE, name, salt=USER_SALT, httponly=True, samesite="Lax")
    return response


@_known_room
def room(request, room):
    user = current_user(request)
    if user is None:
        return HttpResponseRedirect(f"/?next=/room/{room}/")
    history = store.recent_messages(redis_client(), room)
    return render(request, "newsroom/room.html", {"user": user, "room": room, "rooms": protocol.ROOMS,
                                                  "history": history})


@_known_room
def messages(request, room):
    """GET ``?after=N``: the stored messages after N. POST ``text``: store, then publish (yours).

    The POST passes Django's CsrfViewMiddleware first: the page sends the token in the
    ``X-CSRFToken`` header; a form on another origin has no token, and its Origin is not ours.
    """
    if request.method == "GET":
        try:
            after = int(request.GET.get("after") or 0)
        except ValueError:
            return JsonResponse({"error": "after must be a whole number"}, status=400)
        return JsonResponse({"messages": store.recent_messages(redis_client(), room, after)})
    if request.method != "POST":
        return HttpResponseNotAllowed(["GET", "POST"])
    user = current_user(request)
    if user is None:
        return JsonResponse({"error": "log in first (the form on /)"}, status=401)
    if request.content_type == "application/json":
        try:
            text = str(json.loads(request.body or b"{}").get("text") or "")
        except (ValueError, AttributeError):
            return JsonResponse({"error": "send a JSON object with text"}, status=400)
    else:
        text = request.POST.get("text", "")
    text = text.strip()
    if not text or len(text) > MAX_TEXT:
        return JsonResponse({"error": f"text must be 1 to {MAX_TEXT} characters"}, status=400)
    client = redis_client()
    message = store.save_message(client, room, user, text)  # history first: pub/sub keeps nothing
    _publish().publish_message(client, room, message)  # then tell whoever is listening now
    if request.headers.get("Accept", "").startswith("application/json"):
        return JsonResponse(message, status=201)
    return HttpResponseRedirect(f"/room/{room}/")  # a plain form post, without JavaScript


@_known_room
def token(request, room):
    """The ticket for the sidecar: a short-lived token signed with SECRET_KEY (``make_token`` is yours)."""
    user = current_user(request)
    if user is None:
        return JsonResponse({"error": "log in first (the form on /)"}, status=401)
    signed = _publish().make_token(user, room)
    response = JsonResponse({"token": signed, "url": f"{settings.NEWSROOM_SIDECAR_URL}/ws/{room}",
                             "expires_in": protocol.TOKEN_MAX_AGE})
    response["Cache-Control"] = "no-store"
    return response


def room_js(request):
    response = HttpResponse((STATIC / "room.js").read_bytes(), content_type="text/javascript; charset=utf-8")
    response["Cache-Control"] = "no-store"
    return response


def favicon(request):
    return HttpResponse(status=204)
