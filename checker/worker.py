"""The grading subprocess: imports one exercise's code and runs its checks, reporting as it goes.

The parent (``checker.runner``) reads one JSON event per line from a pipe we were given
(``start``, ``step``, ``result``, ``load_failed``, ``done``) and enforces time limits. The
learner's own prints go to stdout/stderr, which the parent keeps apart so they never
corrupt the report.
"""

from __future__ import annotations

import importlib
import json
import os
import sys
import time
import traceback
from pathlib import Path

from checker import catalog
from checker.api import CheckFailed, CheckSkipped, Context
from workshop import learner, paths


def _ci() -> bool:
    return os.environ.get("CI", "").lower() in ("1", "true", "yes")


def classify(exc: BaseException, exercise_dir: Path) -> tuple[str, str]:
    """(status, message) for an exception that escaped a check."""
    frame = None
    seen, link = set(), exc
    while link is not None and id(link) not in seen and frame is None:  # also look where it was re-raised from
        seen.add(id(link))
        frame = learner.learner_frame(link.__traceback__, exercise_dir)
        link = link.__cause__ or link.__context__
    if isinstance(exc, NotImplementedError):
        if frame is not None:
            name = f"{frame.name}() in {paths.relative(Path(frame.filename))}"
        elif str(exc):  # re-raised elsewhere (an ASGI test client does): the stub's own words name it
            name = f"{exc} (in {paths.relative(exercise_dir)}/)"
        else:
            name = "a function of the exercise"
        return "fail", (f"{name} is not written yet (it still raises NotImplementedError).\n"
                        "Replace the TODO with your code, save, and run the checker again.")
    if isinstance(exc, SystemExit):
        where = f"\n{learner.describe_frame(frame)}" if frame else ""
        return "error", f"your code called sys.exit({exc.code!r}) during this check{where}\nRemove that call: the checker and servers need to keep running."
    if frame is not None:
        return "fail", (f"your code raised {type(exc).__name__}: {exc}\n{learner.describe_frame(frame)}\n"
                        "Fix the code at that line and run the checker again.")
    summary = "".join(traceback.format_exception(exc, limit=-3)).strip()
    return "error", f"the check itself crashed (a bug in the checker, not in your code; please tell the instructor):\n{summary}"


def main(argv: list[str]) -> int:
    spec = json.loads(argv[0])
    pipe = os.fdopen(spec["fd"], "w", buffering=1, encoding="utf-8")

    def emit(event: dict) -> None:
        pipe.write(json.dumps(event) + "\n")
        pipe.flush()

    exercise = catalog.find(catalog.load(), spec["exercise"])
    target = Path(spec["target"])
    exercise_dir = target / exercise.slug
    lesson_dir = paths.lesson_dir(exercise.slug)
    if not exercise_dir.is_dir():
        emit({"event": "load_failed", "status": "error",
              "message": f"the folder {paths.relative(exercise_dir)} does not exist. "
                         f"Is --target right? It should contain {exercise.slug}/."})
        return 0
    learner.activate(lesson_dir, exercise_dir)
    for filename in exercise.files:
        if not filename.endswith(".py"):
            continue
        emit({"event": "step", "text": f"importing {paths.relative(exercise_dir / filename)}"})
        try:
            learner.import_learner(filename[:-3], exercise_dir)
        except learner.LearnerCodeError as err:
            emit({"event": "load_failed", "status": "error", "message": str(err)})
            return 0
        except BaseException as err:  # noqa: BLE001 - e.g. KeyboardInterrupt raised by the learner
            emit({"event": "load_failed", "status": "error",
                  "message": f"importing {filename} raised {type(err).__name__}: {err}"})
            return 0

    checks_module = importlib.import_module(exercise.checks_module)
    ctx = Context(exercise=exercise, target=target, exercise_dir=exercise_dir, lesson_dir=lesson_dir,
                  repo_root=paths.REPO_ROOT, emit=emit)
    try:
        for name in spec["checks"]:
            emit({"event": "start", "check": name})
            function = getattr(checks_module, f"check_{name}")
            ctx.begin_check()
            started = time.monotonic()
            try:
                function(ctx)
                status, message = "pass", ""
            except CheckFailed as failed:
                status, message = "fail", str(failed)
            except CheckSkipped as skipped:
                if _ci():
                    status, message = "fail", f"{skipped}\n(CI=true: a browser is required here.)"
                else:
                    status, message = "skip", str(skipped)
            except learner.LearnerCodeError as err:
                status, message = "error", str(err)
            except BaseException as exc:  # noqa: BLE001 - everything the learner's code may throw
                status, message = classify(exc, exercise_dir)
            finally:
                ctx.end_check()
            emit({"event": "result", "check": name, "status": status, "message": message,
                  "seconds": round(time.monotonic() - started, 3)})
        emit({"event": "done"})
    finally:
        try:
            ctx.close()
        except Exception:  # noqa: BLE001 - cleanup must not hide the results already sent
            traceback.print_exc()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
