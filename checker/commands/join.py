"""``python -m checker join URL CODE``: share your gradings with the instructor's live room.

Opt-in and visible: nothing is sent before this command, ``join --status`` shows what is
shared and what waits to be sent, and ``python -m checker leave`` stops it.
"""

from __future__ import annotations

import argparse
import sys
import time

from checker import cli
from checker.live import reporter


def show_status() -> int:
    config = reporter.joined()
    if config is None:
        print("Not sharing: this laptop has not joined a live room (python -m checker join URL CODE).")
        return 0
    queue = reporter.queue_state()
    waiting = reporter.pending()
    print(f"Sharing with the live room at {config['url']} as {config['name']!r}.")
    print(f"Each grading sends: {reporter.SHARED}. Never your code, files or anything else.")
    if queue.get("last_delivery"):
        print(f"Last delivered: {time.strftime('%H:%M:%S', time.localtime(queue['last_delivery']))}.")
    if waiting:
        print(f"Waiting to be sent with the next grading: {', '.join(waiting)}.")
    if queue.get("last_problem"):
        print(f"Last problem: {queue['last_problem']}.")
    print("Stop sharing: python -m checker leave")
    return 0


def run(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="python -m checker join",
                                     description="Share your gradings with the instructor's live room.")
    parser.add_argument("url", nargs="?", help="the address the instructor shows, e.g. http://192.168.1.20:8700/")
    parser.add_argument("code", nargs="?", help="the join code the instructor shows")
    parser.add_argument("--name", help="your name as the instructor will see it")
    parser.add_argument("--status", action="store_true", help="show whether and what you share")
    args = parser.parse_args(argv)
    if args.status:
        return show_status()
    if not args.url or not args.code:
        raise cli.UsageError("join needs the URL and the code the instructor shows: "
                             "python -m checker join URL CODE --name 'Your Name'")
    name = args.name
    if not name and sys.stdin.isatty():
        name = input("Your name, as the instructor will see it: ")
    if not (name or "").strip():
        raise cli.UsageError("give your name: python -m checker join URL CODE --name 'Your Name'")
    try:
        config = reporter.join(args.url, args.code, name)
    except reporter.Refused as err:
        print(f"checker: the live room refused to let you join: {err}", file=sys.stderr)
        return 1
    except OSError as err:
        print(f"checker: cannot reach the live room at {reporter.normalise_url(args.url)} "
              f"({getattr(err, 'reason', err)}). Check the address with your instructor.", file=sys.stderr)
        return 1
    print(f"Joined the live room at {config['url']} as {config['name']!r}.")
    print(f"From now on each grading (python -m checker, watch, hint) also sends: {reporter.SHARED}.")
    print("Never your code, files or anything else. See: python -m checker join --status. "
          "Stop: python -m checker leave")
    return 0
