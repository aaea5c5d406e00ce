"""Run lesson 01's message board with the learner's code: ``python -m checker serve 01``.

Direct use: ``python lessons/01-http-polling/demo.py [--exercise-dir DIR] [--port P]``.
"""

import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path[:0] = [str(HERE), str(HERE.parent.parent)]  # the lesson (board, launch) and the repository (workshop)

from launch import launch  # noqa: E402
from workshop.wsgi_launch import demo_main  # noqa: E402


def banner(url: str) -> str:
    return (f"Message board (lesson 01) on {url}\n"
            f"  short polling: {url}?mode=poll&interval=1000\n"
            f"  long polling:  {url}?mode=long\n"
            "Open it in two tabs and post messages. After editing polling.py, stop (Ctrl-C) and start again;\n"
            "after editing poll_client.js, just reload the page.")


if __name__ == "__main__":
    sys.exit(demo_main(HERE, launch, ["polling"], "polling.py and poll_client.js", banner, __doc__))
