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
from tests.helpers import ROOT, live_processes, wait_until
from workshop import browser, net, paths, procs

pytestmark = [
    pytest.mark.skipif(browser.find_chromium() is None, reason="no Chromium on this machine"),
    pytest.mark.skipif(not Path("/proc").is_dir(), reason="reads command lines from /proc (Linux)"),
]


def chromium_browsers(root: int) -> set[str]:
    """The Chromium browsers under ``root``, by how DevTools reaches them: "port N" for the runner's,
    "pipe" for one a grading process launched through Playwright. (Told apart by that switch, not
    by pid: a browser briefly forks copies of itself, and Debian's launcher script forks subshells.)"""
    found = set()
    for pid in procs.descendants(root):
        try:
            argv = Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0")
        except OSError:
            continue
        if any(arg.startswith(b"--type=") for arg in argv):
            continue  # a renderer, zygote or GPU helper: some carry the browser's switches too
        port = next((arg for arg in argv if arg.startswith(b"--remote-debugging-port=")), None)
        if port is not None:
            found.add(f"port {port.split(b'=', 1)[1].decode()}")
        elif b"--remote-debugging-pipe" in argv:
            found.add("pipe")
    return found


def watch_grading(args, until=lambda seen: False, limit: float = 120):
    """Run ``python -m checker *args``, noting every Chromium it starts, until it ends or ``until(seen)``."""
    proc = procs.spawn([sys.executable, "-m", "checker", *args], cwd=ROOT, stdout=subprocess.PIPE,
                       stderr=subprocess.STDOUT, text=True)
    seen: set[str] = set()
    tree: set[int] = set()
    deadline = time.monotonic() + limit
    try:
        while proc.poll() is None and time.monotonic() < deadline and not until(seen):
            tree |= procs.descendants(proc.pid)
            seen |= chromium_browsers(proc.pid)
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
    assert len(seen) == 1 and "pipe" not in seen, f"expected one runner-started Chromium, saw {seen}"
    assert wait_until(lambda: live_processes(tree) == [], 10), "the grading left processes behind"


def test_ctrl_c_during_a_full_grading_stops_the_shared_chromium():
    proc, seen, tree = watch_grading(["02", "--target", "solutions", "--full"], until=lambda seen: bool(seen))
    assert seen, "no Chromium was started for 02's browser checks"
    tree |= procs.descendants(proc.pid)
    proc.send_signal(signal.SIGINT)
    try:
        proc.communicate(timeout=30)
    finally:
        procs.kill_tree(proc)
    assert wait_until(lambda: live_processes(tree) == [], 10), "Ctrl-C left processes behind"


def test_a_grading_told_of_a_browser_that_never_answers_launches_its_own():
    lesson = catalog.find(catalog.load(), "03")
    silent = f"http://127.0.0.1:{net.free_port()}"  # nothing listens there
    ctx = Context(lesson=lesson, exercise_dir=lesson.exercise_dir(paths.SOLUTIONS), timeout_scale=0.2,
                  emit=lambda event: None, cdp_url=silent)
    ctx.begin_check(lesson.check("browser_echo"))
    try:
        page = ctx.new_page()
        page.set_content("<p id=x>launched</p>", timeout=10_000)  # the scale of 0.2 is for the DevTools wait only
        assert page.inner_text("#x", timeout=10_000) == "launched"
    finally:
        ctx.end_check()
        ctx.close()


def test_the_grading_process_is_told_the_browser_url():
    spec = WorkerSpec(lesson="03", exercise_dir=Path("x"), checks=("a",), timeout_scale=1.0, fd=3,
                      browser="http://127.0.0.1:9")
    assert WorkerSpec.decode(spec.encode()) == spec


@pytest.mark.skipif(not net.CAN_HOLD_PORTS, reason="ports are held on Linux only")
def test_the_devtools_port_is_nobody_elses_from_the_moment_it_is_named_and_chromium_binds_it():
    """The gradings are told the URL before Chromium starts; meanwhile no other bind may take the port."""
    import socket
    import urllib.request

    from checker.shared_browser import SharedBrowser

    shared = SharedBrowser()
    shared.hold()
    port = int(shared.url().rsplit(":", 1)[1])
    with socket.socket() as stranger, pytest.raises(OSError):
        stranger.bind(("127.0.0.1", port))
    shared.start()
    try:
        assert net.wait_for_port(port, timeout=30)
        with urllib.request.urlopen(f"{shared.url()}/json/version", timeout=10) as answer:
            assert b"Browser" in answer.read()  # Chromium's DevTools, not a stranger
    finally:
        shared.kill()

    def plain_bind_works() -> bool:  # without SO_REUSEADDR, which a held port refuses
        with socket.socket() as probe:
            try:
                probe.bind(("127.0.0.1", port))
            except OSError:
                return False
        return True

    assert wait_until(plain_bind_works, 10)  # let go of when the run ends (and Chromium is gone)
