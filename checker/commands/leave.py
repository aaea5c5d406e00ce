"""``python -m checker leave``: stop sharing gradings with the live room."""

from __future__ import annotations

import argparse

from checker.live import reporter


def run(argv: list[str]) -> int:
    argparse.ArgumentParser(prog="python -m checker leave",
                            description="Stop sharing your gradings with the live room.").parse_args(argv)
    if reporter.leave():
        print("Left the live room: nothing more is sent, and the statuses waiting to be sent were deleted.")
    else:
        print("You had not joined a live room: nothing is shared.")
    return 0
