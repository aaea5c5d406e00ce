"""Launching a lesson's Django project in *this* process, on Django's threaded WSGI server.

Lessons 01 and 02 keep their state (the board, the feed) in memory, in the process that
serves it: the checks post messages and read counters straight from that memory, and the
notebook measures the same objects. So their launchers start no subprocess; they start
Django's own threaded server (one thread per request, like any WSGI server) on a daemon
thread, on the port they are given, and call it ready when the port accepts connections::

    def launch(exercise_dir, ports, **options):
        return wsgi_launch.in_process(LESSON_DIR, "board.wsgi", exercise_dir, ports, ["polling"], **options)

Django can be set up once per process, so a process serves one exercise folder.
"""

from __future__ import annotations

import importlib
import sys
from pathlib import Path

from . import learner, net
from .launch import Launch, Ports

READY_TIMEOUT = 10.0


def in_process(lesson_dir: Path, factory_module: str, exercise_dir: Path, ports: Ports, learner_modules=(), *,
               access_log: bool = False, ready_timeout: float = READY_TIMEOUT, on_stop=None) -> Launch:
    """A ``Launch`` serving ``factory_module.application_for(exercise_dir)`` on ``ports["http"]``.

    ``learner_modules`` are imported at start, so a demo with a broken file says so at once
    (as a ``RuntimeError`` whose text is the learner's message). ``on_stop`` runs before the
    server shuts down: a lesson uses it to end its long-lived responses.
    """

    def start(site: Launch) -> None:
        from .django_support import BackgroundServer

        if str(lesson_dir) not in sys.path:
            sys.path.insert(0, str(lesson_dir))
        application = importlib.import_module(factory_module).application_for(Path(exercise_dir))
        for name in learner_modules:
            try:
                learner.import_learner(name, Path(exercise_dir))
            except learner.LearnerCodeError as err:
                raise RuntimeError(str(err)) from None
        server = site.enter(BackgroundServer(application, ports.host, ports["http"], quiet=not access_log))
        site.services["http"] = server
        if on_stop is not None:
            site.callback(on_stop)  # runs first: the stack unwinds in reverse
        if not net.wait_for_port(ports["http"], ports.host, timeout=ready_timeout):
            raise RuntimeError(f"the server on {ports.url('http')} did not accept connections "
                               f"within {ready_timeout:g} s")

    return Launch(ports, start)


def demo_main(lesson_dir: Path, launch, learner_modules: list[str], files: str, banner, description: str) -> int:
    """The body of such a lesson's ``demo.py``: options, start-up checks, ``supervise``.

    ``--exercise-dir`` defaults to the learner's own folder; ``--port`` is the board's one port.
    ``banner(url)`` is printed once the server accepts connections.
    """
    from . import demo, paths
    from .launch import supervise

    parser = demo.argument_parser(lesson_dir, description, files)
    parser.set_defaults(exercise_dir=paths.learner_exercise_dir(Path(lesson_dir).name))
    args = parser.parse_args()
    problem = demo.cannot_start(args.host, [args.port], args.exercise_dir, learner_modules, "the demo")
    if problem is not None:
        return problem
    ports = Ports(args.host, http=args.port)
    return supervise(launch(args.exercise_dir, ports, access_log=True), banner(ports.url("http") + "/"))
