"""``python -m checker [NN ...] [--target T] [--json]``: grade exercises."""

from __future__ import annotations

import argparse
import json

from checker import catalog, cli, hints, report, runner, variants
from checker.live import reporter
from checker.pipeline import Status, report_dict


def run(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="python -m checker", description="Grade the workshop's exercises.",
                                     epilog=f"Sub-commands: {', '.join(cli.COMMANDS)} (python -m checker hint 01).")
    parser.add_argument("exercises", nargs="*", metavar="NN", help="exercise number or slug (default: all)")
    parser.add_argument("--target", help=cli.TARGET_HELP)
    parser.add_argument("--json", action="store_true", help="print one JSON document instead of tables")
    parser.add_argument("--full", action="store_true",
                        help="grade every check, even those of rings whose inner rings fail (--json always does)")
    parser.add_argument("--staged", action="store_true",
                        help="grade ring by ring even with --json (stops at the first failing ring)")
    parser.add_argument("--variant", help=cli.VARIANT_HELP)
    parser.add_argument("--jobs", type=int, default=None, help="exercises graded at once (default: CPU count + 1)")
    args = parser.parse_args(argv)
    target = cli.target_folder(args.target)
    chosen = variants.apply(cli.select(catalog.load(), args.exercises), cli.STATE_DIR, args.variant)
    style = report.Style()
    label = cli.label(target)

    state = hints.HintState(cli.STATE_DIR)

    def show(result) -> None:
        lesson = catalog.find(chosen, result.id)
        hints.apply_reached(lesson, result, state)
        if not args.json:
            print(report.exercise_block(result, label, style, cli.variant_line(lesson)) + "\n", flush=True)

    if not args.json:
        print(f"Grading {len(chosen)} exercise(s) in {label}/ ...\n", flush=True)
    staged = args.staged or not (args.full or args.json)
    results = runner.grade_many(chosen, target, jobs=args.jobs, on_result=show, staged=staged)
    for result in results:  # on_result may not have seen them all if grading stopped early
        hints.apply_reached(catalog.find(chosen, result.id), result, state)
    cli.save_results(target, results)
    if args.json:
        print(json.dumps(report_dict(target, results), indent=2))
    else:
        print(report.overall(results, style, label))
    reporter.report_results(results, say=None if args.json else print)  # live room, if joined: <= ~1 s
    return 0 if all(r.status is Status.PASS for r in results) else 1
