"""Settings for lesson 08: one Django project served by several Daphne processes.

Every process reads the same settings; what differs between them comes from the environment,
which the lesson's ``launch.py`` fills in:

* ``WORKSHOP_BACKEND_NAME``: this process's name ("daphne-1"), shown on the page, so you can
  see which backend the load balancer handed your socket to.
* ``WORKSHOP_REDIS_URL``: the Redis server every process shares (the channel layer and the
  per-user connection counts).
* ``WORKSHOP_LAYER=memory``: use the in-memory channel layer instead, to watch cross-process
  broadcasts break.
* ``WORKSHOP_ALLOWED_ORIGINS``: the page origins a WebSocket may come from (comma-separated).
* ``WORKSHOP_WS_RATE`` / ``WORKSHOP_WS_BURST``: each user's token bucket (the benchmark raises them).
* ``WORKSHOP_WS_CONNECTION_TTL``: seconds after which a socket nobody refreshed stops counting
  (its process died); ``WORKSHOP_WS_TAIL_CHECK``: seconds between a consumer's looks at the store
  for messages whose notification was lost; ``WORKSHOP_LAYER_CAPACITY``: the Redis layer's
  ``capacity`` (the checks make it small on purpose, to overflow it).
"""

import os

from workshop.channels_support import redis_channel_layer, shared_sqlite

SECRET_KEY = "workshop-lesson-08-not-a-secret"
DEBUG = False
ALLOWED_HOSTS = ["127.0.0.1", "localhost"]

INSTALLED_APPS = [
    "daphne",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "channels",
    "scaleroom",
]
MIDDLEWARE = [
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
]
ROOT_URLCONF = "scalesite.urls"
# No ASGI_APPLICATION: each backend is built for one exercise folder (scalesite.asgi.application_for).
WSGI_APPLICATION = None
TEMPLATES = [{
    "BACKEND": "django.template.backends.django.DjangoTemplates",
    "APP_DIRS": True,
    "OPTIONS": {"context_processors": ["django.template.context_processors.request",
                                       "django.contrib.auth.context_processors.auth"]},
}]
USE_TZ = True
TIME_ZONE = "UTC"
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
# Sessions live in the shared database: a cookie set by one backend is valid on all of them.
SESSION_ENGINE = "django.contrib.sessions.backends.db"
# Behind nginx terminating TLS, every request reaches Daphne as plain HTTP; nginx says which scheme
# the browser used (proxy.conf: X-Forwarded-Proto). Trust that header ONLY because the Daphnes
# listen on 127.0.0.1 behind the proxy: a client reaching Daphne directly could send it too.
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")

BACKEND_NAME = os.environ.get("WORKSHOP_BACKEND_NAME", "daphne")

# -- the limits the learner's consumer enforces ---------------------------------------------
WS_ALLOWED_ORIGINS = [o.strip() for o in os.environ.get(
    "WORKSHOP_ALLOWED_ORIGINS", "http://127.0.0.1:8000,http://localhost:8000").split(",") if o.strip()]
WS_MAX_MESSAGE = 2000                 # characters in one frame; Daphne's own cap is 1 MiB
WS_RATE = float(os.environ.get("WORKSHOP_WS_RATE", "5"))     # tokens per second, per user (in Redis)
WS_BURST = int(os.environ.get("WORKSHOP_WS_BURST", "10"))    # bucket size
WS_MAX_STRIKES = 3                    # rate-limited messages before the connection is closed
WS_MAX_CONNECTIONS_PER_USER = int(os.environ.get("WORKSHOP_WS_MAX_CONNECTIONS", "3"))
# A socket counts while its consumer refreshes it (every WS_HEARTBEAT s); one whose process died
# stops being refreshed and stops counting WS_CONNECTION_TTL s later.
WS_CONNECTION_TTL = float(os.environ.get("WORKSHOP_WS_CONNECTION_TTL", "30"))
WS_HEARTBEAT = WS_CONNECTION_TTL / 3
WS_TAIL_CHECK = float(os.environ.get("WORKSHOP_WS_TAIL_CHECK", "2"))  # seconds between looks at the store

# -- the database: one SQLite file shared by every process ------------------------------------
DATABASES = shared_sqlite("WORKSHOP_SCALE_DB", "workshop-08-db-", "scale.sqlite3")

# -- the channel layer: the bus between the processes ----------------------------------------
REDIS_URL = os.environ.get("WORKSHOP_REDIS_URL", "")
if REDIS_URL and os.environ.get("WORKSHOP_LAYER", "redis") != "memory":
    CHANNEL_LAYERS = redis_channel_layer(REDIS_URL)
    if os.environ.get("WORKSHOP_LAYER_CAPACITY"):
        # channels_redis drops an event for a process whose queue already holds `capacity` (100 by
        # default), and a consumer's buffer drops its oldest past it: at most once, silently.
        CHANNEL_LAYERS["default"]["CONFIG"]["capacity"] = int(os.environ["WORKSHOP_LAYER_CAPACITY"])
else:
    CHANNEL_LAYERS = {"default": {"BACKEND": "channels.layers.InMemoryChannelLayer"}}

LOGGING_CONFIG = None
