"""Lesson 03's launcher: the asyncio WebSocket server (``ws_server.py``) driving the learner's code.

One server, in a thread of the calling process, on the port named ``http`` (the chat page at
``/``, WebSockets at ``/echo`` and ``/chat``). It is *ready when* its listening socket is open.
``demo.py``, the checks and ``bench/03_ws_frames.py`` all start it here::

    with launch(exercise_dir, Ports(http=8000)) as site:
        site.extras["server"].ws_url("/echo")     # ws://127.0.0.1:8000/echo
        site.extras["server"].errors              # exceptions raised by the learner's code

The server runs in-process (not a subprocess) so that the checks can see the learner's
exceptions with their tracebacks, and report the learner's line.
"""

from __future__ import annotations

from pathlib import Path

from workshop import learner
from workshop.launch import Launch, Ports

LESSON_DIR = Path(__file__).resolve().parent
PORTS = ("http",)


def launch(exercise_dir: Path, ports: Ports, *, max_message_size: int = 1 << 20, limits: dict | None = None,
           ready_timeout: float = 10.0) -> Launch:
    """The lesson's server for the code in ``exercise_dir``, on ``ports["http"]``.

    ``limits`` overrides fields of ``ws_limits.Limits`` (timeouts, caps, buffer sizes), e.g.
    ``{"idle_timeout": 1.0}``: the attack tests shrink them to run in seconds.
    """

    def start(site: Launch) -> None:
        learner.activate(LESSON_DIR, exercise_dir)  # ws_server and ws_common, then the learner's modules
        handshake = learner.import_learner("handshake", exercise_dir)
        connection = learner.import_learner("connection", exercise_dir)
        from ws_limits import Limits
        from ws_server import ServerThread

        server = site.add(ServerThread(handshake, connection, host=ports.host, port=ports["http"],
                                       max_message_size=max_message_size, limits=Limits(**(limits or {}))), "http")
        server.start(ready_timeout)
        site.extras["server"] = server

    return Launch(ports, start)
