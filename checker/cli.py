"""Command line: ``python -m checker [NN ...] [--target T] [--json]`` and its sub-commands.

    python -m checker                 grade every exercise in ./exercises
    python -m checker 03              grade one (number or slug)
    python -m checker --target solutions --json
    python -m checker list            exercises and their last status
    python -m checker hint 03         the next hint for exercise 03
    python -m checker serve 03        run lesson 03's demo with your code
    python -m checker watch 03        grade 03 again each time you save one of its files
    python -m checker room DIR --csv scores.csv   instructors: grade every learner folder in DIR
    python -m checker doctor          is this laptop ready for the workshop?

Exit codes: 0 everything graded passes, 1 something does not, 2 usage error.
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import subprocess
import sys
from pathlib import Path

from checker import catalog, report, runner
from workshop import net, paths, procs

# Remembered between runs (last statuses, hints shown); never inside the learner's folders.
STATE_DIR = Path(os.environ.get("WORKSHOP_STATE_DIR") or paths.REPO_ROOT / ".workshop")
COMMANDS = ("list", "hint", "serve", "watch", "room", "doctor")


class UsageError(Exception):
    pass


def _target(value: str | None) -> Path:
    target = Path(value) if value else paths.EXERCISES
    if not target.is_absolute():
        candidate = Path.cwd() / target
        target = candidate if candidate.exists() else paths.REPO_ROOT / target
    if not target.is_dir():
        raise UsageError(f"--target {value}: no such folder. Use a tree laid out like exercises/ "
                         f"(for example --target solutions).")
    return target.resolve()


def _label(target: Path) -> str:
    return paths.relative(target)


def _select(exercises, selectors) -> list:
    if not selectors:
        return exercises
    chosen = []
    for selector in selectors:
        exercise = catalog.find(exercises, selector)
        if exercise is None:
            known = ", ".join(f"{e.id} ({e.slug})" for e in exercises)
            raise UsageError(f"no exercise {selector!r}. Known exercises: {known}")
        if exercise not in chosen:
            chosen.append(exercise)
    return chosen


def _save_results(target: Path, results: list[dict]) -> None:
    try:
        STATE_DIR.mkdir(exist_ok=True)
        path = STATE_DIR / "results.json"
        state = json.loads(path.read_text()) if path.exists() else {}
        bucket = state.setdefault(str(target), {})
        for result in results:
            bucket[result["id"]] = {"status": result["status"], "score": result["score"],
                                    "max_score": result["max_score"]}
        path.write_text(json.dumps(state, indent=1))
    except (OSError, ValueError):
        pass  # a read-only checkout still grades; it just cannot remember


def _load_results(target: Path) -> dict:
    try:
        return json.loads((STATE_DIR / "results.json").read_text()).get(str(target), {})
    except (OSError, ValueError):
        return {}


# -- grading -------------------------------------------------------------------------
def cmd_grade(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="python -m checker", description="Grade the workshop's exercises.",
                                     epilog=f"Sub-commands: {', '.join(COMMANDS)} (python -m checker hint 01).")
    parser.add_argument("exercises", nargs="*", metavar="NN", help="exercise number or slug (default: all)")
    parser.add_argument("--target", help="tree to grade (default: exercises; instructors: solutions)")
    parser.add_argument("--json", action="store_true", help="print one JSON document instead of tables")
    parser.add_argument("--jobs", type=int, default=None, help="exercises graded at once (default: CPU count + 1)")
    args = parser.parse_args(argv)
    exercises = catalog.load()
    target = _target(args.target)
    chosen = _select(exercises, args.exercises)
    style = report.Style()
    label = _label(target)

    def show(result: dict) -> None:
        if not args.json:
            print(report.exercise_block(result, label, style) + "\n", flush=True)

    if not args.json:
        print(f"Grading {len(chosen)} exercise(s) in {label}/ ...\n", flush=True)
    results = runner.grade_many(chosen, target, jobs=args.jobs, on_result=show)
    _save_results(target, results)
    everything_passes = all(r["status"] == "pass" for r in results)
    if args.json:
        document = {"target": str(target), "status": "pass" if everything_passes else "fail",
                    "score": sum(r["score"] for r in results), "max_score": sum(r["max_score"] for r in results),
                    "exercises": results}
        print(json.dumps(document, indent=2))
    else:
        print(report.overall(results, style, label))
    return 0 if everything_passes else 1


# -- list ----------------------------------------------------------------------------
def cmd_list(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="python -m checker list", description="List exercises and their last status.")
    parser.add_argument("--target")
    args = parser.parse_args(argv)
    target = _target(args.target)
    last = _load_results(target)
    style = report.Style()
    for exercise in catalog.load():
        seen = last.get(exercise.id)
        if seen:
            state = style.paint(f"{seen['status']:<8}", seen["status"]) + f" {seen['score']}/{seen['max_score']}"
        else:
            state = style.paint("not graded yet", "dim")
        print(f"{exercise.id}  {exercise.title:<36} {state}")
    print(f"\nStatuses are from the last run on {_label(target)}/. Grade again: python -m checker")
    return 0


# -- hints ---------------------------------------------------------------------------
def cmd_hint(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="python -m checker hint", description="Show hints one at a time.")
    parser.add_argument("exercise", metavar="NN")
    parser.add_argument("--reset", action="store_true", help="hide the hints again")
    args = parser.parse_args(argv)
    exercise = _select(catalog.load(), [args.exercise])[0]
    path = STATE_DIR / "hints.json"
    try:
        shown = json.loads(path.read_text())
    except (OSError, ValueError):
        shown = {}
    if args.reset:
        shown.pop(exercise.id, None)
        count = 0
        print(f"Hints for {exercise.id} hidden again.")
    else:
        count = min(shown.get(exercise.id, 0) + 1, len(exercise.hints))
        shown[exercise.id] = count
        for number, hint in enumerate(exercise.hints[:count], start=1):
            print(f"Hint {number} of {len(exercise.hints)} for {exercise.id} ({exercise.title}):\n  {hint}\n")
        if count < len(exercise.hints):
            print(f"Still stuck? Run `python -m checker hint {exercise.id}` again for the next hint.")
        else:
            print(f"That was the last hint. The lesson text is in lessons/{exercise.slug}/README.md; "
                  f"the reference solution is in solutions/{exercise.slug}/ when you want to compare.")
    try:
        STATE_DIR.mkdir(exist_ok=True)
        path.write_text(json.dumps(shown))
    except OSError:
        pass
    return 0


# -- serve ---------------------------------------------------------------------------
def cmd_serve(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="python -m checker serve",
                                     description="Run a lesson's demo with your code, on 127.0.0.1.")
    parser.add_argument("exercise", metavar="NN")
    parser.add_argument("--target", help="tree whose code to run (default: exercises; try --target solutions)")
    parser.add_argument("--port", type=int, default=8000)
    args = parser.parse_args(argv)
    exercise = _select(catalog.load(), [args.exercise])[0]
    target = _target(args.target)
    demo = paths.lesson_dir(exercise.slug) / "demo.py"
    if not demo.exists():
        raise UsageError(f"lesson {exercise.id} has no demo to serve.")
    if not net.port_is_free(args.port):
        print(net.busy_port_message(args.port), file=sys.stderr)
        return 1
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(filter(None, [str(paths.REPO_ROOT), os.environ.get("PYTHONPATH")]))}
    argv = [sys.executable, str(demo), "--exercise-dir", str(target / exercise.slug), "--host", net.LOOPBACK,
            "--port", str(args.port)]
    print(f"Serving lesson {exercise.id} with the code in {_label(target)}/{exercise.slug}/. Press Ctrl-C to stop.",
          flush=True)
    env["PYTHONDONTWRITEBYTECODE"] = "1"  # leave no __pycache__ in the learner's folder
    proc = procs.spawn(argv, env=env, stdin=subprocess.DEVNULL)
    previous = signal.signal(signal.SIGTERM, signal.default_int_handler)
    try:
        code = proc.wait()
    except KeyboardInterrupt:
        code = procs.stop_tree(proc)
        code = 0 if code in (0, -signal.SIGTERM, -signal.SIGINT) else code
    finally:
        signal.signal(signal.SIGTERM, previous)
        procs.kill_tree(proc)
    return code


# -- watch ---------------------------------------------------------------------------
def _snapshot(folder: Path, files) -> tuple:
    stamps = []
    for name in files:
        try:
            stat = (folder / name).stat()
            stamps.append((name, stat.st_mtime_ns, stat.st_size))
        except OSError:
            stamps.append((name, None, None))
    return tuple(stamps)


def cmd_watch(argv: list[str]) -> int:
    import time

    parser = argparse.ArgumentParser(prog="python -m checker watch",
                                     description="Grade an exercise again each time one of its files is saved.")
    parser.add_argument("exercise", metavar="NN")
    parser.add_argument("--target")
    parser.add_argument("--interval", type=float, default=0.5, help="seconds between looks at the files")
    args = parser.parse_args(argv)
    exercise = _select(catalog.load(), [args.exercise])[0]
    target = _target(args.target)
    folder = target / exercise.slug
    style = report.Style()
    # Polling the files' times (rather than OS file events) also sees saves made from Windows into WSL.
    seen = None
    while True:
        now = _snapshot(folder, exercise.files)
        if now != seen:
            seen = now
            result = runner.grade(exercise, target)
            _save_results(target, [result])
            print("\033[2J\033[H" if style.colour else "\n", end="")
            print(report.exercise_block(result, _label(target), style))
            done = "All checks pass: on to the next lesson!" if result["status"] == "pass" else ""
            print(f"\n{done}Watching {_label(folder)}/ for saves. Ctrl-C to stop.", flush=True)
            seen = _snapshot(folder, exercise.files)
        time.sleep(args.interval)


# -- room ----------------------------------------------------------------------------
def cmd_room(argv: list[str]) -> int:
    import csv

    parser = argparse.ArgumentParser(
        prog="python -m checker room",
        description="Grade a whole room: every sub-folder of DIR is one learner's checkout (or exercises tree).")
    parser.add_argument("room", metavar="DIR")
    parser.add_argument("exercises", nargs="*", metavar="NN", help="only these exercises (default: all)")
    parser.add_argument("--csv", type=Path, help="write learner, exercise scores and total to this CSV file")
    args = parser.parse_args(argv)
    room = Path(args.room)
    if not room.is_dir():
        raise UsageError(f"{args.room}: no such folder (it should hold one folder per learner).")
    chosen = _select(catalog.load(), args.exercises)
    learners = sorted(p for p in room.iterdir() if p.is_dir() and not p.name.startswith("."))
    if not learners:
        raise UsageError(f"{args.room} holds no learner folders.")
    header = ["learner", *(f"{e.id} ({e.max_score})" for e in chosen), "total", "complete"]
    rows = []
    print("  ".join(header), flush=True)
    for folder in learners:
        target = folder / "exercises" if (folder / "exercises").is_dir() else folder
        results = runner.grade_many(chosen, target.resolve())
        row = [folder.name, *(r["score"] for r in results), sum(r["score"] for r in results),
               f"{sum(r['status'] == 'pass' for r in results)}/{len(results)}"]
        rows.append(row)
        print("  ".join(str(value) for value in row), flush=True)
    if args.csv:
        with open(args.csv, "w", newline="") as out:
            writer = csv.writer(out)
            writer.writerow(header)
            writer.writerows(rows)
        print(f"\nWrote {args.csv}")
    return 0


# -- doctor --------------------------------------------------------------------------
def cmd_doctor(argv: list[str]) -> int:
    from checker import doctor

    argparse.ArgumentParser(prog="python -m checker doctor",
                            description="Check that this machine is ready for the workshop.").parse_args(argv)
    return doctor.run()


def main(argv: list[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    # Ctrl-C must always reach us, even when a parent shell started us with SIGINT ignored.
    signal.signal(signal.SIGINT, signal.default_int_handler)
    commands = {"list": cmd_list, "hint": cmd_hint, "serve": cmd_serve, "watch": cmd_watch, "room": cmd_room,
                "doctor": cmd_doctor}
    try:
        if argv and argv[0] in commands:
            return commands[argv[0]](argv[1:])
        return cmd_grade(argv)
    except UsageError as err:
        print(f"checker: {err}", file=sys.stderr)
        return 2
    except catalog.CatalogError as err:
        print(f"checker: {err}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        runner.stop_all()
        print("\nInterrupted: every process the checker started has been stopped.", file=sys.stderr)
        return 130
