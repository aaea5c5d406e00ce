"""Run one exercise's checks in a subprocess, with a time limit per check, and survive anything.

A learner's code may loop forever, call ``sys.exit()``, crash the interpreter or hold a port.
The worker runs in a session of its own; we read its progress events from a pipe and, when a
check outlives its time limit or the worker dies, we kill the worker's whole process tree,
record what happened in words a learner can act on, and start a fresh worker for the checks
that are left.

Speed (``bench/results/checker_profile.md``): results are reported as soon as the worker says
``Done``, while it closes its servers in the background; and a grading that needs several worker
processes forks them from a zygote (``checker.zygote``) that imported everything once.
"""

from __future__ import annotations

import os
import select
import subprocess
import sys
import tempfile
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from checker import zygote
from checker.catalog import Lesson
from checker.pipeline import (CheckResult, Done, ExerciseResult, Finished, LoadFailed, Started, Status, Step,
                              WorkerSpec, decode, timeout_scale)
from checker.shared_browser import SHARED as SHARED_BROWSER
from workshop import learner, paths, procs

LOAD_TIMEOUT = float(os.environ.get("CHECKER_LOAD_TIMEOUT", "20"))  # process start-up + importing the learner's files
EXIT_GRACE = 5.0  # after "done", time for the worker to close its servers and browser
#: ``CHECKER_ZYGOTE=0``: no zygote of its own for a grading (to measure what it saves).
OWN_ZYGOTE = os.environ.get("CHECKER_ZYGOTE", "1") != "0"

_live: set[subprocess.Popen] = set()
_live_lock = threading.Lock()
_reapers: list[threading.Thread] = []
_stopping = threading.Event()


def stop_all() -> None:
    """Kill every worker still running (Ctrl-C); safe to call from any thread."""
    _stopping.set()
    with _live_lock:
        running = list(_live)
    for proc in running:
        procs.kill_tree(proc)
    SHARED_BROWSER.kill()


class GradingProcess:
    """One ``checker.worker`` subprocess and the pipe its events come on."""

    def __init__(self, lesson: Lesson, exercise_dir: Path, checks: list[str], wait_for_zygote: bool = True):
        read_fd, write_fd = os.pipe()
        self.read_fd = read_fd
        self.log = tempfile.TemporaryFile()
        spec = WorkerSpec(lesson=lesson.id, exercise_dir=exercise_dir, checks=tuple(checks),
                          timeout_scale=timeout_scale(), fd=write_fd, variant=lesson.variant,
                          browser=SHARED_BROWSER.url())
        env = procs.python_env()
        with _live_lock:
            if _stopping.is_set():
                raise KeyboardInterrupt
            self.proc = self._from_zygote(lesson, exercise_dir, spec, write_fd, wait_for_zygote)
            if self.proc is None:
                self.proc = procs.spawn([sys.executable, "-P", "-m", "checker.worker", spec.encode()],
                                        stdin=subprocess.DEVNULL, stdout=self.log, stderr=subprocess.STDOUT,
                                        pass_fds=(write_fd,), cwd=str(paths.REPO_ROOT), env=env)
            _live.add(self.proc)
        os.close(write_fd)
        if spec.browser and any(lesson.check(name).browser for name in checks):
            SHARED_BROWSER.start()  # while this process imports the learner's code and starts servers
        self._buffer = b""

    def _from_zygote(self, lesson: Lesson, exercise_dir: Path, spec: WorkerSpec, write_fd: int, wait: bool):
        """A grading forked by a zygote (imports already paid), or None to start a fresh Python.

        ``wait``: use a zygote that is still importing (it started earlier than we would).
        """
        warm = zygote.for_exercise(lesson.id, exercise_dir)
        if warm is None or not (warm.ready or wait):
            return None
        try:
            return warm.fork(spec.encode(), (write_fd, self.log.fileno()))
        except (OSError, RuntimeError):
            return None

    def next_event(self, deadline: float):
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
        return decode(line)

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

    def finish_later(self) -> None:
        """Let the worker close its servers and browser while the learner already reads the verdict.

        After ``Done`` every result is in; what is left (stopping Daphne, Redis, Chromium: up to a
        second) need not delay the report. A non-daemon thread waits for it, so the interpreter
        still waits for every worker before it exits, and ``stop_all`` still kills them (they stay
        in ``_live`` until reaped).
        """
        reaper = threading.Thread(target=self.finish, args=(True,), name=f"reap-{self.proc.pid}")
        with _live_lock:
            _reapers.append(reaper)
        reaper.start()


