"""Lesson 06's launcher: the chat site on real Daphne, once for the demo, the checks and the benchmark.

``launch(exercise_dir, ports)`` starts one Daphne process on ``ports["http"]`` with the in-memory
channel layer. ``backends=2`` adds a second process on ``ports["second"]``; two processes only
share groups through Redis, so they need ``redis``: ``True`` starts a Redis server of the
launch's own, a URL uses that one. Every process serves the same exercise folder (given on its
command line) and shares one SQLite file (users, sessions, messages), so a cookie from one works
on the other::

    with launch(folder, Ports(http=8000, second=8001), redis=True, backends=2) as site:
        site.url("http"), site.url("second")
        site.services["http"]        # a workshop.launch.Service: .log_tail(), .proc
        site.extras["redis_url"]     # '' with the in-memory layer

The command each process runs is ``workshop.asgi_server`` (Daphne serving
``chatsite.asgi.application_for(exercise_dir)``); ``checker.probes.daphne`` starts them.
"""

from __future__ import annotations

import shutil
import tempfile
from pathlib import Path

from checker.probes import daphne
from workshop.launch import Launch, Ports

LESSON_DIR = Path(__file__).resolve().parent
SETTINGS = "chatsite.settings"
FACTORY = "chatsite.asgi:application_for"
PORT_NAMES = ("http", "second")  # the order of the record's ``ports``


def launch(exercise_dir: Path, ports: Ports, *, redis: bool | str = False, backends: int = 1,
           db_path: str | None = None, access_log: bool = True, timeout: float = 20.0) -> Launch:
    """The chat site (``backends`` Daphne processes) serving ``exercise_dir``; see the module docstring.

    ``db_path`` shares a database file with the caller (the checks create users in it); by
    default the launch makes one in a temporary folder, removed when it stops. ``timeout``
    bounds each process's start-up.
    """
    if backends not in (1, 2):
        raise ValueError("backends is 1 or 2")
    if backends == 2 and not redis:
        raise ValueError("two Daphne processes share groups only through Redis: pass redis=True or a URL")

    def start(site: Launch) -> None:
        folder = Path(tempfile.mkdtemp(prefix="workshop-06-"))
        site.callback(shutil.rmtree, folder, True)
        redis_url = ""
        if redis is True:
            from workshop.redis_server import RedisServer

            redis_url = site.enter(RedisServer()).url
        elif redis:
            redis_url = str(redis)
        site.extras.update(redis_url=redis_url, db_path=db_path or str(folder / "chat.sqlite3"), folder=folder)
        env = {"WORKSHOP_CHAT_DB": site.extras["db_path"], "WORKSHOP_REDIS_URL": redis_url}
        services = [site.add(daphne.service(name, ports[name], lesson_dir=LESSON_DIR, exercise_dir=exercise_dir,
                                            settings=SETTINGS, factory=FACTORY, env=env, host=ports.host,
                                            access_log=access_log, log_path=folder / f"{name}.log",
                                            timeout=timeout))
                    for name in PORT_NAMES[:backends]]
        daphne.start(services)

    return Launch(ports=ports, start=start)
