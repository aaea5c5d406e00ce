"""Settings of the live room's Django project, read from the environment ``room serve`` sets.

``checker.live.server`` starts Daphne with ``WORKSHOP_LIVE_*`` variables (the join code, the
instructor's token, the names this server answers to, Redis or not); nothing secret is written
to a file in the repository. The project needs no database: the room lives in memory
(``checker.live.room``), so a restart forgets it and the learners' queues send it again.
"""

import os
import secrets

from workshop.channels_support import redis_channel_layer

LIVE_CODE = os.environ.get("WORKSHOP_LIVE_CODE", "")
LIVE_TOKEN = os.environ.get("WORKSHOP_LIVE_TOKEN", "")
LIVE_PORT = int(os.environ.get("WORKSHOP_LIVE_PORT", "8700"))
LIVE_STUCK_SECONDS = float(os.environ.get("WORKSHOP_LIVE_STUCK_SECONDS", "300"))
LIVE_LEARNER_URL = os.environ.get("WORKSHOP_LIVE_LEARNER_URL", f"http://127.0.0.1:{LIVE_PORT}/")
LIVE_BODY_MAX = 16 * 1024  # bytes of one learner request; a real status is well under 2 KiB
LIVE_REFRESH_SECONDS = 1.0  # the page's stuck list is redrawn at least this often

# The names this server is reached by; Host must be one of them and Origin exactly
# http://NAME:PORT (scheme, host and port), so another site's page cannot talk to it.
ALLOWED_HOSTS = [h for h in os.environ.get("WORKSHOP_LIVE_HOSTS", "127.0.0.1,localhost").split(",") if h]
LIVE_ORIGINS = frozenset(f"http://{host}:{LIVE_PORT}" for host in ALLOWED_HOSTS)

SECRET_KEY = secrets.token_urlsafe(32)  # nothing is signed across restarts
DEBUG = False
INSTALLED_APPS = [
    "daphne",  # before staticfiles: its runserver (ASGI) must win
    "django.contrib.staticfiles",
    "channels",
    "checker.live",
]
MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "django.middleware.common.CommonMiddleware",  # checks Host against ALLOWED_HOSTS on every request
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
]
SECURE_REFERRER_POLICY = "no-referrer"  # the instructor's URL carries the token
X_FRAME_OPTIONS = "DENY"
ROOT_URLCONF = "checker.live.urls"
ASGI_APPLICATION = "checker.live.asgi.application"
WSGI_APPLICATION = None
DATABASES = {}
TEMPLATES = [{"BACKEND": "django.template.backends.django.DjangoTemplates", "APP_DIRS": True}]
STATIC_URL = "static/"
USE_TZ = True
DATA_UPLOAD_MAX_MEMORY_SIZE = LIVE_BODY_MAX

_redis = os.environ.get("WORKSHOP_LIVE_REDIS")
CHANNEL_LAYERS = redis_channel_layer(_redis) if _redis else {
    "default": {"BACKEND": "channels.layers.InMemoryChannelLayer"}}

LOGGING = {"version": 1, "disable_existing_loggers": False,
           "handlers": {"console": {"class": "logging.StreamHandler"}},
           "root": {"handlers": ["console"], "level": "WARNING"}}
