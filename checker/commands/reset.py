"""``python -m checker reset NN [FILE]``: put a learner file back as it was handed out.

The pristine stub is the file as the repository holds it (``git show HEAD:exercises/...``); your
current file is kept first as a backup in the checker's state folder, so nothing is lost.
Asks before it writes (``--yes`` skips the question).
"""

from __future__ import annotations

import argparse
import shutil
import subprocess
import sys
import time

from checker import catalog, cli
from workshop import paths


def pristine(relative: str) -> bytes | None:
    done = subprocess.run(["git", "show", f"HEAD:{relative}"], cwd=paths.REPO_ROOT, capture_output=True)
    return done.stdout if done.returncode == 0 else None


def run(argv: list[str]) -> int:
    parser = cli.lesson_parser("reset", __doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("file", nargs="?", help="one of the exercise's files (default: all of them)")
    parser.add_argument("--yes", action="store_true", help="do not ask")
    args = parser.parse_args(argv)
    lesson = cli.select(catalog.load(), [args.exercise])[0]
    names = [args.file] if args.file else list(lesson.files)
    unknown = [n for n in names if n not in lesson.files]
    if unknown:
        raise cli.UsageError(f"{unknown[0]} is not a file of exercise {lesson.id}; its files: {', '.join(lesson.files)}")
    folder = lesson.exercise_dir(cli.target_folder(args.target))
    if not args.yes:
        if not sys.stdin.isatty():
            raise cli.UsageError("reset asks before it overwrites your work: run it in a terminal, or add --yes.")
        answer = input(f"Put {', '.join(names)} of {lesson.id} back as handed out (your version is backed up)? [y/N] ")
        if answer.strip().lower() not in ("y", "yes"):
            print("Nothing changed.")
            return 1
    backup = cli.STATE_DIR / "backups" / lesson.id / time.strftime("%Y%m%d-%H%M%S")
    for name in names:
        relative = f"exercises/{lesson.slug}/{name}"
        original = pristine(relative)
        if original is None:
            print(f"{relative}: git does not know it, so it cannot be reset (is this a git checkout?)", file=sys.stderr)
            return 1
        if (folder / name).exists():
            backup.mkdir(parents=True, exist_ok=True)
            shutil.copy2(folder / name, backup / name)
        (folder / name).write_bytes(original)
        print(f"reset {cli.label(folder / name)}" + (f" (your version: {cli.label(backup / name)})" if (backup / name).exists() else ""))
    return 0
