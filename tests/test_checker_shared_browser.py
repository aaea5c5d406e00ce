"""One Chromium per grading run (``checker.shared_browser``): used by every browser check, never left behind."""

from __future__ import annotations

import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from checker import catalog
from checker.api import Context
from checker.pipeline import WorkerSpec
from tests.helpers import ROOT, live_processes
from workshop import browser, net, paths, procs

pytestmark = [
    pytest.mark.skipif(browser.find_chromium() is None, reason="no Chromium on this machine"),
    pytest.mark.skipif(not Path("/proc").is_dir(), reason="reads command lines from /proc (Linux)"),
]


def chromium_mains(root: int) -> dict[int, str]:
    """Chromium browser processes under ``root``: "shared" (the runner's, DevTools on a port) or "own"
    (launched by Playwright in a grading process, DevTools on a pipe)."""
    found = {}
    for pid in procs.descendants(root):
        try:
            argv = Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0")
        except OSError:
            continue
        if any(arg.startswith(b"--remote-debugging-port=") for arg in argv):
            found[pid] = "shared"
        elif b"--remote-debugging-pipe" in argv:
            found[pid] = "own"
    return found


def watch_grading(args, until=lambda seen: False, limit: float = 120):
    """Run ``python -m checker *args``, noting every Chromium it starts, until it ends or ``until(seen)``."""
    proc = procs.spawn([sys.executable, "-m", "checker", *args], cwd=ROOT, stdout=subprocess.PIPE,
                       stderr=subprocess.STDOUT, text=True)
    seen: dict[int, str] = {}
    tree: set[int] = set()
    deadline = time.monotonic() + limit
    try:
        while proc.poll() is None and time.monotonic() < deadline and not until(seen):
            tree |= procs.descendants(proc.pid)
            seen.update(chromium_mains(proc.pid))
            time.sleep(0.05)
    except BaseException:
        procs.kill_tree(proc)
        raise
    return proc, seen, tree


def test_every_browser_check_of_a_full_grading_uses_one_chromium_which_stops_with_it():
    # 03 has two browser checks; "all" would take a minute: two exercises with browser checks show the sharing.
    proc, seen, tree = watch_grading(["01", "03", "--target", "solutions", "--full"])
    out, _ = proc.communicate(timeout=120)
    assert proc.returncode == 0, out
    assert list(seen.values()) == ["shared"], f"expected one runner-started Chromium, saw {seen}"
    time.sleep(0.2)
    assert live_processes(tree) == [], "the grading left processes behind"


def test_ctrl_c_during_a_full_grading_stops_the_shared_chromium():
    proc, seen, tree = watch_grading(["02", "--target", "solutions", "--full"], until=lambda seen: bool(seen))
    assert seen, "no Chromium was started for 02's browser checks"
    tree |= procs.descendants(proc.pid)
    proc.send_signal(signal.SIGINT)
    try:
        proc.communicate(timeout=30)
    finally:
        procs.kill_tree(proc)
    time.sleep(0.3)
    assert live_processes(tree) == [], "Ctrl-C left processes behind"


def test_a_grading_told_of_a_browser_that_never_answers_launches_its_own():
    lesson = catalog.find(catalog.load(), "03")
    silent = f"http://127.0.0.1:{net.free_port()}"  # nothing listens there
    ctx = Context(lesson=lesson, exercise_dir=lesson.exercise_dir(paths.SOLUTIONS), timeout_scale=0.2,
                  emit=lambda event: None, cdp_url=silent)
    ctx.begin_check(lesson.check("browser_echo"))
    try:
        page = ctx.new_page()
        page.set_content("<p id=x>launched</p>")
        assert page.inner_text("#x", timeout=10_000) == "launched"
    finally:
        ctx.end_check()
        ctx.close()


def test_the_grading_process_is_told_the_browser_url():
    spec = WorkerSpec(lesson="03", exercise_dir=Path("x"), checks=("a",), timeout_scale=1.0, fd=3,
                      browser="http://127.0.0.1:9")
    assert WorkerSpec.decode(spec.encode()) == spec
