"""The command line every ``lessons/NN-slug/demo.py`` shares.

``python -m checker serve NN`` runs ``demo.py --exercise-dir DIR --host 127.0.0.1 --port P``;
run directly, a demo defaults to the learner's own exercise folder on 127.0.0.1:8000.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from . import net

DEFAULT_PORT = 8000
EXIT_PORT_BUSY = 3


def argument_parser(lesson_dir: Path, description: str, files: str = "") -> argparse.ArgumentParser:
    lesson_dir = Path(lesson_dir)
    parser = argparse.ArgumentParser(description=description)
    parser.add_argument("--exercise-dir", type=Path, default=lesson_dir.parent.parent / "exercises" / lesson_dir.name,
                        help=f"folder with {files or 'the learner files'} (default: your exercise)")
    parser.add_argument("--host", default=net.LOOPBACK, help="address to listen on (default 127.0.0.1)")
    parser.add_argument("--port", type=int, default=DEFAULT_PORT, help=f"port to listen on (default {DEFAULT_PORT})")
    return parser

EXIT_START_FAILED = 1


def cannot_start(host: str, ports, exercise_dir: Path, modules, what: str) -> int | None:
    """The exit code when a demo cannot start (a busy port, a missing learner file), after saying why;
    ``None`` when it can."""
    import sys

    for port in ports:
        if not net.port_is_free(port, host):
            print(net.busy_port_message(port, host), file=sys.stderr)
            return EXIT_PORT_BUSY
    for name in modules:
        path = Path(exercise_dir) / f"{name}.py"
        if not path.exists():
            print(f"Cannot start {what}: {path} is missing.", file=sys.stderr)
            return EXIT_START_FAILED
    return None


def stop_on_signals() -> None:
    """Ctrl-C and SIGTERM both raise KeyboardInterrupt, so one ``finally:`` stops everything.

    SIGINT is set explicitly: a shell that starts a program in the background makes it ignore SIGINT.
    """
    import signal

    signal.signal(signal.SIGINT, signal.default_int_handler)
    signal.signal(signal.SIGTERM, signal.default_int_handler)
