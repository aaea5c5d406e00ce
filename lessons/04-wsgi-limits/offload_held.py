"""The *held* uWSGI instance of the offloading part: gevent greenlets that hold the streams.

uWSGI starts it with ``--gevent N --gevent-monkey-patch`` (``uwsgi_runner.held_command``): the
standard library's sockets and ``select`` cooperate with gevent, so redis-py's blocking calls
let the other greenlets run. It listens on a uwsgi-protocol socket that only the front reaches,
and every request it gets was handed over by the front's ``uwsgi:`` routing action, carrying
the variable ``X_OFFLOAD`` (the JSON mark the learner's ``handoff()`` wrote).

The held instance answers with the learner's ``sse(mark, redis)`` (``kind`` ``"sse"``) or
``websocket(mark, redis)`` (``kind`` ``"ws"``). Each response carries ``X-Offloaded: <mark>``,
so a client (and the checker) can see that the held instance, not Django, is talking. A broken
learner function is reported on a ``[workshop]`` line of this instance's log and, before
anything was sent, as HTTP 501/500 with ``X-Workshop-Error``.
"""

from __future__ import annotations

import json
import sys
import traceback
from pathlib import Path

LESSON_DIR = Path(__file__).resolve().parent
for _folder in (str(LESSON_DIR), str(LESSON_DIR.parent.parent)):
    if _folder not in sys.path:
        sys.path.append(_folder)

import redis as redis_lib  # noqa: E402

from uwsgi_runner import MARK_VARIABLE  # noqa: E402
from uwsgi_app import ERROR_HEADER, exercise_dir, option, report  # noqa: E402
from workshop import learner  # noqa: E402

EXERCISE_DIR = exercise_dir() or LESSON_DIR
# One pool for the whole process; every held stream takes a connection of its own for its pubsub,
# so the pool's limit (redis-py's default is small) must exceed the streams this instance holds.
client = redis_lib.Redis.from_url(option("redis-url") or "redis://127.0.0.1:6379/0", max_connections=20_000)


def _answer(start_response, status: str, text: str, problem: str | None = None, mark: str | None = None):
    headers = [("Content-Type", "text/plain; charset=utf-8"), ("Cache-Control", "no-store")]
    if mark:
        headers.append(("X-Offloaded", mark))
    if problem:
        headers.append((ERROR_HEADER, problem.replace("\n", " ")[:500]))
    start_response(status, headers)
    return [text.encode()]


def _failed(exc: BaseException, name: str, start_response=None, mark: str | None = None):
    if isinstance(exc, NotImplementedError):
        problem = f"{name}() in offload.py is not written yet (it raises NotImplementedError)"
        status = "501 Not Implemented"
    else:
        frame = learner.learner_frame(exc.__traceback__, EXERCISE_DIR)
        where = learner.describe_frame(frame).replace("\n    ", ": ") if frame else "offload.py"
        problem = f"{name}() raised {type(exc).__name__}: {exc} ({where})"
        status = "500 Internal Server Error"
        traceback.print_exception(exc, file=sys.stderr)
    report(problem)
    if start_response is None:
        return []
    try:
        return _answer(start_response, status, problem, problem, mark)
    except Exception:  # noqa: BLE001 - headers already sent (after a handshake): just end
        return []


def _guarded(frames, first: bytes):
    """The learner's frames, with an exception in the middle of the stream reported, not lost."""
    yield first
    try:
        yield from frames
    except Exception as exc:  # noqa: BLE001
        _failed(exc, "sse")


def application(environ, start_response):
    raw = environ.get(MARK_VARIABLE)
    if not raw:
        return _answer(start_response, "403 Forbidden", f"no {MARK_VARIABLE}: only the front hands requests over")
    try:
        mark = json.loads(raw)
        kind = mark["kind"]
    except (ValueError, TypeError, KeyError):
        return _answer(start_response, "400 Bad Request", f"{MARK_VARIABLE} is not a JSON mark with a kind: {raw!r}")
    try:
        offload = learner.import_learner("offload", EXERCISE_DIR)
    except learner.LearnerCodeError as err:
        report(str(err))
        return _answer(start_response, "500 Internal Server Error", str(err), str(err))
    if kind == "sse":
        try:
            frames = offload.sse(mark, client)
            first = next(iter(frames), b"")
        except Exception as exc:  # noqa: BLE001 - the learner's bug, reported
            return _failed(exc, "sse", start_response, raw)
        start_response("200 OK", [("Content-Type", "text/event-stream"), ("Cache-Control", "no-store"),
                                  ("X-Offloaded", raw)])
        return _guarded(frames, first)
    if kind == "ws":
        try:
            return offload.websocket(mark, client) or []
        except Exception as exc:  # noqa: BLE001
            return _failed(exc, "websocket", start_response, raw)
    return _answer(start_response, "400 Bad Request", f"unknown kind {kind!r} in {MARK_VARIABLE}")
