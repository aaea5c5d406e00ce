"""Run a Channels lesson's ASGI application on Daphne, handed its exercise folder explicitly.

Daphne's own command line imports an application by name, which leaves no way to say *whose*
code to run except the environment. This entry point takes the folder on its command line,
builds the application with the lesson's factory and serves it with Daphne's ``Server``::

    python -m workshop.asgi_server --lesson-dir lessons/06-django-channels \\
        --exercise-dir exercises/06-django-channels --settings chatsite.settings \\
        --factory chatsite.asgi:application_for --port 8000

It prints ``Listening on http://HOST:PORT/`` once the socket accepts connections (the ready-when
line of ``workshop.launch.Service``). Access lines go to stdout unless ``--quiet``.
"""

from __future__ import annotations

import argparse
import importlib
import logging
import os
import sys
from pathlib import Path

READY_LINE = "Listening on http://"

# Safe to import before a fork (workshop.server_forks): no thread, socket, event loop or reactor at
# import. ``daphne.server`` is not among them: importing it installs Twisted's asyncio reactor.
WARM_IMPORTS = ("django", "django.core.handlers.asgi", "django.contrib.auth", "django.contrib.sessions",
                "channels", "channels.auth", "channels.sessions", "channels.routing", "channels.layers",
                "channels.generic.websocket", "channels_redis.core", "redis", "twisted.web.http",
                "autobahn.twisted.websocket", "daphne.http_protocol", "daphne.ws_protocol", "daphne.access",
                "daphne.endpoints")


def argv(lesson_dir: Path, exercise_dir: Path, settings: str, factory: str, port: int, host: str = "127.0.0.1",
         *, access_log: bool = True, extra: list[str] | None = None) -> list[str]:
    """The command line that serves ``factory(exercise_dir)`` on Daphne (this interpreter, ``-P``)."""
    line = [sys.executable, "-P", "-m", "workshop.asgi_server", "--lesson-dir", str(lesson_dir),
            "--exercise-dir", str(exercise_dir), "--settings", settings, "--factory", factory,
            "--host", host, "--port", str(port)]
    return line + ([] if access_log else ["--quiet"]) + list(extra or [])


def application_parser(doc: str) -> argparse.ArgumentParser:
    """The options every entry point serving a lesson's application takes (this one, ``channels_worker``)."""
    parser = argparse.ArgumentParser(description=doc, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--lesson-dir", type=Path, required=True)
    parser.add_argument("--exercise-dir", type=Path, required=True)
    parser.add_argument("--settings", required=True, help="Django settings module, e.g. chatsite.settings")
    parser.add_argument("--factory", required=True, help="module:function building the ASGI app from a folder")
    return parser


def prepare(options, *, quiet: bool = False) -> None:
    """Put the repository, the lesson and the learner's folder (first) on ``sys.path``, name the
    settings, and log to stdout line by line (the log is a file the launcher reads)."""
    repo_root = Path(__file__).resolve().parent.parent
    for folder in (repo_root, options.lesson_dir.resolve(), options.exercise_dir.resolve()):
        sys.path.insert(0, str(folder))  # the learner's folder ends up first
    os.environ["DJANGO_SETTINGS_MODULE"] = options.settings
    sys.stdout.reconfigure(line_buffering=True)  # the log is a file: each access line as it happens
    logging.basicConfig(level=logging.WARNING if quiet else logging.INFO,
                        format="%(asctime)s %(levelname)s %(message)s")  # tracebacks from the app, as daphne's CLI


def build_application(options):
    """``factory(exercise_dir)``: the lesson's application for the learner's folder."""
    module_name, _, function = options.factory.partition(":")
    return getattr(importlib.import_module(module_name), function)(options.exercise_dir.resolve())


def main(args: list[str] | None = None) -> int:
    parser = application_parser(__doc__)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--quiet", action="store_true", help="no access log")
    # Daphne pings each quiet socket every ping-interval s (checked every 2 s) and drops one whose
    # pong has not come back within ping-timeout s; Daphne's defaults are 20 and 30.
    parser.add_argument("--ping-interval", type=float, default=20.0)
    parser.add_argument("--ping-timeout", type=float, default=30.0)
    options = parser.parse_args(args)
    prepare(options, quiet=options.quiet)
    # Twisted's reactor must be the asyncio one, installed before anything imports another reactor.
    from daphne.access import AccessLogGenerator
    from daphne.server import Server

    application = build_application(options)

    def ready() -> None:  # called once the socket is bound and listening, before the reactor runs
        print(f"{READY_LINE}{options.host}:{options.port}/", flush=True)

    server = Server(application=application, endpoints=[f"tcp:port={options.port}:interface={options.host}"],
                    action_logger=None if options.quiet else AccessLogGenerator(sys.stdout),
                    ready_callable=ready, verbosity=0 if options.quiet else 1,
                    ping_interval=options.ping_interval, ping_timeout=options.ping_timeout)
    server.run()
    return 1 if server.abort_start else 0  # abort_start: the port could not be listened on


if __name__ == "__main__":
    sys.exit(main())
