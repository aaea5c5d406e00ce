"""Django glue shared by the lessons: readable errors from learner code and a quiet threaded server.

The lessons run Django exactly as production WSGI servers do (one thread per request), but
inside our own process, so the checker can start one on a free port in milliseconds and the
demos can stop it cleanly on Ctrl-C.
"""

from __future__ import annotations

import sys
import traceback
from pathlib import Path

from django.http import JsonResponse

from . import net
from .learner import describe_frame, learner_frame

ERROR_HEADER = "X-Workshop-Error"


def _stub_name(exc: BaseException, exercise_dir: Path | None) -> str:
    frame = learner_frame(exc.__traceback__, exercise_dir) if exercise_dir else None
    if frame is None:
        return "a function of the exercise"
    from .paths import relative

    return f"{frame.name}() in {relative(Path(frame.filename))}"


class LearnerErrorMiddleware:
    """Turn an exception from the learner's view into a JSON answer that says where it happened.

    ``NotImplementedError`` (a stub not written yet) becomes HTTP 501; anything else HTTP 500
    with the file and line of the learner's code. The header ``X-Workshop-Error`` carries the
    same one-line summary, so the checker and the browser console can show it.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_exception(self, request, exc):
        from django.conf import settings
        from django.core.exceptions import PermissionDenied, SuspiciousOperation
        from django.http import Http404

        if isinstance(exc, (Http404, PermissionDenied, SuspiciousOperation)):
            return None  # Django's own answers (404, 403, 400), not the learner's mistakes

        # The app factory (``application_for(exercise_dir)``) put the learner's folder in the settings.
        exercise_dir = getattr(settings, "EXERCISE_DIR", None)
        exercise_dir = Path(exercise_dir) if exercise_dir else None
        if isinstance(exc, NotImplementedError):
            summary = f"{_stub_name(exc, exercise_dir)} is not written yet (it raises NotImplementedError)"
            status = 501
        else:
            frame = learner_frame(exc.__traceback__, exercise_dir) if exercise_dir else None
            where = describe_frame(frame).replace("\n    ", ": ") if frame else "the server"
            summary = f"{type(exc).__name__}: {exc} ({where})"
            status = 500
            traceback.print_exception(exc, file=sys.stderr)
        response = JsonResponse({"error": summary}, status=status)
        response[ERROR_HEADER] = summary.replace("\n", " ")[:500]
        return response


def make_server(app, host: str = net.LOOPBACK, port: int = 0, quiet: bool = True):
    """A threaded WSGI server (Django's own, as ``runserver`` uses) bound to ``host:port``."""
    from django.core.servers.basehttp import ThreadedWSGIServer, WSGIRequestHandler

    class Handler(WSGIRequestHandler):
        def log_message(self, format, *args):  # noqa: A002 - stdlib signature
            if not quiet:
                super().log_message(format, *args)

    # SO_REUSEADDR: a restarted demo can bind again at once, despite connections in TIME_WAIT.
    server = ThreadedWSGIServer((host, port), Handler, allow_reuse_address=True)
    server.daemon_threads = True
    server.set_app(app)
    return server


class BackgroundServer(net.ServerThread):
    """``with BackgroundServer(app) as srv: srv.url`` -- serving in a daemon thread."""

    def __init__(self, app, host: str = net.LOOPBACK, port: int = 0, quiet: bool = True):
        super().__init__(make_server(app, host, port, quiet=quiet))


def wsgi_application(lesson_dir: Path, exercise_dir: Path, settings_module: str):
    """Django's WSGI app for a lesson's project, with the learner's code taken from ``exercise_dir``."""
    import os

    from . import learner

    learner.activate(Path(lesson_dir), Path(exercise_dir))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", settings_module)
    import django
    from django.core.wsgi import get_wsgi_application

    django.setup(set_prefix=False)
    return get_wsgi_application()
