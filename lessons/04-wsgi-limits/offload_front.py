"""The *front* uWSGI instance of the offloading part: a small Django site in a fixed pool of workers.

uWSGI loads this file with ``--wsgi-file`` (``uwsgi_runner.front_command``); the options
``--set exercise-dir=DIR`` and ``--set redis-url=URL`` come back through ``uwsgi.opt``.

    GET  /                     the page (offload_page.html): SSE and WebSocket in one room
    POST /login                {"name": "ada"} -> a signed cookie (what "logged in" means here)
    GET  /ping                 an ordinary page: answers at once, whatever is held elsewhere
    POST /rooms/<room>/messages {"text": ...} -> published on Redis as {"user", "text"}
    GET  /events/<room>        the learner's handoff(request, "sse", room)
    GET  /ws/<room>            the learner's handoff(request, "ws", room)

When ``handoff`` marks its response with ``X-Offload``, uWSGI's response routes (not Django)
drop this response and hand the connection to the held instance (``offload_held.py``).
"""

from __future__ import annotations

import json
import sys
import traceback
from pathlib import Path

LESSON_DIR = Path(__file__).resolve().parent
for _folder in (str(LESSON_DIR), str(LESSON_DIR.parent.parent)):
    if _folder not in sys.path:
        sys.path.append(_folder)

import django  # noqa: E402
import redis as redis_lib  # noqa: E402
from django.conf import settings  # noqa: E402

from uwsgi_app import ERROR_HEADER, exercise_dir, option, report  # noqa: E402
from workshop import learner  # noqa: E402

EXERCISE_DIR = exercise_dir() or LESSON_DIR
REDIS_URL = option("redis-url") or "redis://127.0.0.1:6379/0"
PAGE = LESSON_DIR / "offload_page.html"
# The cookie the learner's handoff() reads (offload.COOKIE and offload.SALT say the same).
COOKIE, SALT = "workshop_user", "lesson04.login"

settings.configure(
    DEBUG=False, SECRET_KEY="lesson-04-offloading-demo-key-not-a-secret", ROOT_URLCONF=__name__,
    ALLOWED_HOSTS=["127.0.0.1", "localhost", "[::1]"], MIDDLEWARE=[], INSTALLED_APPS=[],
    DEFAULT_CHARSET="utf-8", USE_TZ=True,
)
django.setup()

from django.core.handlers.wsgi import WSGIHandler  # noqa: E402
from django.http import HttpResponse, JsonResponse  # noqa: E402
from django.urls import path  # noqa: E402

client = redis_lib.Redis.from_url(REDIS_URL)


def _user(request) -> str | None:
    return request.get_signed_cookie(COOKIE, default=None, salt=SALT)


def _body(request) -> dict:
    try:
        data = json.loads(request.body or b"{}")
    except ValueError:
        return {}
    return data if isinstance(data, dict) else {}


def page(request):
    return HttpResponse(PAGE.read_bytes(), content_type="text/html; charset=utf-8")


def ping(request):
    return JsonResponse({"pong": True})


def login(request):
    if request.method != "POST":
        return JsonResponse({"error": "POST {\"name\": ...}"}, status=405)
    name = str(_body(request).get("name", "")).strip()[:40]
    if not name:
        return JsonResponse({"error": "a name, please"}, status=400)
    response = JsonResponse({"user": name})
    response.set_signed_cookie(COOKIE, name, salt=SALT, httponly=True, samesite="Lax")
    return response


def messages(request, room: str):
    user = _user(request)
    if request.method != "POST":
        return JsonResponse({"error": "POST {\"text\": ...}"}, status=405)
    if not user:
        return JsonResponse({"error": "log in first"}, status=403)
    text = str(_body(request).get("text", ""))
    listeners = client.publish(f"room:{room}", json.dumps({"user": user, "text": text}))
    return JsonResponse({"published": True, "listeners": listeners})


def _handoff(kind: str):
    def view(request, room: str):
        try:
            offload = learner.import_learner("offload", EXERCISE_DIR)
            return offload.handoff(request, kind, room)
        except learner.LearnerCodeError as err:
            problem = str(err)
        except NotImplementedError:
            problem = "handoff() in offload.py is not written yet (it raises NotImplementedError)"
            response = HttpResponse(problem, status=501, content_type="text/plain")
            response[ERROR_HEADER] = problem
            report(problem)
            return response
        except Exception as exc:  # noqa: BLE001 - the learner's bug, reported
            frame = learner.learner_frame(exc.__traceback__, EXERCISE_DIR)
            where = learner.describe_frame(frame).replace("\n    ", ": ") if frame else "offload.py"
            problem = f"handoff() raised {type(exc).__name__}: {exc} ({where})"
            traceback.print_exception(exc, file=sys.stderr)
        report(problem)
        response = HttpResponse(problem, status=500, content_type="text/plain")
        response[ERROR_HEADER] = problem.replace("\n", " ")[:500]
        return response

    return view


urlpatterns = [
    path("", page),
    path("ping", ping),
    path("login", login),
    path("rooms/<str:room>/messages", messages),
    path("events/<str:room>", _handoff("sse")),
    path("ws/<str:room>", _handoff("ws")),
]

application = WSGIHandler()
