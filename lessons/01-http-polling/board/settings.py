"""Settings for lesson 01's board: plain Django over WSGI, no database, loopback only.

There is no CSRF middleware, no sessions and no authentication: the board only ever listens
on 127.0.0.1 and is thrown away after the lesson. Lesson 08 is where security comes back.
"""

SECRET_KEY = "workshop-lesson-01-not-a-secret"
DEBUG = False
ALLOWED_HOSTS = ["127.0.0.1", "localhost", "[::1]"]
ROOT_URLCONF = "board.urls"
WSGI_APPLICATION = None
INSTALLED_APPS = ["board"]
MIDDLEWARE = [
    "workshop.django_support.LearnerErrorMiddleware",
    "board.stats.PollStatsMiddleware",
]
TEMPLATES = [{"BACKEND": "django.template.backends.django.DjangoTemplates", "APP_DIRS": True}]
DATABASES = {}
USE_TZ = True
LOGGING_CONFIG = None
