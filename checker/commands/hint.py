"""``python -m checker hint NN``: one more rung of the hint ladder of the check you are stuck on.

Each check's ladder (in the lesson record) starts with a question or a pointer to the lesson,
then names the concept or API, and ends with the recipe. Each call shows the next rung only
(earlier ones are not repeated), for the first check that failed in your last run; with
nothing failing (or nothing graded yet), it gives the lesson's own hints, one at a time.
"""

from __future__ import annotations

import argparse

from checker import cli
from checker.hints import LESSON_KEY, HintState
from checker.live import reporter

RUNG_NAMES = {1: "a question", 2: "the concept", 3: "the recipe"}


def run(argv: list[str]) -> int:
    parser = cli.lesson_parser("hint", __doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--check", help="climb this check's ladder instead of the first failing one")
    parser.add_argument("--reset", action="store_true", help="start every ladder of this exercise again")
    args = parser.parse_args(argv)
    lesson, target = cli.lesson_and_target(args)
    state = HintState(cli.STATE_DIR)
    if args.reset:
        state.reset(lesson.id)
        state.save()
        print(f"Hints for {lesson.id} start from the first rung again.")
        return 0
    last = cli.load_results(target).get(lesson.id, {})
    if not args.check and cli.complete(last):
        print(f"Exercise {lesson.id} passes: no hint needed. `python -m checker solution {lesson.id}` shows the "
              "reference beside your code (--check NAME still climbs a check's ladder).")
        return 0
    name = args.check or next(iter(last.get("failing", [])), None)
    if args.check and name not in {c.name for c in lesson.checks}:
        raise cli.UsageError(f"lesson {lesson.id} has no check {args.check!r}; its checks: "
                             + ", ".join(c.name for c in lesson.checks))
    if name:
        check = lesson.check(name)
        ladder = check.hints
        rung = state.climb(lesson.id, name, len(ladder))
        print(f"Hint {rung} of {len(ladder)} for {lesson.id}/{name} ({check.title}), "
              f"{RUNG_NAMES.get(rung, 'more')}:\n  {ladder[rung - 1]}\n")
        if rung < len(ladder):
            print(f"Still stuck? `python -m checker hint {lesson.id}` again gives {RUNG_NAMES.get(rung + 1, 'more')}.")
        else:
            print(f"That was the last rung. Re-read lessons/{lesson.slug}/README.md around it; once the exercise "
                  f"passes, `python -m checker solution {lesson.id}` shows the reference next to your code.")
    else:
        if not lesson.hints:
            print(f"Lesson {lesson.id} has no general hints. Grade it first: python -m checker {lesson.id}")
            return 0
        rung = state.climb(lesson.id, LESSON_KEY, len(lesson.hints))
        intro = "" if last else f"(Not graded yet: `python -m checker {lesson.id}` shows what fails.)\n"
        print(f"{intro}Hint {rung} of {len(lesson.hints)} for {lesson.id} ({lesson.title}):\n  {lesson.hints[rung - 1]}\n")
        if rung < len(lesson.hints):
            print(f"Still stuck? Run `python -m checker hint {lesson.id}` again for the next hint.")
        else:
            print(f"That was the last hint. The lesson text is in lessons/{lesson.slug}/README.md.")
    state.save()
    reporter.report_hint(lesson.id, say=print)
    return 0
