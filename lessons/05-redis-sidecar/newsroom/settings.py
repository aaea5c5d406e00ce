"""Settings for lesson 05's newsroom: plain Django over WSGI, no database, loopback only.

No sessions and no CSRF middleware (the site listens on 127.0.0.1 only; lesson 08 brings security
back): who you are is a name in a signed cookie. ``SECRET_KEY`` comes from the shared contract, so
the sidecar, started with the same environment, verifies what this process signs.
"""

import os

from newsroom import protocol

SECRET_KEY = protocol.secret_key()
DEBUG = False
ALLOWED_HOSTS = ["127.0.0.1", "localhost", "[::1]"]
ROOT_URLCONF = "newsroom.urls"
WSGI_APPLICATION = None
INSTALLED_APPS = ["newsroom"]
MIDDLEWARE = ["workshop.django_support.LearnerErrorMiddleware"]
TEMPLATES = [{"BACKEND": "django.template.backends.django.DjangoTemplates", "APP_DIRS": True}]
DATABASES = {}
USE_TZ = True
LOGGING_CONFIG = None

NEWSROOM_REDIS_URL = protocol.redis_url()
# Where the page opens its WebSocket; the launcher sets it (newsroom.wsgi.application_for).
NEWSROOM_SIDECAR_URL = os.environ.get("WORKSHOP_SIDECAR_URL", "ws://127.0.0.1:8001")
EXERCISE_DIR = None  # the learner's folder, set by newsroom.wsgi.application_for
