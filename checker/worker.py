"""The grading process: imports one lesson's learner files and runs the checks it was given.

It is started by ``checker.runner`` with a ``WorkerSpec`` and sends one event per line on the
pipe named there (``checker.pipeline``: Started, Step, Finished, LoadFailed, Done); the runner
enforces the time limits. The learner's own prints go to stdout/stderr, which the runner keeps
apart so they never corrupt the events.
"""

from __future__ import annotations

import os
import sys
import time
import traceback
from pathlib import Path

from checker import catalog
from checker.api import Context
from checker.checks import checks_of
from checker.pipeline import (CheckFailed, CheckSkipped, Done, Finished, LoadFailed, Started, Status, Step,
                              WorkerSpec, encode)
from workshop import learner, paths, server_forks


def _ci() -> bool:
    return os.environ.get("CI", "").lower() in ("1", "true", "yes")


def classify(exc: BaseException, exercise_dir: Path) -> tuple[Status, str]:
    """(status, message) for an exception that escaped a check."""
    frame = None
    seen, link = set(), exc
    while link is not None and id(link) not in seen and frame is None:  # also look where it was re-raised from
        seen.add(id(link))
        frame = learner.learner_frame(link.__traceback__, exercise_dir)
        link = link.__cause__ or link.__context__
    if isinstance(exc, NotImplementedError):
        if frame is not None:
            return Status.FAIL, learner.unwritten_message(frame.name, Path(frame.filename))
        if str(exc):  # re-raised elsewhere (an ASGI test client does): the stub's own words name it
            name = f"{exc} (in {paths.relative(exercise_dir)}/)"
        else:
            name = "a function of the exercise"
        return Status.FAIL, (f"{name} is not written yet (it still raises NotImplementedError).\n"
                             "Replace the TODO with your code, save, and run the checker again.")
    if isinstance(exc, SystemExit):
        where = f"\n{learner.describe_frame(frame)}" if frame else ""
        return Status.ERROR, (f"your code called sys.exit({exc.code!r}) during this check{where}\n"
                              "Remove that call: the checker and servers need to keep running.")
    if frame is not None:
        return Status.FAIL, (f"your code raised {type(exc).__name__}: {exc}\n{learner.describe_frame(frame)}\n"
                             "Fix the code at that line and run the checker again.")
    summary = "".join(traceback.format_exception(exc, limit=-3)).strip()
    return Status.ERROR, ("the check itself crashed (a bug in the checker, not in your code; please tell the "
                          f"instructor):\n{summary}")


def run_check(ctx: Context, function) -> tuple[Status, str]:
    """Run one check function; every outcome becomes a status and a message for the learner."""
    try:
        function(ctx)
        return Status.PASS, ""
    except CheckFailed as failed:
        return Status.FAIL, str(failed)
    except CheckSkipped as skipped:
        if _ci():
            return Status.FAIL, f"{skipped}\n(CI=true: every check must run here: a browser, uWSGI, Node.js.)"
        return Status.SKIP, str(skipped)
    except learner.LearnerCodeError as err:
        return Status.ERROR, str(err)
    except BaseException as exc:  # noqa: BLE001 - everything the learner's code may throw
        return classify(exc, ctx.exercise_dir)


def import_learner_files(lesson, exercise_dir: Path, emit) -> bool:
    """Import every Python file the learner edits (of the variant graded); on failure, say so once."""
    for filename in lesson.graded_files:
        if not filename.endswith(".py"):
            continue
        emit(Step(f"importing {paths.relative(exercise_dir / filename)}"))
        try:
            learner.import_learner(filename[:-3], exercise_dir)
        except learner.LearnerCodeError as err:
            emit(LoadFailed(Status.ERROR, str(err)))
            return False
        except BaseException as err:  # noqa: BLE001 - e.g. KeyboardInterrupt raised by the learner
            emit(LoadFailed(Status.ERROR, f"importing {filename} raised {type(err).__name__}: {err}"))
            return False
    return True


def grade(spec: WorkerSpec, emit) -> None:
    lesson = catalog.find(catalog.load(), spec.lesson).for_variant(spec.variant or None)
    exercise_dir = spec.exercise_dir
    if not exercise_dir.is_dir():
        emit(LoadFailed(Status.ERROR, f"the folder {paths.relative(exercise_dir)} does not exist. "
                                      f"Is --target right? It should contain {lesson.slug}/."))
        return
    if any(lesson.check(name).ring != lesson.rings[0].name for name in spec.checks):
        # before anything of the learner's is imported: the fork server is a copy of this process
        server_forks.start(lesson.warm_servers, fork_self=True)  # (workshop.server_forks)
    learner.activate(lesson.lesson_dir, exercise_dir)
    if not import_learner_files(lesson, exercise_dir, emit):
        return
    functions = checks_of(lesson)
    ctx = Context(lesson=lesson, exercise_dir=exercise_dir, timeout_scale=spec.timeout_scale, emit=emit,
                  cdp_url=spec.browser)
    try:
        for name in spec.checks:
            emit(Started(name))
            ctx.begin_check(lesson.check(name))
            started = time.monotonic()
            try:
                status, message = run_check(ctx, functions[name])
            finally:
                ctx.end_check()
            emit(Finished(name, status, message, round(time.monotonic() - started, 3)))
        emit(Done())
    finally:
        try:
            ctx.close()
        except Exception:  # noqa: BLE001 - cleanup must not hide the results already sent
            traceback.print_exc()


def main(argv: list[str]) -> int:
    spec = WorkerSpec.decode(argv[0])
    pipe = os.fdopen(spec.fd, "w", buffering=1, encoding="utf-8")

    def emit(event) -> None:
        pipe.write(encode(event) + "\n")
        pipe.flush()

    try:
        grade(spec, emit)
    finally:
        server_forks.stop()  # after the servers it forked were stopped by the checks' own clean-up
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
