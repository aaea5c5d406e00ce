"""Catch a blocking call in the learner's async code while it stalls the sidecar's event loop (scaffolding).

One event loop runs every connection of the sidecar. A blocking call inside a coroutine
(``time.sleep``, a synchronous Redis client, ``requests.get``) stops *all* of them until it
returns, and nothing crashes: messages just arrive late, for everybody. So the sidecar watches
itself. A watchdog thread looks at the main thread every few milliseconds; when the main thread
is *asleep in the kernel* (not waiting for the GIL, not merely waiting for a CPU) while one of the
learner's frames is on its stack, the event loop cannot be running: a coroutine made a blocking
call. A span of at least ``threshold`` seconds on the same line is reported once per line::

    Lesson 05: blocked event loop: time.sleep(0.02) (sidecar.py, line 128, in dispatch) held
    the event loop for 21 ms: every connection of this sidecar waited meanwhile. ...

A correct sidecar never triggers it: while a coroutine awaits, its frame is not on the thread's
stack (the loop is in ``epoll``). Linux only (it reads ``/proc/self/task/<tid>/stat`` and
``wchan``); elsewhere it stays silent.
"""

from __future__ import annotations

import linecache
import sys
import threading
import time
from pathlib import Path

MARK = "Lesson 05: blocked event loop: "


class LoopWatch:
    def __init__(self, exercise_dir: Path, report=print, *, interval: float = 0.002, threshold: float = 0.01):
        self.root = str(Path(exercise_dir).resolve())
        self.report = report
        self.interval = interval
        self.threshold = threshold
        self.reported: set[tuple] = set()
        self._stop = threading.Event()
        main = threading.main_thread()
        self._ident = main.ident
        self._task = Path(f"/proc/self/task/{main.native_id}")

    def start(self) -> "LoopWatch":
        if self._task.exists():
            threading.Thread(target=self._run, name="loop-watch", daemon=True).start()
        return self

    def stop(self) -> None:
        self._stop.set()

    def _asleep(self) -> bool:
        """The main thread waits in the kernel for something other than the GIL (a futex)."""
        try:
            state = (self._task / "stat").read_text().rsplit(")", 1)[1].split()[0]
            wchan = (self._task / "wchan").read_text()
        except (OSError, IndexError):
            return False
        return state in ("S", "D") and "futex" not in wchan and wchan not in ("", "0")

    def _learner_line(self):
        frame = sys._current_frames().get(self._ident)
        while frame is not None:
            if frame.f_code.co_filename.startswith(self.root):
                return frame.f_code.co_filename, frame.f_lineno, frame.f_code.co_name
            frame = frame.f_back
        return None

    def _run(self) -> None:
        where, since = None, 0.0
        while not self._stop.wait(self.interval):
            now = time.monotonic()
            line = self._learner_line()
            if line is not None and not self._asleep():
                line = None
            if line != where:
                if where is not None:
                    self._finished(where, now - since)
                where, since = line, now

    def _finished(self, where: tuple, seconds: float) -> None:
        if seconds < self.threshold or where in self.reported:
            return
        self.reported.add(where)
        filename, lineno, function = where
        code = linecache.getline(filename, lineno).strip() or "a call"
        self.report(f"{MARK}{code} ({Path(filename).name}, line {lineno}, in {function}) held the event loop for "
                    f"{1000 * seconds:.0f} ms: every connection of this sidecar waited meanwhile. A coroutine must "
                    "never block: await asyncio.sleep(...) instead of time.sleep(...), redis.asyncio instead of redis, "
                    "or no waiting at all.")
