"""Settings for lesson 06's chat site: Django + Channels, served by Daphne, loopback only.

Three things here are the lesson's business; the rest is a minimal Django project:

* ``INSTALLED_APPS`` starts with ``daphne``: its ``runserver`` command must replace Django's
  (which speaks only WSGI), and Django uses the first app that defines a command.
* ``ASGI_APPLICATION`` names the ASGI entry point (``chatsite/asgi.py``), which hands
  WebSockets to the learner's ``routing.application``.
* ``CHANNEL_LAYERS`` is the in-memory layer (one process) unless ``WORKSHOP_REDIS_URL`` is set,
  then Redis (several processes share groups), with a ``capacity`` of 1000.

``ALLOWED_HOSTS`` and ``CSRF_TRUSTED_ORIGINS`` also decide which pages may open a WebSocket: the
learner's ``routing.ExactOriginValidator`` accepts the site's own origin and the trusted ones.
"""

import os

from workshop.channels_support import redis_channel_layer, shared_sqlite

SECRET_KEY = "workshop-lesson-06-not-a-secret"
DEBUG = False
ALLOWED_HOSTS = ["127.0.0.1", "localhost"]  # the Host header must name one of these (pages and sockets)
# Origins of *other* sites trusted to open this site's WebSockets (and post its forms), exactly:
# "https://app.example:8443". The site's own origin needs no entry (routing.site_origins).
CSRF_TRUSTED_ORIGINS: list[str] = []

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
DATABASES = shared_sqlite("WORKSHOP_CHAT_DB", "workshop-06-db-", "chat.sqlite3")

# -- the channel layer ----------------------------------------------------------------------
# CHANNEL_CAPACITY: events that may wait per queue before group_send drops new ones (channels_redis's
# default is 100; the README's section 11 measured why a classroom demo wants 1000).
CHANNEL_CAPACITY = 1000
REDIS_URL = os.environ.get("WORKSHOP_REDIS_URL", "")
if REDIS_URL:
    CHANNEL_LAYERS = redis_channel_layer(REDIS_URL, capacity=CHANNEL_CAPACITY)
else:
    CHANNEL_LAYERS = {"default": {"BACKEND": "channels.layers.InMemoryChannelLayer"}}

LOGGING_CONFIG = None
