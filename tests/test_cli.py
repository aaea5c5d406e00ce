"""The checker's commands as a learner and an instructor use them."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request

from tests.helpers import ROOT, checker, live_processes, wait_until
from workshop import net, procs


def test_human_output_has_a_table_the_first_problem_and_progress(state_dir):
    done = checker("01", env=state_dir)
    assert done.returncode == 1
    out = done.stdout
    assert "\x1b[" not in out, "no colours when the output is not a terminal"
    assert re.search(r"0/7 checks passed, 0/\d+ points: fail", out)
    assert "First problem" in out and "Hint:" in out
    assert re.search(r"Progress: 0/1 exercises complete, 0/\d+ points\.", out)
    assert "python -m checker hint 01" in out


def test_colours_when_forced(state_dir):
    done = checker("01", "--target", "solutions", env={**state_dir, "FORCE_COLOR": "1"})
    assert done.returncode == 0
    assert "\x1b[32m" in done.stdout


def test_list_shows_the_last_status(state_dir, exercises):
    before = checker("list", env=state_dir)
    assert before.returncode == 0
    assert before.stdout.count("not graded yet") == len(exercises)
    checker("01", "--target", "solutions", env=state_dir)
    after = checker("list", "--target", "solutions", env=state_dir)
    assert re.search(r"^01\s+HTTP polling\s+pass\s+100/100", after.stdout, re.M)


def test_hints_come_one_at_a_time(state_dir, exercises):
    hints = next(e for e in exercises if e.id == "01").hints
    first = checker("hint", "01", env=state_dir).stdout
    assert f"Hint 1 of {len(hints)}" in first and "Hint 2 of" not in first
    second = checker("hint", "1", env=state_dir).stdout
    assert f"Hint 2 of {len(hints)}" in second and "again for the next hint" in second
    for _ in hints:
        last = checker("hint", "01-http-polling", env=state_dir).stdout
    assert "That was the last hint" in last
    checker("hint", "01", "--reset", env=state_dir)
    assert "Hint 2 of" not in checker("hint", "01", env=state_dir).stdout


def test_serve_runs_the_demo_and_stops_cleanly_on_ctrl_c():
    port = net.free_port()
    proc = subprocess.Popen([sys.executable, "-m", "checker", "serve", "01", "--target", "solutions", "--port",
                             str(port)], cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        assert net.wait_for_port(port, timeout=20), "the demo never listened"
        page = urllib.request.urlopen(f"http://127.0.0.1:{port}/?mode=long", timeout=5).read().decode()
        assert "Message board" in page
        request = urllib.request.Request(f"http://127.0.0.1:{port}/api/messages", data=b"author=me&text=hello",
                                         method="POST")
        assert urllib.request.urlopen(request, timeout=5).status == 201
        answer = urllib.request.urlopen(f"http://127.0.0.1:{port}/api/messages?after=0", timeout=5).read()
        assert b"hello" in answer
        children = procs.descendants(proc.pid)
        proc.send_signal(signal.SIGINT)
        out, _ = proc.communicate(timeout=15)
    finally:
        procs.kill_tree(proc)
    assert proc.returncode == 0, out
    assert f"http://127.0.0.1:{port}/" in out
    assert "Ctrl-C" in out
    assert wait_until(lambda: live_processes(children) == [], 10)
    assert net.port_is_free(port)


def test_doctor_reports_on_the_machine():
    done = checker("doctor", timeout=60)
    assert "Python" in done.stdout and "Redis" in done.stdout and "Browser" in done.stdout
    assert done.returncode == 0, done.stdout


def test_watch_grades_again_after_a_save(tmp_path, state_dir):
    from tests.helpers import copy_tree
    from workshop import paths

    target = copy_tree(paths.EXERCISES, tmp_path / "tree", ["01-http-polling"])
    log = tmp_path / "watch.log"
    with open(log, "w") as out:
        proc = procs.spawn([sys.executable, "-m", "checker", "watch", "01", "--target", str(target), "--interval",
                            "0.2"], cwd=ROOT, stdout=out, stderr=subprocess.STDOUT,
                           env={**os.environ, **state_dir, "CHECKER_TIMEOUT_SCALE": "0.5"})
    try:
        deadline = time.monotonic() + 60
        while "Watching" not in log.read_text() and time.monotonic() < deadline:
            time.sleep(0.2)
        assert log.read_text().count("0/7 checks passed") == 1
        solution = (paths.SOLUTIONS / "01-http-polling" / "polling.py").read_text()
        (target / "01-http-polling" / "polling.py").write_text(solution)
        while log.read_text().count("Watching") < 2 and time.monotonic() < deadline:
            time.sleep(0.2)
        text = log.read_text()
        assert text.count("Watching") == 2, text
        assert "5/7 checks passed" in text  # the Python checks pass now; poll_client.js is still a stub
    finally:
        procs.stop_tree(proc)


def test_room_grades_every_learner_into_a_csv(tmp_path, state_dir):
    import csv

    from tests.helpers import copy_tree
    from workshop import paths

    copy_tree(paths.SOLUTIONS, tmp_path / "room" / "ada" / "exercises", ["01-http-polling"])
    copy_tree(paths.EXERCISES, tmp_path / "room" / "bob", ["01-http-polling"])
    out = tmp_path / "scores.csv"
    done = checker("room", str(tmp_path / "room"), "01", "--csv", str(out), env=state_dir)
    assert done.returncode == 0, done.stderr
    rows = list(csv.reader(out.open()))
    assert rows[0] == ["learner", "01 (100)", "total", "complete"]
    assert rows[1] == ["ada", "100", "100", "1/1"]
    assert rows[2] == ["bob", "0", "0", "0/1"]


def _serve_and_stop(exercise_id: str) -> tuple[int, str, int]:
    """Serve a lesson's demo, wait for its banner (printed once every server is ready), GET /, Ctrl-C."""
    import threading

    port = net.free_port()  # a demo's other ports are free ports of its own choosing
    proc = subprocess.Popen([sys.executable, "-m", "checker", "serve", exercise_id, "--target", "solutions", "--port",
                             str(port)], cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    lines: list[str] = []
    banner = threading.Event()

    def read() -> None:
        for line in proc.stdout:
            lines.append(line)
            if f"127.0.0.1:{port}" in line and "Serving lesson" not in line:
                banner.set()

    reader = threading.Thread(target=read, daemon=True)
    reader.start()
    try:
        assert banner.wait(60), f"lesson {exercise_id}'s demo never printed its URL:\n{''.join(lines)}"
        assert net.wait_for_port(port, timeout=30), f"lesson {exercise_id}'s demo never listened"
        try:
            status = urllib.request.urlopen(f"http://127.0.0.1:{port}/", timeout=10).status
        except urllib.error.HTTPError as err:
            status = err.code
        children = procs.descendants(proc.pid)
        proc.send_signal(signal.SIGINT)
        proc.wait(timeout=30)
        reader.join(10)
    finally:
        procs.kill_tree(proc)
    assert wait_until(lambda: live_processes(children) == [], 10), f"lesson {exercise_id}'s demo left processes behind"
    return proc.returncode, "".join(lines), status


def test_every_lessons_demo_serves_its_page_and_stops_on_ctrl_c(exercises):
    for exercise in exercises:
        code, out, status = _serve_and_stop(exercise.id)
        assert code == 0, out
        assert status == 200, f"lesson {exercise.id}: GET / answered {status}"
        assert "http://127.0.0.1:" in out
