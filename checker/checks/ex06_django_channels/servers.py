"""The chat site on real Daphne for the outer rings, started by the lesson's launcher, and what its
log tells: a classic error, the lesson's own notice, a refusal, or a handshake never answered.

Every Daphne process shares this grading process's SQLite file, so the users and sessions the
checks create are known to all of them. Each site starts once per grading and stops at its end.
"""

from __future__ import annotations

import re

from checker import launchers
from checker.api import CheckFailed, Context
from checker.probes import daphne
from workshop.launch import Launch, Ports

from .support import classic, django_setup

NEVER_ANSWERED = ("the consumer never answered the handshake: connect() neither accepted nor refused the "
                  "connection (the browser then reports it closed, as if refused). Call `await self.accept()`, "
                  "or `await self.close(code=...)` to refuse.")


def site(ctx: Context, kind: str = "memory") -> Launch:
    """``memory``: one Daphne, in-memory layer (port ``http``). ``redis``: two Daphne processes
    (``http`` and ``second``) sharing a real Redis."""

    def start() -> Launch:
        setup = ctx.resource("django", django_setup)
        options = {}
        if kind == "redis":
            try:
                options = {"redis": ctx.redis().url, "backends": 2}
            except RuntimeError as exc:  # no redis-server on this machine
                raise CheckFailed(f"no Redis server to test with: {exc}") from None
        names = ("http", "second")[:options.get("backends", 1)]
        ctx.step(f"starting {len(names)} Daphne process(es) serving your routing.application ({kind} channel layer)")
        return launchers.load(ctx.lesson_dir).launch(ctx.exercise_dir, Ports.free(*names), db_path=setup["db"],
                                                     timeout=ctx.timeout(20), **options)

    try:
        return ctx.resource(f"chat-{kind}", start)
    except RuntimeError as exc:
        raise CheckFailed(f"Daphne did not start: {exc}") from None


def server_says(server) -> str:
    """The server's log, reduced to what helps: a named classic error, the lesson's notice, a traceback."""
    log = daphne.log(server)
    named = classic(log)
    notice = [line for line in log.splitlines() if "Lesson 06:" in line or "WebSocket REJECT /ws/chat/" in line]
    parts = []
    if named:
        parts.append(named)
    elif unanswered(server):
        parts.append(NEVER_ANSWERED)
    if notice:
        parts.append("The server says: " + notice[-1].split("Lesson 06: ", 1)[-1])
    if not parts:
        errors = [line for line in log.splitlines() if "Error" in line or "Exception" in line]
        if errors:
            parts.append("The server log shows: " + " | ".join(errors[-3:]))
    return ("\n" + "\n".join(parts)) if parts else ""


def unanswered(server) -> bool:
    """Did a WebSocket handshake start (``WSCONNECTING`` in Daphne's access log) and get neither
    ``WSCONNECT`` nor ``WSREJECT``?"""
    log = daphne.log(server, 400)
    started = len(re.findall(r"(?:WSCONNECTING|WebSocket HANDSHAKING) /ws/", log))
    answered = len(re.findall(r"(?:WSCONNECT|WSREJECT|WebSocket CONNECT|WebSocket REJECT) /ws/", log))
    answered += log.count("Exception inside application")  # a crash answers too (HTTP 500 or a 1011 close)
    return started > answered


def settings_problem() -> str:
    """The troubleshooting's first classic error, in the lesson's settings: '' when they are right."""
    from django.conf import settings

    apps = list(settings.INSTALLED_APPS)
    if "daphne" not in apps or apps.index("daphne") > apps.index("django.contrib.staticfiles"):
        return ("daphne is missing from INSTALLED_APPS, or comes after django.contrib.staticfiles: "
                "`manage.py runserver` is then Django's WSGI server and /ws/ answers 404. Put \"daphne\" first "
                "in chatsite/settings.py (restore it with git checkout).")
    if not getattr(settings, "ASGI_APPLICATION", None):
        return "ASGI_APPLICATION is not set in chatsite/settings.py (restore it with git checkout)."
    return ""
