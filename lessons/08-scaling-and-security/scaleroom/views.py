"""One page: a name form when you are anonymous, the chat room once you are signed in.

Both say which backend served the page (HTTP) and, once the socket is open, which backend holds
the WebSocket: behind the round-robin balancer they are often different processes.
"""

from __future__ import annotations

from pathlib import Path

from django.conf import settings
from django.contrib.auth import login, logout
from django.http import HttpResponse
from django.shortcuts import redirect, render

from scaleroom.accounts import BACKEND, get_or_create_user

HERE = Path(__file__).resolve().parent


def index(request):
    from scalesite.asgi import consumer_problem

    return render(request, "scaleroom/index.html", {
        "backend": settings.BACKEND_NAME, "problem": consumer_problem(),
        "max_message": settings.WS_MAX_MESSAGE, "rate": settings.WS_RATE, "burst": settings.WS_BURST,
        "max_connections": settings.WS_MAX_CONNECTIONS_PER_USER,
    })


def login_view(request):
    if request.method == "POST":
        try:
            user = get_or_create_user(request.POST.get("username", "").strip())
        except ValueError as exc:
            return render(request, "scaleroom/index.html", {"backend": settings.BACKEND_NAME, "error": str(exc)})
        login(request, user, backend=BACKEND)
    return redirect("/")


def logout_view(request):
    logout(request)
    return redirect("/")


def room_js(request):
    response = HttpResponse((HERE / "room.js").read_bytes(), content_type="text/javascript; charset=utf-8")
    response["Cache-Control"] = "no-store"
    return response
