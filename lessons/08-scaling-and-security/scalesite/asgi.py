"""The ASGI application of every backend, built for one exercise folder: ``application_for(exercise_dir)``.

``workshop.asgi_server`` calls it with the folder from its command line (see ``launch.py``).
The routing is scaffolding here (lesson 06 taught it): session auth around one route,
``/ws/chat/``, to the learner's ``ChatConsumer``. There is deliberately NO
``AllowedHostsOriginValidator``: checking the Origin is the learner's job in this lesson
(``security.origin_allowed``, called from ``ChatConsumer.connect``).
"""

import os
from pathlib import Path

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "scalesite.settings")

from workshop import channels_support, learner  # noqa: E402

LESSON_DIR = Path(__file__).resolve().parent.parent
SETTINGS = "scalesite.settings"
_problem = ""  # why the learner's consumer could not be loaded, for the page (scaleroom.views)


def application_for(exercise_dir: Path):
    """One backend serving the learner's ``consumers.ChatConsumer`` from ``exercise_dir``."""
    global _problem
    from django.core.asgi import get_asgi_application

    exercise_dir = Path(exercise_dir).resolve()
    learner.activate(LESSON_DIR, exercise_dir)
    django_asgi_app = get_asgi_application()
    channels_support.ensure_schema(SETTINGS)  # the first backend creates the tables, the others wait for it

    from channels.auth import AuthMiddlewareStack
    from channels.routing import ProtocolTypeRouter, URLRouter
    from django.conf import settings
    from django.urls import path

    consumers, _problem = channels_support.load_learner("consumers", exercise_dir,
                                                        f"Lesson 08 ({settings.BACKEND_NAME})")
    if consumers is None:
        websocket_app = channels_support.refuse_websockets(_problem)
    else:
        websocket_app = AuthMiddlewareStack(URLRouter([path("ws/chat/", consumers.ChatConsumer.as_asgi())]))
    return ProtocolTypeRouter({"http": django_asgi_app, "websocket": websocket_app})


def consumer_problem() -> str:
    """'' when the learner's consumer loaded, else why not."""
    return _problem