def wait_reaped(timeout: float | None = None) -> None:
    """Wait until every finished grading process has exited (see ``GradingProcess.finish_later``)."""
    end = None if timeout is None else time.monotonic() + timeout
    while True:
        with _live_lock:
            _reapers[:] = [t for t in _reapers if t.is_alive()]
            pending = list(_reapers)
        if not pending:
            return
        pending[0].join(None if end is None else max(0.0, end - time.monotonic()))
        if end is not None and time.monotonic() >= end:
            return


def _result(lesson: Lesson, name: str, status: Status, message: str, seconds: float | None = None) -> CheckResult:
    check = lesson.check(name)
    return CheckResult(name=name, title=check.title, status=status, points=check.points, message=message,
                       hint=check.hint if status.is_problem else "", seconds=seconds, ring=check.ring,
                       hint_rung=1 if status.is_problem and check.hint else 0)


def _unwritten(lesson: Lesson, exercise_dir: Path, checks) -> dict[str, CheckResult]:
    """The checks among ``checks`` whose first learner function (the record's ``needs``) is still a
    stub, failed from the source with the message the check itself would give.

    A learner's staged run uses it: a pristine ring gets its verdict without a grading process
    (no Python start-up, no Django or Channels import). When any file does not parse (or is
    missing), nothing is decided here: the grading process reports that first, once.
    """
    if not any(check.needs for check in checks):
        return {}
    stubs = {name: learner.stubs_in(exercise_dir / name) for name in lesson.graded_files if name.endswith(".py")}
    if any(found is None for found in stubs.values()):
        return {}  # a file that does not parse (or is missing): the grading process reports it, once
    failed = {}
    for check in checks:
        for need in check.needs:
            filename, function = need.split(":", 1)
            if filename not in stubs:
                continue  # another variant's file (05's sidecar.py for a Node.js learner)
            if function in stubs[filename]:
                message = learner.unwritten_message(function.rsplit(".", 1)[-1], exercise_dir / filename)
                failed[check.name] = _result(lesson, check.name, Status.FAIL, message, 0.0)
                break
    return failed


def _with_output(message: str, process: GradingProcess) -> str:
    tail = process.output_tail()
    return f"{message}\nLast output:\n{tail}" if tail else message


