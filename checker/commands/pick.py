"""``python -m checker pick NN [NAME]``: choose which way you do an exercise that has several.

Lesson 05's sidecar can be written in Python (``sidecar.py``) or in Node.js (``sidecar.js``).
The same checks grade the one you pick, for the same points; ``grade``, ``watch``, ``hint``
and ``serve`` then use it. Without NAME, the choices are listed and the current one marked.
``--variant NAME`` on any of those commands tries the other one once without changing the choice.
"""

from __future__ import annotations

import argparse
import shutil

from checker import catalog, cli, variants


def run(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="python -m checker pick", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("exercise", metavar="NN")
    parser.add_argument("variant", nargs="?", metavar="NAME", help="the variant to grade from now on")
    args = parser.parse_args(argv)
    lesson = cli.select(catalog.load(), [args.exercise])[0]
    if not lesson.variants:
        if args.variant:
            raise cli.UsageError(f"exercise {lesson.id} is done one way only: there is no {args.variant!r} to pick. "
                                 f"Grade it with python -m checker {lesson.id}")
        print(f"Exercise {lesson.id} is done one way only: there is nothing to pick. "
              f"Grade it with python -m checker {lesson.id}")
        return 0
    if args.variant is None:
        current = variants.chosen(cli.STATE_DIR, lesson)
        print(f"Exercise {lesson.id} ({lesson.title}) can be done in {len(lesson.variants)} ways:")
        for variant in lesson.variants:
            mark = "*" if variant.name == current else " "
            print(f"  {mark} {variant.name:<8} {variant.title}")
        print(f"\n* is the one graded now. Change it with: python -m checker pick {lesson.id} NAME")
        return 0
    variants.choose(cli.STATE_DIR, lesson, args.variant)
    picked = lesson.variant_named(args.variant)
    back = next(v.name for v in lesson.variants if v.name != picked.name) if len(lesson.variants) > 1 else picked.name
    print(f"Exercise {lesson.id} now grades {picked.title}, with the same checks for the same points.\n"
          f"Grade it: python -m checker {lesson.id}    Try it in the browser: python -m checker serve {lesson.id}\n"
          f"Changed your mind? python -m checker pick {lesson.id} {back}")
    if picked.requires and shutil.which(picked.requires) is None:
        print(f"\nWarning: {picked.requires} was not found on PATH, so these checks will be skipped (not passed) "
              f"until you install it; `python -m checker doctor` says how.")
    return 0
