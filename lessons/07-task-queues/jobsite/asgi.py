"""The ASGI entry point: ``daphne jobsite.asgi:application``.

``get_asgi_application()`` first (it runs ``django.setup()``), then the learner's
``consumers.py``. The routing is scaffolding in this lesson (lesson 06 was about writing it):

    /ws/jobs/<job id>/  ->  consumers.JobConsumer

behind ``AllowedHostsOriginValidator``. No session middleware: job ids are random and
unguessable, which is this demo's only access control (a real site would also check that the
job belongs to ``scope["user"]``).
"""

import os
import sys
from pathlib import Path

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "jobsite.settings")

from django.core.asgi import get_asgi_application  # noqa: E402

django_asgi_app = get_asgi_application()

from channels.routing import ProtocolTypeRouter, URLRouter  # noqa: E402
from channels.security.websocket import AllowedHostsOriginValidator  # noqa: E402
from django.urls import re_path  # noqa: E402

from workshop import learner  # noqa: E402

LESSON_DIR = Path(__file__).resolve().parent.parent
DEFAULT_EXERCISE_DIR = LESSON_DIR.parent.parent / "exercises" / LESSON_DIR.name
JOB_PATH = r"^ws/jobs/(?P<job_id>[0-9a-f]{32})/$"


def websocket_urlpatterns(consumers):
    return [re_path(JOB_PATH, consumers.JobConsumer.as_asgi())]


def _load():
    exercise_dir = learner.exercise_dir_from_env(DEFAULT_EXERCISE_DIR)
    learner.activate(LESSON_DIR, exercise_dir)
    try:
        return learner.import_learner("consumers", exercise_dir), ""
    except learner.LearnerCodeError as err:
        return None, f"consumers.py could not be loaded: {err}"


async def _websockets_refused(scope, receive, send):
    await receive()  # websocket.connect
    print(f"WebSocket REJECT {scope['path']}: {_problem}", file=sys.stderr, flush=True)
    await send({"type": "websocket.close", "code": 1011})


_consumers, _problem = _load()
if _problem:
    print(f"Lesson 07: {_problem}", file=sys.stderr, flush=True)
    _websocket_app = _websockets_refused
else:
    _websocket_app = AllowedHostsOriginValidator(URLRouter(websocket_urlpatterns(_consumers)))

application = ProtocolTypeRouter({"http": django_asgi_app, "websocket": _websocket_app})
