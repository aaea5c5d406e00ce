"""``python -m checker hint NN``: the lesson's progressive hints, one more each time."""

from __future__ import annotations

import argparse
import json

from checker import catalog, cli


def run(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="python -m checker hint", description="Show hints one at a time.")
    parser.add_argument("exercise", metavar="NN")
    parser.add_argument("--reset", action="store_true", help="hide the hints again")
    args = parser.parse_args(argv)
    lesson = cli.select(catalog.load(), [args.exercise])[0]
    path = cli.STATE_DIR / "hints.json"
    try:
        shown = json.loads(path.read_text())
    except (OSError, ValueError):
        shown = {}
    if args.reset:
        shown.pop(lesson.id, None)
        print(f"Hints for {lesson.id} hidden again.")
    else:
        count = min(shown.get(lesson.id, 0) + 1, len(lesson.hints))
        shown[lesson.id] = count
        for number, hint in enumerate(lesson.hints[:count], start=1):
            print(f"Hint {number} of {len(lesson.hints)} for {lesson.id} ({lesson.title}):\n  {hint}\n")
        if count < len(lesson.hints):
            print(f"Still stuck? Run `python -m checker hint {lesson.id}` again for the next hint.")
        else:
            print(f"That was the last hint. The lesson text is in lessons/{lesson.slug}/README.md; "
                  f"the reference solution is in solutions/{lesson.slug}/ when you want to compare.")
    try:
        cli.STATE_DIR.mkdir(exist_ok=True)
        path.write_text(json.dumps(shown))
    except OSError:
        pass
    return 0
