"""The chat's pages: log in with a name, pick a room, chat. No WebSocket code here.

The WebSocket endpoint ``/ws/chat/<room>/`` is not a Django view: Daphne hands it to the
ASGI application in ``chatsite/asgi.py``, which is the learner's ``routing.application``.
"""

from __future__ import annotations

from pathlib import Path

from django.contrib.auth import login, logout
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.utils.http import url_has_allowed_host_and_scheme

from chat.accounts import BACKEND, get_or_create_user
from chat.models import HISTORY_SIZE, known_rooms

STATIC = Path(__file__).with_name("static") / "chat"


def login_view(request):
    """GET: a form asking for a name. POST: log in as that user (created on first use)."""
    next_url = request.POST.get("next") or request.GET.get("next") or "/"
    if not url_has_allowed_host_and_scheme(next_url, allowed_hosts={request.get_host()}):
        next_url = "/"
    error = ""
    if request.method == "POST":
        try:
            user = get_or_create_user(request.POST.get("username", "").strip())
        except ValueError as exc:
            error = str(exc)
        else:
            login(request, user, backend=BACKEND)
            return redirect(next_url)
    return render(request, "chat/login.html", {"next": next_url, "error": error})


def logout_view(request):
    logout(request)
    return redirect("/login/")


@login_required
def index(request):
    return render(request, "chat/index.html", {"rooms": known_rooms()})


@login_required
def room(request, room: str):
    if room not in known_rooms():
        raise Http404(f"there is no room {room!r}; the rooms are {', '.join(known_rooms())}")
    from chatsite.asgi import routing_problem

    return render(request, "chat/room.html", {"room": room, "rooms": known_rooms(), "history_size": HISTORY_SIZE,
                                              "routing_problem": routing_problem()})


def room_js(request):
    response = HttpResponse((STATIC / "room.js").read_bytes(), content_type="text/javascript; charset=utf-8")
    response["Cache-Control"] = "no-store"
    return response
