"""Run lesson 03's server: the chat page at /, WebSockets at /echo and /chat.

    python -m checker serve 03                      # your exercise
    python -m checker serve 03 --target solutions   # the reference solution
    python lessons/03-websocket-handshake/demo.py --exercise-dir exercises/03-websocket-handshake --port 8000

Open the printed URL in two browser tabs and chat. Ctrl-C stops the server (exit code 0),
after sending every connected client a Close 1001 (going away).
"""

from __future__ import annotations

import logging
import sys
from pathlib import Path

LESSON_DIR = Path(__file__).resolve().parent
REPO_ROOT = LESSON_DIR.parent.parent
if str(REPO_ROOT) not in sys.path:
    sys.path.insert(0, str(REPO_ROOT))
if str(LESSON_DIR) not in sys.path:
    sys.path.insert(0, str(LESSON_DIR))

from launch import launch  # noqa: E402 - this lesson's launcher, next to this file
from workshop import demo, learner, paths  # noqa: E402
from workshop.launch import Ports, supervise  # noqa: E402

SLUG = LESSON_DIR.name
FILES = ("handshake", "frames", "connection")
EXIT_LEARNER_CODE = 2


def main(argv: list[str] | None = None) -> int:
    parser = demo.argument_parser(LESSON_DIR, __doc__.splitlines()[0], "handshake.py, frames.py, connection.py")
    parser.set_defaults(exercise_dir=paths.learner_exercise_dir(SLUG))
    args = parser.parse_args(argv)
    exercise_dir = args.exercise_dir.resolve()
    problem = demo.cannot_start(args.host, [args.port], exercise_dir, FILES, "lesson 03's server")
    if problem is not None:
        return problem
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(message)s", datefmt="%H:%M:%S")
    learner.activate(LESSON_DIR, exercise_dir)
    try:  # a learner's syntax error is a message with the file and line, not a traceback
        for name in FILES:
            learner.import_learner(name, exercise_dir)
    except learner.LearnerCodeError as exc:
        print(exc, file=sys.stderr)
        return EXIT_LEARNER_CODE
    site = launch(exercise_dir, Ports(args.host, http=args.port))
    banner = (f"Lesson 03 server (code from {paths.relative(exercise_dir)}) at {site.url('http')}/\n"
              "  open it in two tabs to chat; WebSockets: /echo and /chat. Ctrl-C to stop.")
    return supervise(site, banner)


if __name__ == "__main__":
    sys.exit(main())
