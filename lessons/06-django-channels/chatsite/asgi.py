"""The ASGI entry point: ``daphne chatsite.asgi:application``.

The order matters, and it is the same in every Channels project:

1. ``get_asgi_application()`` first: it runs ``django.setup()``, so models can be imported.
2. Only then import the routing, which imports the consumers, which import the models.

The application itself is the learner's ``routing.application`` (a ``ProtocolTypeRouter``).
While it is not written yet, pages are still served (Django's plain ASGI app) and every
WebSocket is refused with a message in this terminal, so the page can say what is missing.
"""

import os
import sys
from pathlib import Path

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "chatsite.settings")

from django.core.asgi import get_asgi_application  # noqa: E402

django_asgi_app = get_asgi_application()

from chatsite.setup import ensure_schema  # noqa: E402
from workshop import learner  # noqa: E402

ensure_schema()

LESSON_DIR = Path(__file__).resolve().parent.parent
DEFAULT_EXERCISE_DIR = LESSON_DIR.parent.parent / "exercises" / LESSON_DIR.name


def load_learner_application():
    """(application, problem): the learner's ``routing.application``, or None and why not."""
    exercise_dir = learner.exercise_dir_from_env(DEFAULT_EXERCISE_DIR)
    learner.activate(LESSON_DIR, exercise_dir)
    try:
        routing = learner.import_learner("routing", exercise_dir)
    except learner.LearnerCodeError as err:
        return None, f"routing.py could not be loaded: {err}"
    except NotImplementedError:
        return None, "routing.py raised NotImplementedError while being imported: finish its TODO."
    app = getattr(routing, "application", None)
    if app is None:
        return None, ("routing.application is still None: build the ProtocolTypeRouter in routing.py "
                      "(until then every WebSocket is refused).")
    return app, ""


async def _websockets_refused(scope, receive, send):
    """Stands in for the learner's application until routing.py defines one."""
    if scope["type"] == "http":
        return await django_asgi_app(scope, receive, send)
    if scope["type"] == "websocket":
        await receive()  # websocket.connect
        print(f"WebSocket REJECT {scope['path']}: {_problem}", file=sys.stderr, flush=True)
        await send({"type": "websocket.close", "code": 1011})  # before accept: HTTP 403 to the client
        return
    raise ValueError(f"no application for scope type {scope['type']!r}")


_learner_app, _problem = load_learner_application()
if _problem:
    print(f"Lesson 06: {_problem}", file=sys.stderr, flush=True)

application = _learner_app or _websockets_refused


def routing_problem() -> str:
    """Why WebSockets cannot work yet (shown on the page), or ''."""
    return _problem
