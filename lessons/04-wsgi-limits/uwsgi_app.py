"""The WSGI application uWSGI runs for lesson 04: the page at /, the learner's WebSockets at /echo and /chat.

uWSGI loads this file with ``--wsgi-file`` (see ``uwsgi_runner.py``); the learner's module
``uwsgi_ws`` comes from the exercise folder given on uWSGI's command line as
``--set exercise-dir=DIR`` (read back from ``uwsgi.opt``), imported at the first WebSocket
request so that uWSGI starts even while that file is broken. Whatever goes wrong
in the learner's code is printed to uWSGI's log on a line starting with ``[workshop]`` (the
checker reads those lines) and, when the handshake has not happened yet, answered as HTTP
501/500 with the header ``X-Workshop-Error``.

The room reports each member that joins on a line ``[workshop:room] joined members=N last_id=M``:
the checker waits for those lines (a state the server reports) before it sends to a new member.
"""

from __future__ import annotations

import sys
import traceback
from pathlib import Path

LESSON_DIR = Path(__file__).resolve().parent
REPO_ROOT = LESSON_DIR.parent.parent
for _folder in (str(LESSON_DIR), str(REPO_ROOT)):
    if _folder not in sys.path:
        sys.path.append(_folder)

from room import room  # noqa: E402
from workshop import learner  # noqa: E402

try:
    import uwsgi
except ImportError:  # imported outside uWSGI (a test reading this module): no exercise folder
    uwsgi = None

OPTION = "exercise-dir"  # uwsgi_runner.command() passes --set exercise-dir=DIR


def option(name: str) -> str | None:
    """An option given on uWSGI's command line as ``--set name=value`` (None outside uWSGI)."""
    value = uwsgi.opt.get(name) if uwsgi is not None else None
    return value.decode() if isinstance(value, bytes) else value


def exercise_dir() -> Path | None:
    """The folder named on uWSGI's command line (``--set exercise-dir=DIR``), first on ``sys.path``.

    The offloading instances (``offload_front.py``, ``offload_held.py``) read it the same way."""
    value = option(OPTION)
    if not value:
        return None
    folder = Path(value).resolve()
    if str(folder) not in sys.path:
        sys.path.insert(0, str(folder))
    return folder


EXERCISE_DIR = exercise_dir()
PAGE = LESSON_DIR / "uwsgi_page.html"
MARK = "[workshop]"
ERROR_HEADER = "X-Workshop-Error"  # the same header as workshop.django_support (no Django in here)


def report(text: str) -> None:
    """One line in uWSGI's log that the checker (and you, in the demo's log) can find."""
    print(f"{MARK} {text}".replace("\n", "\n" + MARK + " "), file=sys.stderr, flush=True)


def _joined(members: int, last_id: int) -> None:
    print(f"{ROOM_MARK} joined members={members} last_id={last_id}", file=sys.stderr, flush=True)


ROOM_MARK = "[workshop:room]"
room.on_join = _joined


def _answer(start_response, status: str, text: str, *, problem: str | None = None, exc_info=None):
    headers = [("Content-Type", "text/plain; charset=utf-8"), ("Cache-Control", "no-store")]
    if problem:
        headers.append((ERROR_HEADER, problem.replace("\n", " ")[:500]))
    try:
        start_response(status, headers, exc_info)
    except Exception:  # noqa: BLE001 - after a handshake the headers are gone: just end the request
        return []
    return [text.encode()]


def _learner_failed(exc: BaseException, name: str, start_response):
    frame = learner.learner_frame(exc.__traceback__, EXERCISE_DIR)
    if isinstance(exc, NotImplementedError):
        where = f"{frame.name}() in {learner.relative(Path(frame.filename))}" if frame else f"{name}()"
        summary = f"{where} is not written yet (it raises NotImplementedError)"
        report(summary)
        return _answer(start_response, "501 Not Implemented", summary, problem=summary, exc_info=sys.exc_info())
    where = learner.describe_frame(frame).replace("\n    ", ": ") if frame else "the lesson's scaffolding"
    summary = f"{type(exc).__name__}: {exc} ({where})"
    report(f"{name}() raised {summary}")
    traceback.print_exception(exc, file=sys.stderr)
    return _answer(start_response, "500 Internal Server Error", summary, problem=summary, exc_info=sys.exc_info())


def application(environ, start_response):
    if EXERCISE_DIR is None:
        return _answer(start_response, "500 Internal Server Error", "uWSGI was started without "
                       "--set exercise-dir=DIR: use lessons/04-wsgi-limits/launch.py")
    path = environ.get("PATH_INFO", "/")
    if path == "/":
        body = PAGE.read_bytes()
        start_response("200 OK", [("Content-Type", "text/html; charset=utf-8"), ("Content-Length", str(len(body)))])
        return [body]
    if path not in ("/echo", "/chat"):
        return _answer(start_response, "404 Not Found", f"nothing at {path}; the WebSockets are /echo and /chat")
    try:
        ws = learner.import_learner("uwsgi_ws", EXERCISE_DIR)
    except learner.LearnerCodeError as err:
        report(str(err))
        return _answer(start_response, "500 Internal Server Error", str(err), problem=str(err))
    try:
        wants_websocket = ws.is_websocket_request(environ)
    except NotImplementedError:
        wants_websocket = True  # not written yet: let the handshake decide
    except Exception as exc:  # noqa: BLE001 - the learner's bug, reported
        return _learner_failed(exc, "is_websocket_request", start_response)
    if not wants_websocket:
        return _answer(start_response, "400 Bad Request",
                       f"{path} speaks WebSocket only (is_websocket_request() said no): open it with new WebSocket(...)")
    try:
        if path == "/echo":
            return ws.echo(environ, start_response)
        try:
            return ws.chat(environ, start_response, room)
        finally:
            room.leave()
    except Exception as exc:  # noqa: BLE001 - the learner's bug, reported
        return _learner_failed(exc, path[1:], start_response)