def _grade_checks(lesson: Lesson, exercise_dir: Path, names: list[str], fork: bool = True) -> dict[str, CheckResult]:
    """Run the checks ``names`` (in order) in as many grading processes as it takes; results by name."""
    pending = list(names)
    results: dict[str, CheckResult] = {}
    scale = timeout_scale()
    while pending:
        process = GradingProcess(lesson, exercise_dir, pending, wait_for_zygote=fork)
        current: str | None = None
        step = "starting the grading process"
        deadline = time.monotonic() + LOAD_TIMEOUT * max(1.0, scale)
        graceful = False
        try:
            while True:
                event = process.next_event(deadline)
                if event == "timeout":
                    if current is None:
                        message = (f"{step} did not finish within {LOAD_TIMEOUT * max(1.0, scale):g} s. Is there an "
                                   "infinite loop or a blocking call at the top level of the file?")
                        for name in pending:
                            results[name] = _result(lesson, name, Status.TIMEOUT, message)
                        pending = []
                    else:
                        limit = lesson.check(current).timeout * scale
                        message = f"did not finish within {limit:g} s; the last step was: {step}"
                        results[current] = _result(lesson, current, Status.TIMEOUT, message)
                        pending.remove(current)
                    break
                if event is None:  # the grading process died
                    code = process.proc.poll()
                    if code is None:
                        try:
                            code = process.proc.wait(timeout=2)
                        except subprocess.TimeoutExpired:
                            code = "unknown"
                    died = f"the grading process exited unexpectedly (exit code {code}) while {step}."
                    died += " Does your code call os._exit() or crash the interpreter?"
                    for name in (pending if current is None else [current]):
                        results[name] = _result(lesson, name, Status.ERROR, _with_output(died, process))
                    pending = [] if current is None else [n for n in pending if n != current]
                    break
                if isinstance(event, Step):
                    step = event.text
                elif isinstance(event, Started):
                    current = event.check
                    step = f"starting check {current}"
                    deadline = time.monotonic() + lesson.check(current).timeout * scale
                elif isinstance(event, Finished):
                    results[current] = _result(lesson, current, event.status, event.message, event.seconds)
                    pending.remove(current)
                    current = None
                    step = "between checks"
                    deadline = time.monotonic() + LOAD_TIMEOUT * max(1.0, scale)
                elif isinstance(event, LoadFailed):
                    for name in pending:
                        results[name] = _result(lesson, name, event.status, event.message)
                    pending = []
                    graceful = True
                    break
                elif isinstance(event, Done):
                    graceful = True
                    break
        finally:
            if graceful and not _stopping.is_set():
                process.finish_later()
            else:
                process.finish(graceful)
        if _stopping.is_set():
            raise KeyboardInterrupt
    return results


def _groups(checks, split: bool) -> list[list[str]]:
    by_group: dict[str, list[str]] = {}
    for check in checks:
        by_group.setdefault(check.group if split else "all", []).append(check.name)
    return list(by_group.values())


def _grade_parallel(lesson: Lesson, exercise_dir: Path, checks, split: bool, fork: bool = True):
    """Grade ``checks``: each group (record key ``group``) in a grading process of its own, side by side."""
    groups = _groups(checks, split)
    if len(groups) == 1:
        return _grade_checks(lesson, exercise_dir, groups[0], fork)
    results: dict[str, CheckResult] = {}
    with ThreadPoolExecutor(max_workers=len(groups)) as pool:
        for part in pool.map(lambda names: _grade_checks(lesson, exercise_dir, names, fork), groups):
            results.update(part)
    return results


def _own_zygote(lesson: Lesson, exercise_dir: Path, split: bool, processes: int):
    """A zygote for this grading alone, when it will need ``processes`` > 1 grading processes.

    It imports once what each of them would import again, and each group forks from it. Staged
    grading asks for one only once the first ring passed: a failing first ring (the common case
    while learning) then pays for nothing more, and on two cores a zygote importing beside the
    first ring's process was measured to slow that verdict down. (Not split: several exercises
    at once keep the cores busy already.)
    """
    if not OWN_ZYGOTE or not split or zygote.for_exercise(lesson.id, exercise_dir) is not None or _stopping.is_set():
        return None
    if processes < 2:
        return None
    try:
        own = zygote.Zygote(lesson.id, exercise_dir)
    except OSError:
        return None
    with _live_lock:
        _live.add(own.proc)
    return own


def _close_later(own) -> None:
    """Stop a grading's own zygote once the gradings it forked have closed their servers."""
    def close():
        wait_reaped()
        own.close()
        with _live_lock:
            _live.discard(own.proc)

    closer = threading.Thread(target=close, name="close-zygote")
    closer.start()


def _waiting(lesson: Lesson, check, blocking_ring: str, failing: list[CheckResult]) -> CheckResult:
    names = ", ".join(c.name for c in failing[:3]) + (f" and {len(failing) - 3} more" if len(failing) > 3 else "")
    message = (f"not graded yet: the {blocking_ring!r} ring has failing checks ({names}); "
               "fix those first (or run with --full to grade everything).")
    return CheckResult(name=check.name, title=check.title, status=Status.WAITING, points=check.points,
                       message=message, ring=check.ring)


