"""Run one exercise's checks in a subprocess, with a time limit per check, and survive anything.

A learner's code may loop forever, call ``sys.exit()``, crash the interpreter or hold a port.
The worker runs in a session of its own; we read its progress events from a pipe and, when a
check outlives its time limit or the worker dies, we kill the worker's whole process tree,
record what happened in words a learner can act on, and start a fresh worker for the checks
that are left.
"""

from __future__ import annotations

import json
import os
import select
import subprocess
import sys
import tempfile
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from checker.catalog import Exercise
from workshop import paths, procs

LOAD_TIMEOUT = float(os.environ.get("CHECKER_LOAD_TIMEOUT", "20"))  # worker start-up + importing the learner's files
# Multiplies every check's time limit: slower laptops may want 2; the project's tests use less to stay quick.
TIMEOUT_SCALE = float(os.environ.get("CHECKER_TIMEOUT_SCALE", "1"))
EXIT_GRACE = 5.0  # after "done", time for the worker to close its servers and browser

_live: set[subprocess.Popen] = set()
_live_lock = threading.Lock()
_stopping = threading.Event()


def stop_all() -> None:
    """Kill every worker still running (Ctrl-C); safe to call from any thread."""
    _stopping.set()
    with _live_lock:
        running = list(_live)
    for proc in running:
        procs.kill_tree(proc)


class _Worker:
    def __init__(self, exercise: Exercise, target: Path, checks: list[str]):
        read_fd, write_fd = os.pipe()
        self.read_fd = read_fd
        self.log = tempfile.TemporaryFile()
        spec = {"exercise": exercise.id, "target": str(target), "checks": checks, "fd": write_fd}
        env = {**os.environ, "PYTHONUNBUFFERED": "1", "PYTHONDONTWRITEBYTECODE": "1"}
        env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(paths.REPO_ROOT), env.get("PYTHONPATH")]))
        with _live_lock:
            if _stopping.is_set():
                raise KeyboardInterrupt
            self.proc = procs.spawn([sys.executable, "-m", "checker.worker", json.dumps(spec)],
                                    stdin=subprocess.DEVNULL, stdout=self.log, stderr=subprocess.STDOUT,
                                    pass_fds=(write_fd,), cwd=str(paths.REPO_ROOT), env=env)
            _live.add(self.proc)
        os.close(write_fd)
        self._buffer = b""

    def next_event(self, deadline: float) -> dict | None | str:
        """The next event; ``"timeout"`` when the deadline passes; ``None`` at end of stream."""
        while b"\n" not in self._buffer:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                return "timeout"
            ready, _, _ = select.select([self.read_fd], [], [], remaining)
            if not ready:
                return "timeout"
            chunk = os.read(self.read_fd, 65536)
            if not chunk:
                return None
            self._buffer += chunk
        line, self._buffer = self._buffer.split(b"\n", 1)
        return json.loads(line)

    def output_tail(self, lines: int = 12) -> str:
        self.log.seek(0)
        text = self.log.read().decode("utf-8", "replace").strip().splitlines()
        return "\n".join(text[-lines:])

    def finish(self, graceful: bool) -> int | None:
        if graceful:
            try:
                self.proc.wait(timeout=EXIT_GRACE)
            except subprocess.TimeoutExpired:
                pass
        code = procs.kill_tree(self.proc)
        with _live_lock:
            _live.discard(self.proc)
        os.close(self.read_fd)
        self.log.close()
        return code


def _check_result(exercise: Exercise, name: str, status: str, message: str, seconds: float | None = None) -> dict:
    check = exercise.check(name)
    return {"name": name, "title": check.title, "status": status, "points": check.points,
            "score": check.points if status == "pass" else 0, "message": message,
            "hint": check.hint if status in ("fail", "error", "timeout") else "", "seconds": seconds}


def _with_output(message: str, worker: _Worker) -> str:
    tail = worker.output_tail()
    return f"{message}\nLast output:\n{tail}" if tail else message


