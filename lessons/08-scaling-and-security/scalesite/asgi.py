"""The ASGI entry point of every backend: ``daphne scalesite.asgi:application``.

The routing is scaffolding here (lesson 06 taught it): session auth around one route,
``/ws/chat/``, to the learner's ``ChatConsumer``. There is deliberately NO
``AllowedHostsOriginValidator``: checking the Origin is the learner's job in this lesson
(``security.origin_allowed``, called from ``ChatConsumer.connect``).
"""

import os
import sys
from pathlib import Path

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "scalesite.settings")

from django.core.asgi import get_asgi_application  # noqa: E402

django_asgi_app = get_asgi_application()

from channels.auth import AuthMiddlewareStack  # noqa: E402
from channels.routing import ProtocolTypeRouter, URLRouter  # noqa: E402
from django.conf import settings  # noqa: E402
from django.urls import path  # noqa: E402

from scalesite.setup import ensure_schema  # noqa: E402
from workshop import learner  # noqa: E402

ensure_schema()

LESSON_DIR = Path(__file__).resolve().parent.parent
DEFAULT_EXERCISE_DIR = LESSON_DIR.parent.parent / "exercises" / LESSON_DIR.name


def _load_consumer():
    exercise_dir = learner.exercise_dir_from_env(DEFAULT_EXERCISE_DIR)
    learner.activate(LESSON_DIR, exercise_dir)
    try:
        consumers = learner.import_learner("consumers", exercise_dir)
    except learner.LearnerCodeError as err:
        return None, f"consumers.py could not be loaded: {err}"
    return consumers.ChatConsumer, ""


async def _websockets_refused(scope, receive, send):
    await receive()  # websocket.connect
    print(f"WebSocket REJECT {scope['path']}: {_problem}", file=sys.stderr, flush=True)
    await send({"type": "websocket.close", "code": 1011})


_consumer, _problem = _load_consumer()
if _problem:
    print(f"Lesson 08 ({settings.BACKEND_NAME}): {_problem}", file=sys.stderr, flush=True)
    websocket_app = _websockets_refused
else:
    websocket_app = AuthMiddlewareStack(URLRouter([path("ws/chat/", _consumer.as_asgi())]))

application = ProtocolTypeRouter({"http": django_asgi_app, "websocket": websocket_app})


def consumer_problem() -> str:
    return _problem
