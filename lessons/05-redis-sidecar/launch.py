"""Lesson 05's servers, started once for the demo, the checks and the benchmark::

    with launch(exercise_dir, Ports(http=8000, sidecar=8001)) as site:
        site.url("http")                   # Django (threaded WSGI, in this process): pages, posts, tokens
        site.url("sidecar", "ws")          # the learner's sidecar: ws://.../ws/<room>?token=...
        site.services["sidecar"]           # its process (.log_tail(), .log_path)
        site.extras["redis_url"]           # the Redis both meet on
        site.extras["origin"]              # the Origin of Django's pages, which the sidecar accepts

Three parts, as in production: a real Redis (unless ``redis_url`` names one already running),
the sidecar as a process of its own (``newsroom/sidecar_server.py``, given the exercise folder
with ``--exercise-dir`` on its command line, *ready when* its port accepts connections), and
Django serving ``newsroom.wsgi.application_for(exercise_dir)`` on a thread of this process.
``sidecar_redis_url`` lets the sidecar reach Redis another way (the checks put a proxy there);
``django=False`` starts the sidecar alone. Django can be set up once per process.

Each run signs with a key of its own: ``RUN_KEY`` comes from ``secrets`` when this module is
imported (once per process, so every launch in a grading process agrees), is written to a file
that only this user can read in a temporary folder, and is handed over explicitly: the file's
path on the sidecar's command line (``--secret-file``), the key itself to Django
(``application_for(secret_key=...)``). It is printed nowhere: a key anyone can read is a key
anyone can sign with.

``sidecar="node"`` starts the Node.js variant instead: ``node node/server.js`` with the learner's
``sidecar.js`` (the same command line, the same contract; its packages are the ones ``npm ci``
installed from ``node/package-lock.json``). Everything else is the same: Django cannot tell.
"""

from __future__ import annotations

import atexit
import os
import secrets
import shutil
import sys
import tempfile
from pathlib import Path

from workshop import net
from workshop.launch import Launch, Ports, Service

LESSON_DIR = Path(__file__).resolve().parent
NODE_DIR = LESSON_DIR / "node"
PORTS = ("http", "sidecar")
SIDECARS = ("python", "node")
RUN_KEY = secrets.token_urlsafe(48)
_key_file: Path | None = None


def secret_file() -> Path:
    """This run's key in a file readable by this user only, in a temporary folder removed at exit."""
    global _key_file
    if _key_file is None or not _key_file.exists():
        folder = Path(tempfile.mkdtemp(prefix="lesson05-key-"))
        atexit.register(shutil.rmtree, folder, True)
        path = folder / "signing.key"
        descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(descriptor, "w") as out:
            out.write(RUN_KEY + "\n")
        _key_file = path
    return _key_file


def sidecar_argv(exercise_dir: Path, port: int, redis_url: str, origins, host: str = net.LOOPBACK,
                 loop_watch: bool = True) -> list[str]:
    """The sidecar's command line: the learner's folder, its port, its Redis, the origins it accepts."""
    argv = [sys.executable, str(LESSON_DIR / "newsroom" / "sidecar_server.py"), "--exercise-dir", str(exercise_dir),
            "--host", host, "--port", str(port), "--redis-url", redis_url, "--secret-file", str(secret_file())]
    for origin in origins:
        argv += ["--allowed-origin", origin]
    return argv + ([] if loop_watch else ["--no-loop-watch"])


def node_sidecar_argv(exercise_dir: Path, port: int, redis_url: str, origins, host: str = net.LOOPBACK) -> list[str]:
    """The Node.js sidecar's command line: the same options, ``node/server.js`` loading ``sidecar.js``."""
    node = shutil.which("node")
    if node is None:
        raise RuntimeError("node was not found on PATH: install Node.js 18 or newer for the Node.js sidecar")
    argv = [node, str(NODE_DIR / "server.js"), "--exercise-dir", str(exercise_dir), "--host", host,
            "--port", str(port), "--redis-url", redis_url, "--secret-file", str(secret_file())]
    for origin in origins:
        argv += ["--allowed-origin", origin]
    return argv


def launch(exercise_dir: Path, ports: Ports, *, redis_url: str | None = None, sidecar_redis_url: str | None = None,
           extra_origins=(), django: bool = True, access_log: bool = False, loop_watch: bool = True,
           ready_timeout: float = 15.0, sidecar: str = "python") -> Launch:
    """Redis, the sidecar (``"python"`` or ``"node"``) on ``ports["sidecar"]`` and Django on ``ports["http"]``."""
    exercise_dir = Path(exercise_dir).resolve()
    if sidecar not in SIDECARS:
        raise ValueError(f"sidecar must be one of {SIDECARS}, not {sidecar!r}")

    def start(site: Launch) -> None:
        from workshop.redis_server import RedisServer

        url = redis_url or site.enter(RedisServer()).url
        origin = ports.url("http")
        site.extras.update(redis_url=url, origin=origin)
        origins = [origin, f"http://localhost:{ports['http']}", *extra_origins]
        reach = sidecar_redis_url or url
        argv = (node_sidecar_argv(exercise_dir, ports["sidecar"], reach, origins, ports.host) if sidecar == "node"
                else sidecar_argv(exercise_dir, ports["sidecar"], reach, origins, ports.host, loop_watch))
        service = site.add(Service("sidecar", argv, ports["sidecar"], host=ports.host, cwd=str(LESSON_DIR),
                                   env={**os.environ, "PYTHONUNBUFFERED": "1"}, ready_timeout=ready_timeout))
        service.start()
        if django:
            from workshop.django_support import BackgroundServer

            if str(LESSON_DIR) not in sys.path:
                sys.path.insert(0, str(LESSON_DIR))
            from newsroom.wsgi import application_for

            app = application_for(exercise_dir, redis_url=url, sidecar_url=site.url("sidecar", "ws"),
                                  secret_key=RUN_KEY)
            site.services["http"] = site.enter(BackgroundServer(app, ports.host, ports["http"], quiet=not access_log))
            if not net.wait_for_port(ports["http"], ports.host, timeout=ready_timeout):
                raise RuntimeError(f"Django on {ports.url('http')} did not accept connections")

    return Launch(ports, start)
