"""Every way the workshop pushes a chat message, plus two peers a user might pick instead.

One row per architecture: what serves it (a ``serve_*`` of ``servers.py``, run in a host
process), how a member talks to it (a transport of ``clients.py``), whether the host process
itself serves (its own RSS, threads and CPU then count), and, for the optional ones, why it
cannot run here. ``python -m bench.compare --list`` prints this table.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class Architecture:
    key: str
    label: str
    lesson: str
    client: str  # a transport of clients.make()
    serve: str  # a function of servers.py
    in_process: bool  # the host process itself serves (Django on a thread, an asyncio loop)
    processes: str  # what /proc is read for, in words
    optional: bool = False

    def problem(self) -> str | None:
        """Why this architecture cannot run on this machine, or None."""
        return PROBLEMS.get(self.key, lambda: None)()


ARCHITECTURES = [
    Architecture("short-poll", "short polling (0.1 s)", "01", "short-poll", "serve_polling", True,
                 "Django, threaded WSGI"),
    Architecture("long-poll", "long polling", "01", "long-poll", "serve_polling", True, "Django, threaded WSGI"),
    Architecture("sse", "SSE + POST", "02", "sse", "serve_sse", True, "Django, threaded WSGI"),
    Architecture("raw-asyncio", "raw asyncio server", "03", "ws-text", "serve_raw_asyncio", True,
                 "one asyncio loop"),
    Architecture("uwsgi-native", "uWSGI WebSocket API", "04", "ws-text", "serve_uwsgi_native", False,
                 "uWSGI master + worker (100 threads)", optional=True),
    Architecture("uwsgi-offload", "uWSGI offloading", "04", "offload", "serve_uwsgi_offload", False,
                 "uWSGI front (4 workers) + gevent instance + Redis", optional=True),
    Architecture("sidecar-python", "sidecar (Python)", "05", "sidecar", "serve_python_sidecar", True,
                 "Django + sidecar + Redis"),
    Architecture("sidecar-node", "sidecar (Node.js)", "05", "sidecar", "serve_node_sidecar", True,
                 "Django + Node.js sidecar + Redis", optional=True),
    Architecture("channels-memory", "Channels, Daphne, in-memory", "06", "channels", "serve_channels_memory", False,
                 "one Daphne"),
    Architecture("channels-redis", "Channels, 2 Daphnes + Redis", "06", "channels", "serve_channels_redis", False,
                 "two Daphnes + Redis"),
    Architecture("websockets", "websockets library (peer)", "-", "ws-text", "serve_websockets_peer", True,
                 "one asyncio loop"),
    Architecture("channels-uvicorn", "Channels, uvicorn (peer)", "-", "channels", "serve_channels_uvicorn", False,
                 "one uvicorn"),
]
BY_KEY = {a.key: a for a in ARCHITECTURES}


def _uwsgi() -> str | None:
    import sys

    from workshop import paths

    sys.path.insert(0, str(paths.lesson_dir("04-wsgi-limits")))
    import uwsgi_runner

    return None if uwsgi_runner.find_uwsgi() else "uWSGI is not installed (pip install uWSGI==2.0.31)"


def _offload() -> str | None:
    problem = _uwsgi()
    if problem:
        return problem
    from workshop import paths

    folder = paths.lesson_dir("04-wsgi-limits")
    if not (folder / "offload_front.py").is_file():
        return "lesson 04 has no offloading pair yet (offload_front.py)"
    import uwsgi_runner

    routing = uwsgi_runner.routing_problem(uwsgi_runner.find_uwsgi())
    if routing:
        return "this uWSGI has no internal routing (built without PCRE)"
    try:
        import gevent  # noqa: F401
    except ImportError:
        return "gevent is not installed (pip install gevent==26.9.0)"
    return None


def _node() -> str | None:
    from checker.probes import node
    from workshop import paths

    folder = paths.lesson_dir("05-redis-sidecar") / "node"
    if not (folder / "server.js").is_file():
        return "lesson 05 has no Node.js sidecar yet (node/server.js)"
    if node.find_node() is None:
        return "node (18 or newer) is not on PATH"
    missing = node.packages_missing(Path(folder))
    if missing:
        return "its packages are not installed: run npm ci in lessons/05-redis-sidecar/node"
    if not (paths.exercise_dir(paths.SOLUTIONS, "05-redis-sidecar") / "sidecar.js").is_file():
        return "no reference sidecar.js in solutions/05-redis-sidecar"
    return None


PROBLEMS = {"uwsgi-native": _uwsgi, "uwsgi-offload": _offload, "sidecar-node": _node}
