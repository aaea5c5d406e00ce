"""The Celery application: ``celery -A jobsite worker`` finds ``app`` here.

Three lines do the Django part, and forgetting any of them is a classic error:

* ``DJANGO_SETTINGS_MODULE`` must be set *before* the app reads its configuration, or the
  worker runs without Django's settings: no broker URL (it tries amqp://localhost), and
  ``get_channel_layer()`` returns ``None`` because ``CHANNEL_LAYERS`` is unknown.
* ``config_from_object("django.conf:settings", namespace="CELERY")`` reads every
  ``CELERY_*`` setting (``CELERY_BROKER_URL`` becomes ``broker_url``).
* Celery's Django fix-up (on because DJANGO_SETTINGS_MODULE is set) calls ``django.setup()``
  when the worker starts, before the first task runs.

The learner's ``tasks.py`` declares its tasks with ``@app.task``.
"""

import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "jobsite.settings")

app = Celery("jobsite")
app.config_from_object("django.conf:settings", namespace="CELERY")
