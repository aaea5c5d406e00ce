"""Lesson 04's servers, started once for the demo, the checks and the benchmark::

    with launch(exercise_dir, Ports(http=8000, uwsgi=8001)) as site:
        site.url("http")                  # the fixed-pool WSGI server (4 worker threads), in this process
        site.extras["pool"].server.log    # its log of requests (accepted, started, finished)
        site.url("uwsgi")                 # uWSGI running the learner's uwsgi_ws.py (/echo, /chat)
        site.services["uwsgi"].log_path   # uWSGI's log: "[workshop]" lines name the learner's bugs

It starts the servers whose ports it is given: ``Ports(http=0)`` only the pool (the ``probe``
check), ``Ports(uwsgi=0)`` only uWSGI (the WebSocket checks, one per thread count). uWSGI is
*ready when* its port accepts connections; it gets the exercise folder on its command line
(``--set exercise-dir=DIR``). Without uWSGI installed, ``require_uwsgi=False`` (the demo) starts
the pool alone and leaves the install advice in ``site.extras["uwsgi_problem"]``.
"""

from __future__ import annotations

import sys
from pathlib import Path

from workshop import net
from workshop.launch import Launch, Ports, Service

LESSON_DIR = Path(__file__).resolve().parent
if str(LESSON_DIR) not in sys.path:
    sys.path.insert(0, str(LESSON_DIR))

import uwsgi_runner  # noqa: E402
from pool_server import DEFAULT_WORKERS, BackgroundPool  # noqa: E402
from slowapp import make_app  # noqa: E402

PORTS = ("http", "uwsgi")


class UwsgiMissing(RuntimeError):
    """uWSGI is not installed; ``str()`` is the install advice."""


def launch(exercise_dir: Path, ports: Ports, *, threads: int = 8, async_cores: int = 0,
           workers: int = DEFAULT_WORKERS, access_log: bool = False, require_uwsgi: bool = True,
           ready_timeout: float = 10.0) -> Launch:
    """The pool on ``ports["http"]`` and uWSGI (1 process, ``threads`` threads) on ``ports["uwsgi"]``."""
    exercise_dir = Path(exercise_dir).resolve()

    def start(site: Launch) -> None:
        uwsgi_url = None
        if "uwsgi" in ports:
            binary = uwsgi_runner.find_uwsgi()
            if binary is None:
                if require_uwsgi:
                    raise UwsgiMissing(uwsgi_runner.INSTALL_HINT)
                site.extras["uwsgi_problem"] = uwsgi_runner.INSTALL_HINT
            else:
                argv = uwsgi_runner.command(binary, ports["uwsgi"], exercise_dir, host=ports.host, threads=threads,
                                            async_cores=async_cores, quiet=not access_log)
                site.add(Service("uwsgi", argv, ports["uwsgi"], host=ports.host, env=uwsgi_runner.environment(),
                                 ready_timeout=ready_timeout)).start()
                uwsgi_url = site.url("uwsgi") + "/"
        if "http" in ports:
            holder: dict = {}
            pool = site.enter(BackgroundPool(lambda environ, respond: holder["app"](environ, respond),
                                             workers=workers, host=ports.host, port=ports["http"],
                                             verbose=access_log))
            holder["app"] = make_app(pool=pool.server, uwsgi_url=uwsgi_url,
                                     uwsgi_problem=site.extras.get("uwsgi_problem"))
            site.extras["pool"] = pool
            if not net.wait_for_port(ports["http"], ports.host, timeout=ready_timeout):
                raise RuntimeError(f"the pool server on {ports.url('http')} did not accept connections")

    return Launch(ports, start)
