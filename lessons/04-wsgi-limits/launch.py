"""Lesson 04's servers, started once for the demo, the checks and the benchmark::

    with launch(exercise_dir, Ports(http=8000, uwsgi=8001)) as site:
        site.url("http")                  # the fixed-pool WSGI server (4 worker threads), in this process
        site.extras["pool"].server.log    # its log of requests (accepted, started, finished)
        site.url("uwsgi")                 # uWSGI running the learner's uwsgi_ws.py (/echo, /chat)
        site.services["uwsgi"].log_path   # uWSGI's log: "[workshop]" lines name the learner's bugs

It starts the servers whose ports it is given: ``Ports(http=0)`` only the pool (the ``probe``
check), ``Ports(uwsgi=0)`` only uWSGI (the WebSocket checks, one per thread count), and
``Ports(front=0, held=0)`` the offloading pair (``redis_url=`` required): Django in
``front_processes`` workers on ``front``, handing marked requests to the gevent instance on
``held`` (ready when both ports accept connections; the held one starts first). uWSGI is
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

PORTS = ("http", "uwsgi", "front", "held")


class UwsgiMissing(RuntimeError):
    """uWSGI is not installed; ``str()`` is the install advice."""


def launch(exercise_dir: Path, ports: Ports, *, threads: int = 8, async_cores: int = 0,
           workers: int = DEFAULT_WORKERS, access_log: bool = False, require_uwsgi: bool = True,
           ready_timeout: float = 10.0, redis_url: str | None = None, front_processes: int = 4) -> Launch:
    """The pool on ``ports["http"]`` and uWSGI (1 process, ``threads`` threads) on ``ports["uwsgi"]``."""
    exercise_dir = Path(exercise_dir).resolve()

    def start(site: Launch) -> None:
        uwsgi_url = None
        if "front" in ports:
            try:
                _offloading(site, exercise_dir, ports, redis_url, front_processes, access_log, ready_timeout)
            except UwsgiMissing as missing:
                if require_uwsgi:
                    raise
                site.extras["offload_problem"] = str(missing)
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


def _offloading(site: Launch, exercise_dir: Path, ports: Ports, redis_url: str | None, processes: int,
                access_log: bool, ready_timeout: float) -> None:
    """The held instance (gevent) on ``ports["held"]``, then the Django front on ``ports["front"]``."""
    if not redis_url:
        raise ValueError("the offloading pair needs redis_url= (workshop.redis_server.RedisServer)")
    binary = uwsgi_runner.find_uwsgi()
    if binary is None:
        raise UwsgiMissing(uwsgi_runner.INSTALL_HINT)
    problem = uwsgi_runner.routing_problem(binary)
    if problem:
        raise UwsgiMissing(problem)
    env, quiet = uwsgi_runner.environment(), not access_log
    held = uwsgi_runner.held_command(binary, ports["held"], exercise_dir, redis_url, host=ports.host, quiet=quiet)
    site.add(Service("held", held, ports["held"], host=ports.host, env=env, ready_timeout=ready_timeout)).start()
    front = uwsgi_runner.front_command(binary, ports["front"], ports["held"], exercise_dir, redis_url,
                                       host=ports.host, processes=processes, quiet=quiet)
    site.add(Service("front", front, ports["front"], host=ports.host, env=env, ready_timeout=ready_timeout)).start()
