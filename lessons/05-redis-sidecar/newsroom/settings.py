"""Settings for lesson 05's newsroom: plain Django over WSGI, no database, loopback only.

No sessions: who you are is a name in a signed cookie. Django's CSRF protection is on, because
loopback is no shelter: every page a browser has open, on any port of 127.0.0.1 (a notebook, another
dev server), can post forms here, and the browser adds our cookies. ``SECRET_KEY`` is this run's
random key, set by the launcher (``application_for(secret_key=...)``), which hands the sidecar the
same key in a file; the contract's fallback is a random key nobody else knows.
"""

import os

from newsroom import protocol

SECRET_KEY = protocol.secret_key()
DEBUG = False
ALLOWED_HOSTS = ["127.0.0.1", "localhost", "[::1]"]
ROOT_URLCONF = "newsroom.urls"
WSGI_APPLICATION = None
INSTALLED_APPS = ["newsroom"]
MIDDLEWARE = ["django.middleware.csrf.CsrfViewMiddleware", "workshop.django_support.LearnerErrorMiddleware"]
CSRF_COOKIE_HTTPONLY = True  # the page reads the token from the form, so no script needs the cookie
CSRF_COOKIE_SAMESITE = "Strict"
TEMPLATES = [{"BACKEND": "django.template.backends.django.DjangoTemplates", "APP_DIRS": True}]
DATABASES = {}
USE_TZ = True
LOGGING_CONFIG = None

NEWSROOM_REDIS_URL = protocol.redis_url()
# Where the page opens its WebSocket; the launcher sets it (newsroom.wsgi.application_for).
NEWSROOM_SIDECAR_URL = os.environ.get("WORKSHOP_SIDECAR_URL", "ws://127.0.0.1:8001")
EXERCISE_DIR = None  # the learner's folder, set by newsroom.wsgi.application_for
