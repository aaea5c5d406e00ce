"""Settings for lesson 02's feed: plain Django over WSGI, no database, loopback only.

No CSRF middleware, sessions or authentication: the feed only ever listens on 127.0.0.1
and is thrown away after the lesson. No GZip middleware either: an event stream is small
frames that must leave at once, and anything on the way that compresses or buffers (a
middleware, a proxy) may hold them back.
"""

SECRET_KEY = "workshop-lesson-02-not-a-secret"
DEBUG = False
ALLOWED_HOSTS = ["127.0.0.1", "localhost", "[::1]"]
ROOT_URLCONF = "feed.urls"
WSGI_APPLICATION = None
INSTALLED_APPS = ["feed"]
MIDDLEWARE = ["workshop.django_support.LearnerErrorMiddleware"]
TEMPLATES = [{"BACKEND": "django.template.backends.django.DjangoTemplates", "APP_DIRS": True}]
DATABASES = {}
USE_TZ = True
LOGGING_CONFIG = None
