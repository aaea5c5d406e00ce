"""Run lesson 02's live feed with the learner's code: ``python -m checker serve 02``.

Direct use: ``python lessons/02-server-sent-events/demo.py [--exercise-dir DIR] [--port P]``.
"""

import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path[:0] = [str(HERE), str(HERE.parent.parent)]  # the lesson (feed, launch) and the repository (workshop)

from launch import launch  # noqa: E402
from workshop.wsgi_launch import demo_main  # noqa: E402


def banner(url: str) -> str:
    return (f"Live feed (lesson 02) on {url}\n"
            f"  short heartbeats and reconnections: {url}?heartbeat=2&lifetime=10&retry=500\n"
            f"  the raw stream:  curl -N {url}events?heartbeat=3\n"
            f"  post an event:   curl -d text=hello {url}api/events\n"
            "Open it in two tabs and post. After editing sse.py, stop (Ctrl-C) and start again.")


if __name__ == "__main__":
    sys.exit(demo_main(HERE, launch, ["sse"], "sse.py", banner, __doc__))
