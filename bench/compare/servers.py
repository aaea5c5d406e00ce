"""The server side of each architecture: the lesson's own launcher, serving its reference solution.

These functions run inside a *host* process (``host.py``), one architecture per host, never in
the load generator's process: three lessons serve Django inside the process that launches them
(01, 02 and 05's Django), Django can be set up only once per process, and a process of its own
is what lets ``/proc`` say what the servers cost apart from the clients.

Each ``serve_*`` is a context manager yielding what the clients need (ports, URLs, a session
cookie) as plain JSON. The adapters stay thin on purpose: when a lesson's launcher changes, the
benchmark runs the new one.
"""

from __future__ import annotations

import contextlib
import os
import re
import sys
import tempfile
from pathlib import Path

from checker import launchers
from workshop import paths
from workshop.launch import Launch, Ports, Service

UWSGI_THREADS = 100  # uWSGI's native API holds one WebSocket per thread: the pool we give it


def lesson(slug: str):
    return launchers.load(paths.lesson_dir(slug))


def solution(slug: str) -> Path:
    return paths.exercise_dir(paths.SOLUTIONS, slug)


@contextlib.contextmanager
def _site(launch: Launch):
    with launch as site:
        yield site


@contextlib.contextmanager
def serve_polling():
    """Lesson 01's board (short and long polling share it): Django's threaded WSGI server."""
    slug = "01-http-polling"
    with _site(lesson(slug).launch(solution(slug), Ports.free("http"))) as site:
        yield {"port": site.ports["http"]}


@contextlib.contextmanager
def serve_sse():
    slug = "02-server-sent-events"
    with _site(lesson(slug).launch(solution(slug), Ports.free("http"))) as site:
        yield {"port": site.ports["http"]}


@contextlib.contextmanager
def serve_raw_asyncio():
    """Lesson 03's server on a raw socket: its ``/chat`` (the room hears a presence frame on each join)."""
    slug = "03-websocket-handshake"
    limits = {"max_connections": 4096, "idle_timeout": 120.0}  # the bench is the only client, and it is polite
    with _site(lesson(slug).launch(solution(slug), Ports.free("http"), limits=limits)) as site:
        yield {"url": site.extras["server"].ws_url("/chat"), "ready": True}


@contextlib.contextmanager
def serve_uwsgi_native():
    slug = "04-wsgi-limits"
    with _site(lesson(slug).launch(solution(slug), Ports.free("uwsgi"), threads=UWSGI_THREADS,
                                   ready_timeout=60)) as site:
        # /chat sends nothing on join; uWSGI's log says when a socket has joined the room
        yield {"url": site.url("uwsgi", "ws") + "/chat", "ready": False,
               "joins_log": str(site.services["uwsgi"].log_path)}


@contextlib.contextmanager
def serve_uwsgi_offload():
    """Django in 4 uWSGI workers handing ``/ws/<room>`` to one gevent instance (lesson 04, part 3)."""
    from workshop.redis_server import RedisServer

    slug = "04-wsgi-limits"
    with RedisServer() as redis, _site(lesson(slug).launch(solution(slug), Ports.free("front", "held"),
                                                           redis_url=redis.url, ready_timeout=60)) as site:
        yield {"port": site.ports["front"], "url": site.url("front", "ws") + "/ws/lobby"}


def _sidecar(kind: str):
    @contextlib.contextmanager
    def serve():
        slug = "05-redis-sidecar"
        with _site(lesson(slug).launch(solution(slug), Ports.free("http", "sidecar"), loop_watch=False,
                                       sidecar=kind, ready_timeout=60)) as site:
            yield {"port": site.ports["http"], "origin": site.extras["origin"]}
    return serve


serve_python_sidecar = _sidecar("python")
serve_node_sidecar = _sidecar("node")

CHAT_SLUG = "06-django-channels"


def _chat_session(db_path: str) -> str:
    """A logged-in ``sessionid`` in the chat's database (Django set up here, in the host, once)."""
    os.environ["WORKSHOP_CHAT_DB"] = db_path
    folder = str(paths.lesson_dir(CHAT_SLUG))
    if folder not in sys.path:
        sys.path.insert(0, folder)
    from workshop.channels_support import ensure_schema

    ensure_schema(lesson(CHAT_SLUG).SETTINGS)
    from chat.accounts import session_cookie_for

    return session_cookie_for("bench")


def _channels(backends: int):
    @contextlib.contextmanager
    def serve():
        folder = tempfile.mkdtemp(prefix="workshop-compare-")
        db_path = str(Path(folder) / "chat.sqlite3")
        session = _chat_session(db_path)
        names = lesson(CHAT_SLUG).PORT_NAMES[:backends]
        with _site(lesson(CHAT_SLUG).launch(solution(CHAT_SLUG), Ports.free(*names), redis=backends > 1,
                                            backends=backends, db_path=db_path, access_log=False,
                                            timeout=60)) as site:
            yield {"urls": [site.url(n, "ws") + "/ws/chat/lobby/" for n in names], "session": session}
    return serve


serve_channels_memory = _channels(1)
serve_channels_redis = _channels(2)


@contextlib.contextmanager
def serve_channels_uvicorn():
    """Lesson 06's chat, the same factory and settings, served by uvicorn instead of Daphne."""
    from workshop import asgi_server

    module = lesson(CHAT_SLUG)
    folder = tempfile.mkdtemp(prefix="workshop-compare-")
    db_path = str(Path(folder) / "chat.sqlite3")
    session = _chat_session(db_path)
    ports = Ports.free("http")
    argv = [sys.executable, "-P", "-m", "bench.compare.uvicorn_server", "--lesson-dir", str(module.LESSON_DIR),
            "--exercise-dir", str(solution(CHAT_SLUG)), "--settings", module.SETTINGS,
            "--factory", module.FACTORY, "--port", str(ports["http"])]
    env = {**os.environ, "PYTHONUNBUFFERED": "1", "WORKSHOP_CHAT_DB": db_path, "WORKSHOP_REDIS_URL": "",
           "PYTHONPATH": str(paths.REPO_ROOT)}

    def start(site: Launch) -> None:
        site.add(Service("uvicorn", argv, ports["http"], env=env, cwd=str(module.LESSON_DIR), ready_timeout=60,
                         ready_line=re.escape(asgi_server.READY_LINE))).start()

    with _site(Launch(ports, start)) as site:
        yield {"urls": [site.url("http", "ws") + "/ws/chat/lobby/"], "session": session}


@contextlib.contextmanager
def serve_websockets_peer():
    from .peers import broadcast_chat

    with broadcast_chat() as url:
        yield {"url": url, "ready": True}
