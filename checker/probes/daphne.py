"""Daphne processes of a Channels lesson (06, 07, 08), started side by side and read for messages.

Each process runs ``workshop.asgi_server``: Daphne serving ``factory(exercise_dir)``, so the
exercise folder reaches the server on its command line. A process is *ready* once it logged
``workshop.asgi_server.READY_LINE`` (printed when its socket listens), and its log (Daphne's
access lines, the lesson's notices, the consumer's tracebacks) stays readable afterwards, for
the failure messages a check writes::

    servers = daphne.start([
        daphne.service("http", port, lesson_dir=LESSON, exercise_dir=folder,
                       settings="chatsite.settings", factory="chatsite.asgi:application_for"),
        daphne.service("second", other_port, ..., env={"WORKSHOP_REDIS_URL": url}),
    ], timeout=ctx.timeout(20))
    servers["http"].url          # http://127.0.0.1:PORT
    daphne.log(servers["http"])  # the last lines it printed

Starting takes most of a second per process (Twisted and Django imports), which is why
``start`` starts them together. Stopping is the caller's: ``Service.stop()``, or a
``workshop.launch.Launch`` that ``add``-ed them. The API (``service``, ``start``, ``log``,
``follow``) is shared by several lessons: extend it, never change its signatures.
"""

from __future__ import annotations

import os
import re
import sys
import threading
import time
from pathlib import Path

from workshop import asgi_server, net
from workshop.launch import Service, start_all


def service(name: str, port: int, *, lesson_dir: Path, exercise_dir: Path, settings: str, factory: str,
            env: dict | None = None, host: str = net.LOOPBACK, access_log: bool = True,
            log_path: Path | None = None, timeout: float = 20.0, extra: list[str] | None = None) -> Service:
    """A Daphne ``Service`` (not started yet) serving ``factory(exercise_dir)`` on ``host:port``.

    ``env`` is added to this process's environment (a lesson's settings read e.g. a Redis URL
    from it); ``timeout`` bounds the start-up (a check passes ``ctx.timeout(...)``); ``log_path``
    keeps the log in a file of the caller's (default: a temporary file); ``extra`` adds options
    of ``workshop.asgi_server`` (``["--ping-interval", "1"]``).
    """
    argv = asgi_server.argv(Path(lesson_dir).resolve(), Path(exercise_dir).resolve(), settings, factory, port, host,
                            access_log=access_log, extra=extra)
    merged = {**os.environ, "PYTHONUNBUFFERED": "1", **(env or {})}
    return Service(name, argv, port, host=host, env=merged, cwd=str(Path(lesson_dir).resolve()),
                   log_path=log_path, ready_timeout=timeout, ready_line=re.escape(asgi_server.READY_LINE))


def start(services: list[Service], timeout: float | None = None) -> dict[str, Service]:
    """Start ``services`` side by side; ``{name: service}`` once every one is ready.

    If one cannot start, all are stopped and ``RuntimeError`` says which and shows its log.
    ``timeout`` (optional) replaces each service's own start-up limit.
    """
    if timeout is not None:
        for each in services:
            each.ready_timeout = timeout
    start_all(services)
    return {each.name: each for each in services}


def log(server: Service, lines: int = 60) -> str:
    """The last ``lines`` lines ``server`` printed (stdout and stderr), '' before it starts."""
    return server.log_tail(lines)


def follow(services, out=None, stop: threading.Event | None = None, interval: float = 0.2) -> threading.Thread:
    """Copy what ``services`` log to ``out`` (default stdout) as they log it, on a daemon thread.

    For demos, whose learners read Daphne's log in their terminal. With several services each
    line is prefixed by the service's name. Ends when ``stop`` is set.
    """
    out = out or sys.stdout
    services = list(services)
    stop = stop or threading.Event()
    prefix = len(services) > 1

    def copy() -> None:
        offsets = {id(each): 0 for each in services}
        while True:
            for each in services:
                path = each.log_path
                if path is None or not Path(path).exists():
                    continue
                with open(path, "rb") as handle:
                    handle.seek(offsets[id(each)])
                    chunk = handle.read()
                cut = chunk.rfind(b"\n") + 1  # whole lines only
                offsets[id(each)] += cut
                for line in chunk[:cut].decode(errors="replace").splitlines():
                    out.write(f"[{each.name}] {line}\n" if prefix else f"{line}\n")
                out.flush()
            if stop.is_set():
                return
            time.sleep(interval)

    thread = threading.Thread(target=copy, name="daphne-log", daemon=True)
    thread.start()
    return thread