def grade(lesson: Lesson, target: Path, split: bool = True, staged: bool = False) -> ExerciseResult:
    """Grade ``lesson``'s exercise in ``target``; never raises for anything the learner's code does.

    Each group of checks runs in a grading process of its own, side by side: Chromium starts
    while the plain checks run, and checks that mostly wait overlap, which keeps a learner's
    feedback loop short. (So checks must not depend on one another; each sets up its own state.)

    ``staged`` (a learner's run): the rings of the record are graded from the inside out, and a
    ring runs only when every ring inside it passes; the checks of the rings not run are
    ``waiting`` (0 points). So a learner whose plain functions fail hears so in a moment, instead
    of waiting for servers and a browser that could only fail the same way; and a check whose
    first function is still a stub fails from the source (``_unwritten``), without a grading
    process. Full grading (the default, used by ``--json``, ``room`` and the tests) runs every
    check.
    """
    started = time.monotonic()
    exercise_dir = lesson.exercise_dir(target)
    results: dict[str, CheckResult] = {}
    own = None
    browsing = False  # holding the run's Chromium (checker.shared_browser)
    try:
        if not staged:
            browsing = SHARED_BROWSER.hold_for(lesson.checks)
            own = _own_zygote(lesson, exercise_dir, split, len(_groups(lesson.checks, split)))
            results = _grade_parallel(lesson, exercise_dir, lesson.checks, split)
        else:
            blocked: tuple[str, list[CheckResult]] | None = None
            rings = [[c for c in lesson.checks if c.ring == ring.name] for ring in lesson.rings]
            rings = [(ring, checks) for ring, checks in zip(lesson.rings, rings) if checks]
            for index, (ring, checks) in enumerate(rings):
                if blocked is not None:
                    results.update({c.name: _waiting(lesson, c, *blocked) for c in checks})
                    continue
                if not browsing:  # only for a ring that uses it: a learner's failing ring waits for nothing
                    browsing = SHARED_BROWSER.hold_for(checks)
                if index == 1:
                    own = _own_zygote(lesson, exercise_dir, split, sum(len(_groups(c, split)) for _, c in rings[1:]))
                part = _unwritten(lesson, exercise_dir, checks)
                rest = [c for c in checks if c.name not in part]
                if rest:
                    part.update(_grade_parallel(lesson, exercise_dir, rest, split, fork=index > 0))
                results.update(part)
                failing = [r for r in part.values() if r.status.is_problem]
                if failing:
                    blocked = (ring.name, failing)
    finally:
        if own is not None:
            _close_later(own)
        if browsing:
            SHARED_BROWSER.release(after=wait_reaped)
    return ExerciseResult(id=lesson.id, slug=lesson.slug, title=lesson.title,
                          checks=[results[check.name] for check in lesson.checks],
                          seconds=round(time.monotonic() - started, 2), variant=lesson.variant)


def grade_many(lessons: list[Lesson], target: Path, jobs: int | None = None, on_result=None,
               staged: bool = False) -> list[ExerciseResult]:
    """Grade several exercises in parallel; ``on_result(result)`` is called in lesson order."""
    # Checks spend much of their time waiting on sockets and timers: one more job than cores pays off.
    jobs = max(1, jobs or min(len(lessons), (os.cpu_count() or 2) + 1))
    browsing = not staged and SHARED_BROWSER.hold_for(c for lesson in lessons for c in lesson.checks)  # one for all
    with ThreadPoolExecutor(max_workers=jobs) as pool:
        # Grading several exercises already keeps every core busy: one grading process each then
        # costs less than the start-up of one per group.
        split = len(lessons) == 1
        # The longest first (by their checks' time limits), so that the last one to start is a short
        # one: 64 s -> 44 s for all nine references on two cores. Results still come in lesson order.
        longest_first = sorted(range(len(lessons)), key=lambda i: -sum(c.timeout for c in lessons[i].checks))
        started = {i: pool.submit(grade, lessons[i], target, split, staged) for i in longest_first}
        futures = [started[i] for i in range(len(lessons))]
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
        finally:
            if browsing:
                SHARED_BROWSER.release(after=wait_reaped)
    return results
