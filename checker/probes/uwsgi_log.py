"""Reading what uWSGI's log gained: the learner's failures and the room's reported state.

Lesson 04's ``uwsgi_app.py`` writes two kinds of lines into uWSGI's log (the ``Service``'s log
file): ``[workshop] ...`` when the learner's code failed inside uWSGI (the checker quotes them),
and ``[workshop:room] joined members=N ...`` each time a connection's ``chat()`` takes its place
in the room (the checker waits for them before it sends to a new member).

    log = UwsgiLog(site.services["uwsgi"].log_path)    # only what is written from now on
    await log.wait_for_joins(2, timeout=3)              # two members hold a cursor
    log.problems(settle=0.05)                          # ["echo() raised ...", ...]
"""

from __future__ import annotations

import asyncio
import re
import time
from pathlib import Path

from checker.pipeline import CheckFailed

PROBLEM = "[workshop]"
JOINED = re.compile(r"^\[workshop:room\] joined members=(\d+)", re.MULTILINE)


class UwsgiLog:
    """The part of a uWSGI log file written after this object was made."""

    def __init__(self, path: Path):
        self.path = Path(path)
        self.start = self.path.stat().st_size if self.path.exists() else 0

    def text(self) -> str:
        with open(self.path, "rb") as log:
            log.seek(self.start)
            return log.read().decode("utf-8", "replace")

    def joins(self) -> int:
        """How many connections joined the room since this object was made."""
        return len(JOINED.findall(self.text()))

    async def wait_for_joins(self, count: int, *, timeout: float) -> bool:
        """Wait until ``count`` members joined (``True``), or ``timeout`` seconds passed (``False``)."""
        end = time.monotonic() + timeout
        while self.joins() < count:
            if time.monotonic() >= end:
                return False
            await asyncio.sleep(0.01)
        return True

    def problems(self, *, settle: float = 0.0, limit: int = 6) -> list[str]:
        """The distinct ``[workshop]`` lines; ``settle`` seconds first lets uWSGI finish writing."""
        if settle:
            time.sleep(settle)
        found: list[str] = []
        for line in self.text().splitlines():
            if line.startswith(PROBLEM + " "):
                line = line[len(PROBLEM):].strip()
                if line and line not in found:
                    found.append(line)
        return found[:limit]

    def raise_problems(self, during: str, about: str = "", *, settle: float = 0.0) -> None:
        """``CheckFailed`` quoting the learner's failures (those mentioning ``about`` if any do)."""
        problems = self.problems(settle=settle)
        if about and any(about in line for line in problems):
            problems = [line for line in problems if about in line]  # the page opens /echo and /chat
        if problems:
            raise CheckFailed(f"While {during}, your code failed inside uWSGI:\n    " + "\n    ".join(problems))
