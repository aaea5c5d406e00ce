"""Command line: ``python -m checker [NN ...] [--target T] [--json]`` and its sub-commands.

    python -m checker                 grade every exercise in ./exercises
    python -m checker 03              grade one (number or slug)
    python -m checker --target solutions --json
    python -m checker list            exercises and their last status
    python -m checker hint 03         the next hint for exercise 03
    python -m checker serve 03        run lesson 03's demo with your code
    python -m checker watch 03        grade 03 again each time you save one of its files
    python -m checker room DIR --csv scores.csv   instructors: grade every learner folder in DIR
    python -m checker room serve      instructors: the live room, a dashboard learners report to
    python -m checker doctor          is this laptop ready for the workshop?
    python -m checker join URL CODE   share your gradings with the instructor's live room (leave: stop)
    python -m checker solution 03     the reference beside your code, once 03 passes
    python -m checker reset 03 [FILE] put a file back as handed out (yours is backed up)
    python -m checker pick 05 node    do exercise 05 another way (its sidecar in Node.js); pick 05 lists them

Each sub-command lives in ``checker/commands/<name>.py`` with a ``run(argv)``; what they share
(choosing the target tree and the exercises, remembering the last results) is here.
Exit codes: 0 everything graded passes, 1 something does not, 2 usage error.
"""

from __future__ import annotations

import argparse
import importlib
import json
import os
import signal
import sys
from pathlib import Path

from checker import catalog, runner, variants
from checker.pipeline import Status
from workshop import paths

# Remembered between runs (last statuses, hints shown); never inside the learner's folders.
STATE_DIR = Path(os.environ.get("WORKSHOP_STATE_DIR") or paths.REPO_ROOT / ".workshop")
#: sub-command -> module in checker/commands/
COMMANDS = {"list": "listing", "hint": "hint", "serve": "serve", "watch": "watch", "room": "room",
            "doctor": "doctor", "solution": "solution", "reset": "reset",
            "join": "join", "leave": "leave", "pick": "pick"}
TARGET_HELP = ("a folder laid out like exercises/ (one NN-slug/ folder per lesson); "
               "default: exercises; instructors: solutions")
VARIANT_HELP = ("grade this variant of the exercise this time (05: python or node); "
                "python -m checker pick NN NAME makes the choice stick")


class UsageError(Exception):
    pass


def target_folder(value: str | None) -> Path:
    """The tree to grade or serve, from ``--target`` (relative to here, else to the repository)."""
    target = Path(value) if value else paths.EXERCISES
    if not target.is_absolute():
        candidate = Path.cwd() / target
        target = candidate if candidate.exists() else paths.REPO_ROOT / target
    if not target.is_dir():
        raise UsageError(f"--target {value}: no such folder. Use a tree laid out like exercises/ "
                         f"(for example --target solutions).")
    return target.resolve()


def label(target: Path) -> str:
    return paths.relative(target)


def select(lessons, selectors) -> list:
    if not selectors:
        return lessons
    chosen = []
    for selector in selectors:
        lesson = catalog.find(lessons, selector)
        if lesson is None:
            known = ", ".join(f"{e.id} ({e.slug})" for e in lessons)
            raise UsageError(f"no exercise {selector!r}. Known exercises: {known}")
        if lesson not in chosen:
            chosen.append(lesson)
    return chosen


def lesson_parser(command: str, description: str | None, **options) -> argparse.ArgumentParser:
    """The parser of a sub-command about one lesson: ``NN`` and ``--target``; the command adds its own."""
    parser = argparse.ArgumentParser(prog=f"python -m checker {command}", description=description, **options)
    parser.add_argument("exercise", metavar="NN")
    parser.add_argument("--target", help=TARGET_HELP)
    parser.add_argument("--variant", help=VARIANT_HELP)
    return parser


def lesson_and_target(args: argparse.Namespace) -> tuple:
    """The lesson named by ``args.exercise`` (set to its variant) and the folder of ``args.target``."""
    lesson = select(catalog.load(), [args.exercise])[0]
    return variants.apply([lesson], STATE_DIR, args.variant)[0], target_folder(args.target)


def save_results(target: Path, results) -> None:
    try:
        STATE_DIR.mkdir(exist_ok=True)
        path = STATE_DIR / "results.json"
        state = json.loads(path.read_text()) if path.exists() else {}
        bucket = state.setdefault(str(target), {})
        for result in results:
            bucket[result.id] = {"status": str(result.status), "score": result.score, "max_score": result.max_score,
                                 "failing": [c.name for c in result.checks if c.status.is_problem],
                                 "skipped": [c.name for c in result.checks if c.status is Status.SKIP]}
        path.write_text(json.dumps(state, indent=1))
    except (OSError, ValueError):
        pass  # a read-only checkout still grades; it just cannot remember


def variant_line(lesson) -> str:
    """The report's line for an exercise done one of several ways: which one was graded, how to switch."""
    return variants.describe(lesson, variants.chosen(STATE_DIR, lesson))


def complete(last: dict) -> bool:
    """An exercise's last run (``load_results``) passed with every check run (none skipped here)."""
    return last.get("status") == "pass" and not last.get("skipped")


def load_results(target: Path) -> dict:
    try:
        return json.loads((STATE_DIR / "results.json").read_text()).get(str(target), {})
    except (OSError, ValueError):
        return {}


def main(argv: list[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    # Ctrl-C must always reach us, even when a parent shell started us with SIGINT ignored.
    signal.signal(signal.SIGINT, signal.default_int_handler)
    try:
        name = COMMANDS.get(argv[0], "grade") if argv else "grade"
        command = importlib.import_module(f"checker.commands.{name}")
        return command.run(argv[1:] if name != "grade" else argv)
    except (UsageError, catalog.CatalogError) as err:
        print(f"checker: {err}", file=sys.stderr)
        return 2
    except BrokenPipeError:  # `python -m checker solution 03 | head`: the reader has had enough
        sys.stderr.close()
        return 0
    except KeyboardInterrupt:
        runner.stop_all()
        print("\nInterrupted: every process the checker started has been stopped.", file=sys.stderr)
        return 130
