"""``python -m checker list``: the exercises and their last status."""

from __future__ import annotations

import argparse

from checker import catalog, cli, report


def run(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="python -m checker list", description="List exercises and their last status.")
    parser.add_argument("--target", help=cli.TARGET_HELP)
    args = parser.parse_args(argv)
    target = cli.target_folder(args.target)
    last = cli.load_results(target)
    style = report.Style()
    lessons = catalog.load()
    width = max(len(lesson.title) for lesson in lessons)
    for lesson in lessons:
        seen = last.get(lesson.id)
        if seen:
            state = style.paint(f"{seen['status']:<8}", seen["status"]) + f" {seen['score']}/{seen['max_score']}"
        else:
            state = style.paint("not graded yet", "dim")
        print(f"{lesson.id}  {lesson.title:<{width}}  {state}")
    print(f"\nStatuses are from the last run on {cli.label(target)}/. Grade again: python -m checker")
    return 0
