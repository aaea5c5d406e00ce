"""The ASGI entry point: ``application_for(exercise_dir)`` builds the chat site for one exercise folder.

The order matters, and it is the same in every Channels project:

1. ``get_asgi_application()`` first: it runs ``django.setup()``, so models can be imported.
2. Only then import the routing, which imports the consumers, which import the models.

The application is the learner's ``routing.application`` (a ``ProtocolTypeRouter``). *Whose*
routing is told explicitly: ``workshop.asgi_server`` (how the demo, the checker and the benchmark
run Daphne) calls ``application_for(exercise_dir)`` with the folder from its command line, and
``manage.py --exercise-dir DIR runserver`` calls ``configure(exercise_dir)`` before Daphne's
``runserver`` loads ``application`` (``ASGI_APPLICATION`` in the settings).

While ``routing.py`` is not written yet, pages are still served (Django's plain ASGI app) and
every WebSocket is refused with a message in the server's terminal, so the page can say what is
missing.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "chatsite.settings")

from django.core.asgi import get_asgi_application  # noqa: E402
from django.core.exceptions import ImproperlyConfigured  # noqa: E402

django_asgi_app = get_asgi_application()

from workshop import channels_support, learner  # noqa: E402

SETTINGS = "chatsite.settings"
_exercise_dir: Path | None = None
_problem = ""
_built = None


def configure(exercise_dir: Path) -> None:
    """Serve the learner's code from ``exercise_dir`` (first on ``sys.path``) and create the tables."""
    global _exercise_dir
    _exercise_dir = Path(exercise_dir).resolve()
    if str(_exercise_dir) in sys.path:
        sys.path.remove(str(_exercise_dir))
    sys.path.insert(0, str(_exercise_dir))
    channels_support.ensure_schema(SETTINGS)


def application_for(exercise_dir: Path):
    """The ASGI application serving ``exercise_dir``'s ``routing.application`` (or the stand-in)."""
    global _problem, _built
    configure(exercise_dir)
    app, _problem = load_learner_application(_exercise_dir)
    if _problem:
        print(f"Lesson 06: {_problem}", file=sys.stderr, flush=True)
    _built = app or _websockets_refused
    return _built


def load_learner_application(exercise_dir: Path):
    """(application, problem): the learner's ``routing.application``, or None and why not."""
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


async def application(scope, receive, send):
    """``ASGI_APPLICATION`` for ``manage.py runserver``: the app of the folder given to ``configure``."""
    if _built is None:
        if _exercise_dir is None:
            raise ImproperlyConfigured("no exercise folder: start the site with lessons/06-django-channels/demo.py, "
                                       "or manage.py --exercise-dir DIR runserver")
        application_for(_exercise_dir)
    return await _built(scope, receive, send)


def routing_problem() -> str:
    """Why WebSockets cannot work yet (shown on the page), or ''."""
    return _problem
