"""``python -m checker watch NN``: grade again each time one of the exercise's files is saved."""

from __future__ import annotations

import time
from pathlib import Path

from checker import cli, hints, report, runner, warm
from checker.live import reporter
from checker.pipeline import Status


def snapshot(folder: Path, files) -> tuple:
    """(name, mtime, size) of each file: polling these also sees saves made from Windows into WSL."""
    stamps = []
    for name in files:
        try:
            stat = (folder / name).stat()
            stamps.append((name, stat.st_mtime_ns, stat.st_size))
        except OSError:
            stamps.append((name, None, None))
    return tuple(stamps)


def run(argv: list[str]) -> int:
    parser = cli.lesson_parser("watch", "Grade an exercise again each time one of its files is saved.")
    parser.add_argument("--full", action="store_true", help="grade every ring on each save")
    parser.add_argument("--interval", type=float, default=0.5, help="seconds between looks at the files")
    args = parser.parse_args(argv)
    lesson, target = cli.lesson_and_target(args)
    folder = lesson.exercise_dir(target)
    style = report.Style()
    with warm.warm_environment(lesson, folder):
        _loop(lesson, target, folder, style, args)


def _loop(lesson, target, folder, style, args) -> None:
    seen = None
    while True:
        now = snapshot(folder, lesson.graded_files)
        if now != seen:
            seen = now
            result = runner.grade(lesson, target, staged=not args.full)
            hints.apply_reached(lesson, result, hints.HintState(cli.STATE_DIR))
            cli.save_results(target, [result])
            reporter.report_results([result], say=print)
            print("\033[2J\033[H" if style.colour else "\n", end="")
            print(report.exercise_block(result, cli.label(target), style, cli.variant_line(lesson)))
            done = "All checks pass: on to the next lesson!\n" if result.status is Status.PASS else ""
            print(f"\n{done}Watching {cli.label(folder)}/ for saves. Ctrl-C to stop.", flush=True)
            # `seen` is the files as graded: a save made while grading ran is graded on the next look
        time.sleep(args.interval)
