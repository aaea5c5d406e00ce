"""Lesson 02's launcher: the live feed, on the one port it is given.

The demo (``demo.py``) and the checks (``checker/checks/ex02_server_sent_events``) start the
feed here: Django's threaded WSGI server in this process, one thread per open stream. Stopping closes the feed first, so every open stream ends and no
request thread outlives the server.
"""

from __future__ import annotations

from pathlib import Path

from workshop import wsgi_launch
from workshop.launch import Launch, Ports

LESSON_DIR = Path(__file__).resolve().parent


def _close_feed() -> None:
    from feed.store import feed

    feed.close()


def launch(exercise_dir: Path, ports: Ports, **options) -> Launch:
    """The feed serving the code in ``exercise_dir`` on ``ports["http"]``.

    Options: ``access_log`` (print one line per request, for the demo) and ``ready_timeout``.
    """
    return wsgi_launch.in_process(LESSON_DIR, "feed.wsgi", exercise_dir, ports, ["sse"], on_stop=_close_feed,
                                  **options)
