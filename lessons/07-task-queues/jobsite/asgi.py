"""The ASGI application, built for one exercise folder: ``application_for(exercise_dir)``.

``workshop.asgi_server`` (Daphne) and ``workshop.channels_worker`` (Channels' ``runworker``) call it
with the folder from their command line (see ``launch.py``): one application, three kinds of
scope. ``get_asgi_application()`` first (it runs ``django.setup()``), then the learner's
``consumers.py`` and ``workers.py``. The routing is scaffolding in this lesson (lesson 06 was
about writing it)::

    ProtocolTypeRouter({
        "http": Django's views,                                    # served by Daphne
        "websocket": /ws/jobs/<job id>/ -> consumers.JobConsumer,  # served by Daphne
        "channel": ChannelNameRouter({"jobs-worker": workers.ReportWorker}),  # run by runworker
    })

Daphne never sees a ``channel`` scope; the worker process sees nothing else. A message sent to
the channel ``jobs-worker`` (``channel_layer.send``) reaches whichever worker process receives
from it first.

WebSockets come in behind ``channels_support.SameOriginOnly``: the Origin must be this very site
(scheme, host and port), the exact rule lesson 06 has the learner write; Channels'
``AllowedHostsOriginValidator`` would let in a page on any other port of 127.0.0.1. No session
middleware: job ids are random and unguessable, which is this demo's only access control (a real
site would also check that the job belongs to ``scope["user"]``).
"""

import os
import sys
from pathlib import Path

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "jobsite.settings")

from workshop import channels_support, learner  # noqa: E402

LESSON_DIR = Path(__file__).resolve().parent.parent
JOB_PATH = r"^ws/jobs/(?P<job_id>[0-9a-f]{32})/$"


def websocket_urlpatterns(consumers):
    from django.urls import re_path

    return [re_path(JOB_PATH, consumers.JobConsumer.as_asgi())]


def application_for(exercise_dir: Path):
    """The site serving the learner's code in ``exercise_dir`` (HTTP views and WebSockets)."""
    from django.conf import settings
    from django.core.asgi import get_asgi_application

    exercise_dir = Path(exercise_dir).resolve()
    learner.activate(LESSON_DIR, exercise_dir)
    django_asgi_app = get_asgi_application()
    settings.EXERCISE_DIR = exercise_dir  # jobs.views loads the learner's views.py from here

    from channels.routing import ChannelNameRouter, ProtocolTypeRouter, URLRouter

    from jobs.work import WORKER_CHANNEL

    consumers, problem = channels_support.load_learner("consumers", exercise_dir, "Lesson 07")
    if consumers is None:
        websocket_app = channels_support.refuse_websockets(problem)
    else:
        websocket_app = channels_support.SameOriginOnly(URLRouter(websocket_urlpatterns(consumers)))
    workers, problem = channels_support.load_learner("workers", exercise_dir, "Lesson 07")
    worker_app = _refuse_worker_messages(problem) if workers is None else workers.ReportWorker.as_asgi()
    return ProtocolTypeRouter({"http": django_asgi_app, "websocket": websocket_app,
                               "channel": ChannelNameRouter({WORKER_CHANNEL: worker_app})})


def _refuse_worker_messages(problem: str):
    """A ``channel`` application that drops every message, saying why (the worker keeps running,
    so its log shows the problem next to each job that did not run)."""

    async def refused(scope, receive, send):
        while True:
            message = await receive()
            print(f"Lesson 07: dropped {message.get('type')!r} for job {message.get('job')}: {problem}",
                  file=sys.stderr, flush=True)

    return refused
