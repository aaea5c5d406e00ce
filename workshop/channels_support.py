"""Settings shared by the Channels lessons (06, 07, 08): the Redis channel layer and a shared SQLite file.

These live once, here, because the versions we pin need two non-default options that are easy
to forget and painful to discover.
"""

from __future__ import annotations

import atexit
import os
import shutil
import sys
import tempfile
from pathlib import Path


def redis_channel_layer(url: str, capacity: int | None = None) -> dict:
    """``CHANNEL_LAYERS`` for ``channels_redis.core.RedisChannelLayer`` on ``url``.

    ``capacity``: how many events may wait per queue before ``group_send`` drops new ones
    (channels_redis's default, 100, when None). Lesson 06 sets 1000 (its README's section 11
    measured why).
    """
    layer = {
        "default": {
            "BACKEND": "channels_redis.core.RedisChannelLayer",
            "CONFIG": {"hosts": [{
                "address": url,
                # redis-py 8 gives every read a 5 s socket_timeout; the layer's receive() blocks in
                # BZPOPMIN for up to 5 s, so idle consumers die with "TimeoutError: Timeout reading
                # from ..." (channels_redis issue #422). No timeout, as with redis-py 7:
                "socket_timeout": None,
                # redis-py's asyncio pool fails at once past 100 connections (MaxConnectionsError:
                # "Too many connections"); a burst of handshakes, each borrowing one, passes that.
                "max_connections": 1000,
            }]},
        }
    }
    if capacity is not None:
        layer["default"]["CONFIG"]["capacity"] = capacity
    return layer


def shared_sqlite(env_var: str, prefix: str, filename: str) -> dict:
    """``DATABASES`` on one SQLite file that every process of a lesson shares.

    The first process makes a temporary folder (removed when it exits) and names the file in
    ``env_var``, which the processes it starts inherit.
    """
    path = os.environ.get(env_var)
    if not path:
        folder = tempfile.mkdtemp(prefix=prefix)
        atexit.register(shutil.rmtree, folder, ignore_errors=True)
        path = str(Path(folder) / filename)
        os.environ[env_var] = path
    return {
        "default": {
            "ENGINE": "django.db.backends.sqlite3",
            "NAME": path,
            # Several writers (threads, processes) take turns instead of failing with "database is locked".
            "OPTIONS": {"timeout": 20, "transaction_mode": "IMMEDIATE", "init_command": "PRAGMA journal_mode=WAL;"},
        }
    }


def daphne_argv(application: str, port: int, host: str = "127.0.0.1", *, access_log: bool = True) -> list[str]:
    """``python -m daphne -b HOST -p PORT APPLICATION`` with this interpreter (``daphne`` on the command line)."""
    argv = [sys.executable, "-m", "daphne", "-b", host, "-p", str(port)]
    if not access_log:
        argv += ["-v", "0"]
    return argv + [application]


def ensure_django(settings_module: str) -> None:
    """``django.setup()`` with ``settings_module`` unless Django is already set up (or setting up).

    Daphne imports the project's ``asgi`` module, which sets Django up the usual way; the checker,
    notebooks and benchmarks import the learner's modules directly, and those import models at the
    top as Django code does, so the lesson's app calls this first.
    """
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", settings_module)
    from django.apps import apps

    if apps.ready or apps.loading:
        return
    import django

    django.setup(set_prefix=False)


_migrated: set[str] = set()


def ensure_schema(settings_module: str) -> None:
    """Create or update the tables (``manage.py migrate``) once per database file.

    Several Daphne processes may share one SQLite file and start together: a file lock makes
    them migrate one after the other (the second finds nothing to do).
    """
    import fcntl

    ensure_django(settings_module)
    from django.conf import settings
    from django.core.management import call_command

    name = str(settings.DATABASES["default"]["NAME"])
    if name in _migrated:
        return
    with open(name + ".lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        try:
            call_command("migrate", verbosity=0, interactive=False)
        finally:
            fcntl.flock(lock, fcntl.LOCK_UN)
    _migrated.add(name)


def load_learner(name: str, exercise_dir: Path, who: str):
    """``(module, "")`` for the learner's ``name``.py, or ``(None, why)`` after printing why, as ``who``.

    A server whose learner file will not load still starts: the page loads and says why, and what
    needed the module refuses (``refuse_websockets``), instead of the whole server failing."""
    from workshop import learner

    try:
        return learner.import_learner(name, exercise_dir), ""
    except learner.LearnerCodeError as err:
        problem = f"{name}.py could not be loaded: {err}"
        print(f"{who}: {problem}", file=sys.stderr, flush=True)
        return None, problem


def refuse_websockets(problem: str):
    """An ASGI app that refuses every WebSocket handshake, printing ``problem`` (a learner file that
    will not load): the page still loads and says why, instead of the whole server failing."""

    async def refused(scope, receive, send):
        await receive()  # websocket.connect
        print(f"WebSocket REJECT {scope['path']}: {problem}", file=sys.stderr, flush=True)
        await send({"type": "websocket.close", "code": 1011})  # before accept: HTTP 403 to the client

    return refused


class SameOriginOnly:
    """ASGI middleware: a WebSocket handshake goes on only from a page of this very site.

    The browser's ``Origin`` must equal ``http://<Host>``: scheme, host *and port*, compared
    exactly (case-insensitively, without a trailing slash). Channels' ``AllowedHostsOriginValidator``
    compares the host only, so a page served by anything else on 127.0.0.1 (another port, another
    app) would pass it: lesson 06 shows that hijack and has the learner write the exact rule. A
    refused handshake gets HTTP 403, as Channels' validators answer.
    """

    def __init__(self, application):
        self.application = application

    async def __call__(self, scope, receive, send):
        if scope["type"] == "websocket":
            headers = dict(scope.get("headers", ()))
            origin = headers.get(b"origin", b"").decode("latin-1").rstrip("/").lower()
            host = headers.get(b"host", b"").decode("latin-1").lower()
            if not host or origin != f"http://{host}":
                from channels.security.websocket import WebsocketDenier

                return await WebsocketDenier()(scope, receive, send)
        return await self.application(scope, receive, send)