def _grade_checks(exercise: Exercise, target: Path, names: list[str]) -> dict[str, dict]:
    """Run the checks ``names`` (in order) in as many workers as it takes; results by name."""
    pending = list(names)
    results: dict[str, dict] = {}
    while pending:
        worker = _Worker(exercise, target, pending)
        current: str | None = None
        step = "starting the grading process"
        deadline = time.monotonic() + LOAD_TIMEOUT
        graceful = False
        try:
            while True:
                event = worker.next_event(deadline)
                if event == "timeout":
                    if current is None:
                        message = (f"{step} did not finish within {LOAD_TIMEOUT:g} s. Is there an infinite loop "
                                   "or a blocking call at the top level of the file?")
                        for name in pending:
                            results[name] = _check_result(exercise, name, "timeout", message)
                        pending = []
                    else:
                        limit = exercise.check(current).timeout * TIMEOUT_SCALE
                        message = f"did not finish within {limit:g} s; the last step was: {step}"
                        results[current] = _check_result(exercise, current, "timeout", message)
                        pending.remove(current)
                    break
                if event is None:  # the worker died
                    code = worker.proc.poll()
                    if code is None:
                        try:
                            code = worker.proc.wait(timeout=2)
                        except subprocess.TimeoutExpired:
                            code = "unknown"
                    died = f"the grading process exited unexpectedly (exit code {code}) while {step}."
                    died += " Does your code call os._exit() or crash the interpreter?"
                    if current is None:
                        for name in pending:
                            results[name] = _check_result(exercise, name, "error", _with_output(died, worker))
                        pending = []
                    else:
                        results[current] = _check_result(exercise, current, "error", _with_output(died, worker))
                        pending.remove(current)
                    break
                kind = event["event"]
                if kind == "step":
                    step = event["text"]
                elif kind == "start":
                    current = event["check"]
                    step = f"starting check {current}"
                    deadline = time.monotonic() + exercise.check(current).timeout * TIMEOUT_SCALE
                elif kind == "result":
                    results[current] = _check_result(exercise, current, event["status"], event["message"],
                                                     event.get("seconds"))
                    pending.remove(current)
                    current = None
                    step = "between checks"
                    deadline = time.monotonic() + LOAD_TIMEOUT
                elif kind == "load_failed":
                    for name in pending:
                        results[name] = _check_result(exercise, name, event["status"], event["message"])
                    pending = []
                    graceful = True
                    break
                elif kind == "done":
                    graceful = True
                    break
        finally:
            worker.finish(graceful)
        if _stopping.is_set():
            raise KeyboardInterrupt
    return results


def grade(exercise: Exercise, target: Path, split: bool = True) -> dict:
    """Grade ``exercise`` in ``target``; never raises for anything the learner's code does.

    Each group of checks (catalog key ``group``; by default the browser checks and the others)
    runs in a worker of its own, side by side: Chromium starts while the plain checks run, and
    checks that mostly wait overlap, which keeps a learner's feedback loop short. (So checks
    must not depend on one another; each sets up the state it needs.)
    """
    started = time.monotonic()
    by_group: dict[str, list[str]] = {}
    for check in exercise.checks:
        by_group.setdefault(check.group if split else "all", []).append(check.name)
    groups = list(by_group.values())
    results: dict[str, dict] = {}
    if len(groups) == 1:
        results = _grade_checks(exercise, target, groups[0])
    else:
        with ThreadPoolExecutor(max_workers=len(groups)) as pool:
            for part in pool.map(lambda names: _grade_checks(exercise, target, names), groups):
                results.update(part)
    checks = [results[check.name] for check in exercise.checks]
    statuses = {c["status"] for c in checks}
    status = next((s for s in ("error", "timeout", "fail") if s in statuses), "pass")
    return {"id": exercise.id, "slug": exercise.slug, "title": exercise.title, "status": status,
            "score": sum(c["score"] for c in checks), "max_score": exercise.max_score,
            "seconds": round(time.monotonic() - started, 2), "checks": checks}


def grade_many(exercises: list[Exercise], target: Path, jobs: int | None = None, on_result=None) -> list[dict]:
    """Grade several exercises in parallel; ``on_result(result)`` is called in catalog order."""
    # Checks spend much of their time waiting on sockets and timers: one more job than cores pays off.
    jobs = max(1, jobs or min(len(exercises), (os.cpu_count() or 2) + 1))
    with ThreadPoolExecutor(max_workers=jobs) as pool:
        # Grading several exercises already keeps every core busy: one worker each then costs less
        # than the start-up of a worker per group.
        split = len(exercises) == 1
        futures = [pool.submit(grade, exercise, target, split) for exercise in exercises]
        results = []
        try:
            for future in futures:
                while True:
                    try:
                        result = future.result(timeout=0.2)  # short waits keep Ctrl-C responsive
                        break
                    except TimeoutError:
                        continue
                results.append(result)
                if on_result is not None:
                    on_result(result)
        except BaseException:
            stop_all()
            for future in futures:
                future.cancel()
            raise
    return results
