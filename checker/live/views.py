"""HTTP side of the live room: the instructor's page and CSV, and the learners' two endpoints.

Two secrets, two audiences. The *join code* (shown on the projector) lets a laptop report; it
goes in the ``X-Room-Code`` header. The instructor's *token* (printed once, in the URL) opens the
page, the CSV and the WebSocket; learners never see it, so a learner cannot watch the room.

Learners' endpoints are plain JSON over POST, which the checker sends with the standard library
and a short timeout. Browsers add an ``Origin`` header to cross-site POSTs: when one is present
it must be exactly this server's (another site's page cannot post statuses through a learner's
browser); the checker sends none and is authenticated by the code alone.
"""

from __future__ import annotations

import hmac
import json
from urllib.parse import urlencode

from channels.layers import get_channel_layer
from django.conf import settings
from django.http import HttpResponse, JsonResponse
from django.shortcuts import render
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET, require_POST

from checker import catalog
from checker.live.room import Invalid, RateLimiter, Room, clean_name

GROUP = "live-room"  # every instructor page's consumer is in it
ROOM = Room(catalog.load(), stuck_seconds=settings.LIVE_STUCK_SECONDS)
STATUS_LIMIT = RateLimiter(burst=10, per_second=1.0)  # per learner: a grading takes longer than a second
WRONG_CODE_LIMIT = RateLimiter(burst=20, per_second=0.2)  # per address: guessing codes is slow
WHAT_IS_SHARED = ("exercise number", "check names and statuses", "score", "hint rung reached", "time of grading")


def normalise_code(code: str) -> str:
    """Codes are read off a projector: case, spaces and dashes do not matter."""
    return "".join(ch for ch in code.upper() if ch.isalnum())


def code_ok(code: str | None) -> bool:
    return bool(code) and hmac.compare_digest(normalise_code(code).encode(), normalise_code(settings.LIVE_CODE).encode())


def token_ok(token: str | None) -> bool:
    return bool(token) and hmac.compare_digest(token.encode(), settings.LIVE_TOKEN.encode())


def origin_ok(origin: str | None, *, required: bool) -> bool:
    """Exactly one of this server's own origins (scheme, host and port), or none where allowed."""
    if origin is None:
        return not required
    return origin in settings.LIVE_ORIGINS


def _security_headers(response: HttpResponse, request) -> HttpResponse:
    """No inline script or style, no framing, WebSockets only to this server."""
    host = request.get_host()
    response["Content-Security-Policy"] = (
        "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; "
        f"connect-src 'self' ws://{host}; base-uri 'none'; form-action 'none'; frame-ancestors 'none'")
    response["Cache-Control"] = "no-store"
    return response


def _refused(message: str, status: int) -> JsonResponse:
    return JsonResponse({"error": message}, status=status)


@require_GET
def dashboard(request):
    if not token_ok(request.GET.get("token")):
        return HttpResponse("This is the instructor's view: open the URL printed by "
                            "`python -m checker room serve` (it ends in ?token=...).\n",
                            status=403, content_type="text/plain; charset=utf-8")
    context = {"code": settings.LIVE_CODE, "learner_url": settings.LIVE_LEARNER_URL,
               "csv_url": "export.csv?" + urlencode({"token": request.GET["token"]}),
               "stuck_minutes": f"{settings.LIVE_STUCK_SECONDS / 60:g}"}
    return _security_headers(render(request, "live/dashboard.html", context), request)


@require_GET
def export_csv(request):
    import csv
    import io

    if not token_ok(request.GET.get("token")):
        return HttpResponse("Wrong or missing instructor token.\n", status=403, content_type="text/plain")
    out = io.StringIO()
    csv.writer(out).writerows(ROOM.csv_rows())
    response = HttpResponse(out.getvalue(), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = 'attachment; filename="room.csv"'
    return response


def _learner_request(request):
    """The JSON body of an authenticated learner request, or the response that refuses it."""
    if not origin_ok(request.headers.get("Origin"), required=False):
        return None, _refused("cross-site requests are not accepted", 403)
    address = request.META.get("REMOTE_ADDR", "?")
    if not code_ok(request.headers.get("X-Room-Code")):
        if not WRONG_CODE_LIMIT.allow(address):
            return None, _refused("too many wrong codes; wait a minute", 429)
        return None, _refused("wrong join code: check the code on the instructor's screen", 403)
    try:
        return json.loads(request.body), None
    except ValueError:
        return None, _refused("the body must be JSON", 400)


@csrf_exempt  # no cookies are used: the code in a header is the credential
@require_POST
def join(request):
    payload, refused = _learner_request(request)
    if refused:
        return refused
    try:
        name = clean_name(payload.get("name") if isinstance(payload, dict) else None)
    except Invalid as err:
        return _refused(str(err), 400)
    return JsonResponse({"ok": True, "name": name, "shared": WHAT_IS_SHARED})


@csrf_exempt
@require_POST
async def status(request):
    payload, refused = _learner_request(request)
    if refused:
        return refused
    if not STATUS_LIMIT.allow(str(payload.get("learner") if isinstance(payload, dict) else "?")):
        return _refused("too many statuses at once; the next grading sends them", 429)
    try:
        applied = ROOM.accept(payload)
    except Invalid as err:
        return _refused(str(err), 400)
    await get_channel_layer().group_send(GROUP, {"type": "room.changed"})
    return JsonResponse({"ok": True, "applied": applied})
