"""Lesson 01's launcher: the message board, on the one port it is given.

The demo (``demo.py``), the checks (``checker/checks/ex01_http_polling``) and the benchmark
(``bench/01_polling_cost.py``) all start the board here, so all three run the same server:
Django's threaded WSGI server in this process, one thread per request. A waiting long poll
holds one of those threads, which is the cost lesson 01 measures.
"""

from __future__ import annotations

from pathlib import Path

from workshop import wsgi_launch
from workshop.launch import Launch, Ports

LESSON_DIR = Path(__file__).resolve().parent


def launch(exercise_dir: Path, ports: Ports, **options) -> Launch:
    """The board serving the code in ``exercise_dir`` on ``ports["http"]``.

    Options: ``access_log`` (print one line per request, for the demo) and ``ready_timeout``.
    """
    return wsgi_launch.in_process(LESSON_DIR, "board.wsgi", exercise_dir, ports, ["polling"], **options)
