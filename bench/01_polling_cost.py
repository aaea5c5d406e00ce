"""What polling costs, measured: ``python bench/01_polling_cost.py [--duration S]``.

Prints requests per delivered message and delivery latency for short polling at several
intervals and for long polling, with messages arriving every 0.5 s, and the server threads
held by waiting long-poll requests. Lesson 01 quotes these numbers. Nothing is asserted.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT / "lessons" / "01-http-polling"), str(ROOT)]

from board import measure  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--duration", type=float, default=10.0, help="seconds of messages per experiment")
    parser.add_argument("--clients", type=int, default=10)
    parser.add_argument("--exercise-dir", type=Path, default=None,
                        help="whose polling.py serves the board (default: the reference solution)")
    args = parser.parse_args()
    measure.board_server(args.exercise_dir)
    rows = [measure.run("short", interval=i, duration=args.duration, clients=args.clients) for i in (0.1, 0.5, 2.0)]
    rows.append(measure.run("long", duration=args.duration, clients=args.clients))
    print(f"{args.clients} clients, one message every 0.5 s for {args.duration:g} s\n")
    print(measure.table(rows))
    print()
    print(measure.table([measure.threads_held(n) for n in (10, 50, 100)]))


if __name__ == "__main__":
    main()
