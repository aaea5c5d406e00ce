"""``python -m checker watch``: every save graded afresh, a warm browser kept, nothing left behind."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time

from checker import catalog
from tests.helpers import ROOT, copy_tree, live_processes, wait_until
from workshop import paths, procs

LESSON = catalog.find(catalog.load(), "03")
PROBE = '''
import os as _os, pathlib as _pathlib
COUNT = globals().get("COUNT", 0) + 1
with open({log!r}, "a") as _log:
    _log.write(f"{{_os.getpid()}} {{COUNT}}\\n")
'''


def _wait_for(predicate, seconds: float) -> bool:
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        if predicate():
            return True
        time.sleep(0.1)
    return False


def test_each_save_is_graded_in_fresh_processes_and_ctrl_c_leaves_nothing(tmp_path):
    tree = copy_tree(paths.SOLUTIONS, tmp_path / "tree", [LESSON.slug])
    log = tmp_path / "imports.log"
    learner_file = LESSON.exercise_dir(tree) / "handshake.py"
    learner_file.write_text(learner_file.read_text() + PROBE.format(log=str(log)))
    env = {**os.environ, "WORKSHOP_STATE_DIR": str(tmp_path / "state"), "PYTHONUNBUFFERED": "1"}
    watch = subprocess.Popen([sys.executable, "-m", "checker", "watch", "03", "--target", str(tree), "--interval", "0.2"],
                             cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                             start_new_session=True)
    try:
        assert _wait_for(lambda: log.exists() and log.read_text().strip(), 60), "the first grading never imported"
        assert _wait_for(lambda: not procs.descendants(watch.pid) - _browser_pids(watch.pid), 60)
        first = log.read_text().split()
        learner_file.write_text(learner_file.read_text() + "\n# saved again\n")
        assert _wait_for(lambda: len(log.read_text().splitlines()) > len(first) // 2, 60), "the save was not graded"
        lines = [line.split() for line in log.read_text().splitlines()]
        assert all(count == "1" for _, count in lines), "module state survived from one import to the next"
        assert len({pid for pid, _ in lines}) == len(lines), "two gradings shared a process"
        children = procs.descendants(watch.pid)
        watch.send_signal(signal.SIGINT)
        out, _ = watch.communicate(timeout=30)
    finally:
        procs.kill_tree(watch)
    assert "Interrupted" in out
    assert wait_until(lambda: live_processes(children) == [], 10)


def _browser_pids(root: int) -> set[int]:
    """What is kept warm between saves by design: the Chromium's processes and the zygote."""
    found = set()
    for pid in procs.descendants(root):
        try:
            cmdline = open(f"/proc/{pid}/cmdline", "rb").read().decode(errors="replace")
            if "chrom" in cmdline or "checker.zygote" in cmdline:
                found.add(pid)
        except OSError:
            pass
    return found
