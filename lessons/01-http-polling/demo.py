"""Run lesson 01's message board with the learner's code: ``python -m checker serve 01``.

Direct use: ``python lessons/01-http-polling/demo.py --exercise-dir exercises/01-http-polling``.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path[:0] = [str(HERE), str(HERE.parent.parent)]  # the lesson (board) and the repository (workshop)

from workshop import django_support, learner  # noqa: E402


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--exercise-dir", type=Path, default=HERE.parent.parent / "exercises" / HERE.name)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8000)
    args = parser.parse_args()
    from board.wsgi import application_for

    app = application_for(args.exercise_dir)
    try:
        learner.import_learner("polling", args.exercise_dir)
    except learner.LearnerCodeError as err:
        print(f"Cannot start the board: {err}", file=sys.stderr)
        return 1
    url = f"http://{args.host}:{args.port}/"
    banner = (f"Message board (lesson 01) on {url}\n"
              f"  short polling: {url}?mode=poll&interval=1000\n"
              f"  long polling:  {url}?mode=long\n"
              "Open it in two tabs and post messages. After editing polling.py, stop (Ctrl-C) and start again;\n"
              "after editing poll_client.js, just reload the page.")
    return django_support.serve_forever(app, args.host, args.port, banner)


if __name__ == "__main__":
    sys.exit(main())
