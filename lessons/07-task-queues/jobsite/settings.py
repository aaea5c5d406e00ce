"""Settings for lesson 07: Django + Channels under Daphne, Celery for the slow work, one Redis for all.

What matters for the lesson:

* ``REDIS_URL`` (from ``WORKSHOP_REDIS_URL``) is used three times: the Celery broker, the
  Channels layer and the job-state store. The web process and the worker read the same
  settings, so they meet on the same Redis. A worker pointed at another Redis (or another
  database number) takes no jobs, or sends progress nobody hears.
* ``CHANNEL_LAYERS`` is always Redis here: the worker is another process, and the in-memory
  layer only reaches consumers in its own process.
* ``CELERY_*`` settings are read by ``jobsite/celery.py`` (``namespace="CELERY"``).
"""

import os

from workshop.channels_support import redis_channel_layer

SECRET_KEY = "workshop-lesson-07-not-a-secret"
DEBUG = False
ALLOWED_HOSTS = ["127.0.0.1", "localhost"]  # the Host header; WebSockets also need Origin == http://<Host>

INSTALLED_APPS = [
    "daphne",  # first: its runserver (ASGI) must win over Django's (WSGI)
    "channels",
    "jobs",
]
MIDDLEWARE = [
    "django.middleware.csrf.CsrfViewMiddleware",  # the page sends the csrftoken cookie back as X-CSRFToken
]
ROOT_URLCONF = "jobsite.urls"
# No ASGI_APPLICATION: the application is built for one exercise folder (jobsite.asgi.application_for).
EXERCISE_DIR = None  # the learner's folder being served; set by jobsite.asgi.application_for
WSGI_APPLICATION = None
TEMPLATES = [{
    "BACKEND": "django.template.backends.django.DjangoTemplates",
    "APP_DIRS": True,
    "OPTIONS": {"context_processors": ["django.template.context_processors.request",
                                       "django.template.context_processors.csrf"]},
}]
DATABASES = {}  # no database: job state lives in Redis (jobs/store.py)
USE_TZ = True
TIME_ZONE = "UTC"
LOGGING_CONFIG = None

# -- one Redis for everything -----------------------------------------------------------------
REDIS_URL = os.environ.get("WORKSHOP_REDIS_URL", "redis://127.0.0.1:6379/0")

CHANNEL_LAYERS = redis_channel_layer(REDIS_URL)

# -- Celery (read by jobsite/celery.py) ---------------------------------------------------------
CELERY_BROKER_URL = REDIS_URL
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
CELERY_TASK_IGNORE_RESULT = True        # progress and results travel through the job state, not a result backend
CELERY_IMPORTS = ["tasks"]              # the learner's tasks.py (the exercise folder is on PYTHONPATH)
CELERY_WORKER_PREFETCH_MULTIPLIER = 1   # a worker takes one job at a time: a long job does not hide others
CELERY_TASK_ACKS_LATE = True            # acknowledge after the task ran: a crashed worker's job is redelivered
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_BROKER_TRANSPORT_OPTIONS = {"visibility_timeout": 3600}  # unacked jobs come back after this

# -- the slow job -------------------------------------------------------------------------------
# Seconds one page of the report takes (jobs/work.py). The checker makes it short.
JOB_STEP_SECONDS = float(os.environ.get("WORKSHOP_JOB_STEP_SECONDS", "0.5"))
JOB_MAX_STEPS = 50
