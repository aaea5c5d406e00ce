"""Settings for lesson 06's chat site: Django + Channels, served by Daphne, loopback only.

Three things here are the lesson's business; the rest is a minimal Django project:

* ``INSTALLED_APPS`` starts with ``daphne``: its ``runserver`` command must replace Django's
  (which speaks only WSGI), and Django uses the first app that defines a command.
* ``ASGI_APPLICATION`` names the ASGI entry point (``chatsite/asgi.py``), which hands
  WebSockets to the learner's ``routing.application``.
* ``CHANNEL_LAYERS`` is the in-memory layer (one process) unless ``WORKSHOP_REDIS_URL`` is set,
  then Redis (several processes share groups).
"""

import os
import tempfile
from pathlib import Path

SECRET_KEY = "workshop-lesson-06-not-a-secret"
DEBUG = False
ALLOWED_HOSTS = ["127.0.0.1", "localhost"]  # AllowedHostsOriginValidator checks Origin against these

INSTALLED_APPS = [
    "daphne",  # first: its runserver (ASGI) must win over staticfiles' and Django's (WSGI)
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.staticfiles",
    "channels",
    "chat",
]
MIDDLEWARE = [
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
]
ROOT_URLCONF = "chatsite.urls"
ASGI_APPLICATION = "chatsite.asgi.application"
WSGI_APPLICATION = None
TEMPLATES = [{
    "BACKEND": "django.template.backends.django.DjangoTemplates",
    "APP_DIRS": True,
    "OPTIONS": {"context_processors": ["django.template.context_processors.request",
                                       "django.contrib.auth.context_processors.auth"]},
}]
STATIC_URL = "static/"
LOGIN_URL = "/login/"
USE_TZ = True
TIME_ZONE = "UTC"
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
# Sessions are signed with SECRET_KEY and stored in the database, so every Daphne process that
# shares the database file knows every logged-in user: the cookie works on all of them.
SESSION_ENGINE = "django.contrib.sessions.backends.db"

# The rooms that exist. A WebSocket to any other room is refused by the consumer.
CHAT_ROOMS = ["lobby", "python", "django"]

# -- the database -------------------------------------------------------------------------
# SQLite in a file, so several Daphne processes (the Redis part of the lesson) can share it.
# WORKSHOP_CHAT_DB names the file; without it each process gets a fresh one in a temporary
# folder, removed when the process exits (a new demo starts with an empty room).
_db = os.environ.get("WORKSHOP_CHAT_DB")
if not _db:
    import atexit
    import shutil

    _folder = tempfile.mkdtemp(prefix="workshop-06-db-")
    atexit.register(shutil.rmtree, _folder, ignore_errors=True)
    _db = str(Path(_folder) / "chat.sqlite3")
    os.environ["WORKSHOP_CHAT_DB"] = _db  # processes we start share it
DATABASES = {
    "default": {
        "ENGINE": "django.db.backends.sqlite3",
        "NAME": _db,
        # Several writers (threads, processes) take turns instead of failing with "database is locked".
        "OPTIONS": {"timeout": 20, "transaction_mode": "IMMEDIATE", "init_command": "PRAGMA journal_mode=WAL;"},
    }
}

# -- the channel layer ----------------------------------------------------------------------
REDIS_URL = os.environ.get("WORKSHOP_REDIS_URL", "")
if REDIS_URL:
    CHANNEL_LAYERS = {
        "default": {
            "BACKEND": "channels_redis.core.RedisChannelLayer",
            "CONFIG": {"hosts": [{
                "address": REDIS_URL,
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
else:
    CHANNEL_LAYERS = {"default": {"BACKEND": "channels.layers.InMemoryChannelLayer"}}

LOGGING_CONFIG = None
