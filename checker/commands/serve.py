"""``python -m checker serve NN``: run a lesson's demo with the learner's code."""

from __future__ import annotations

import os
import signal
import subprocess
import sys

from checker import cli
from workshop import net, paths, procs

#: Seconds a demo gets to stop its servers in order after Ctrl-C (several uWSGI or Daphne
#: processes, nginx and Redis each take a moment) before whatever is left is killed.
DEMO_GRACE = 20.0


def run(argv: list[str]) -> int:
    parser = cli.lesson_parser("serve", "Run a lesson's demo with your code, on 127.0.0.1.")
    parser.add_argument("--port", type=int, default=8000)
    args = parser.parse_args(argv)
    lesson, target = cli.lesson_and_target(args)
    demo = lesson.lesson_dir / "demo.py"
    if not demo.exists():
        raise cli.UsageError(f"lesson {lesson.id} has no demo to serve.")
    if not net.port_is_free(args.port):
        print(net.busy_port_message(args.port), file=sys.stderr)
        return 1
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(filter(None, [str(paths.REPO_ROOT), os.environ.get("PYTHONPATH")]))}
    exercise_dir = lesson.exercise_dir(target)
    argv = [sys.executable, str(demo), "--exercise-dir", str(exercise_dir), "--host", net.LOOPBACK,
            "--port", str(args.port)] + (["--variant", lesson.variant] if lesson.variant else [])
    print(f"Serving lesson {lesson.id} with the code in {cli.label(exercise_dir)}/. Press Ctrl-C to stop.",
          flush=True)
    env["PYTHONDONTWRITEBYTECODE"] = "1"  # leave no __pycache__ in the learner's folder
    proc = procs.spawn(argv, env=env, stdin=subprocess.DEVNULL)
    previous = signal.signal(signal.SIGTERM, signal.default_int_handler)
    try:
        code = proc.wait()
    except KeyboardInterrupt:
        code = procs.stop_tree(proc, grace=DEMO_GRACE)
        code = 0 if code in (0, -signal.SIGTERM, -signal.SIGINT) else code
    finally:
        signal.signal(signal.SIGTERM, previous)
        procs.kill_tree(proc)
    return code
