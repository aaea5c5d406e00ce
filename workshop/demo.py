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
