"""A learner's broken code never hangs or kills the checker (generated broken copies in a temp dir)."""

from __future__ import annotations

import hashlib
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.helpers import ROOT, checker, checker_json, copy_tree, live_processes, wait_until
from workshop import paths, procs

SLUG = "01-http-polling"
QUICK = {"CHECKER_LOAD_TIMEOUT": "6", "CHECKER_TIMEOUT_SCALE": "0.5"}


def _broken(tmp_path: Path, old: str, new: str, name: str = "polling.py") -> Path:
    target = copy_tree(paths.SOLUTIONS, tmp_path / "tree", [SLUG])
    path = target / SLUG / name
    text = path.read_text()
    assert old in text, f"{old!r} is not in {name}"
    path.write_text(text.replace(old, new, 1))
    return target


def _grade(target: Path, *more: str, env=None):
    return checker_json("01", "--target", str(target), *more, env={**QUICK, **(env or {})})


def _checks(document) -> dict[str, dict]:
    return {c["name"]: c for c in document["exercises"][0]["checks"]}


def _graded_checks(tmp_path: Path, state_dir, old: str, new: str) -> dict[str, dict]:
    """Grade lesson 01's solution with ``old`` replaced by ``new`` in polling.py; its checks by name."""
    _, document = _grade(_broken(tmp_path, old, new), env=state_dir)
    return _checks(document)


def test_a_syntax_error_is_an_error_with_file_and_line(tmp_path, state_dir):
    target = _broken(tmp_path, "    if value is None", "    if value is None\n        oops(")
    code, document = _grade(target, env=state_dir)
    assert code == 1
    exercise = document["exercises"][0]
    assert exercise["status"] == "error"
    for check in exercise["checks"]:
        assert check["status"] == "error"
        assert "polling.py, line" in check["message"], check["message"]
        assert "Traceback" not in check["message"]


def test_an_infinite_loop_at_import_times_out(tmp_path, state_dir):
    target = _broken(tmp_path, "DEFAULT_TIMEOUT = 25.0", "while True:\n    pass\nDEFAULT_TIMEOUT = 25.0")
    started = time.monotonic()
    code, document = _grade(target, env=state_dir)
    assert time.monotonic() - started < 30
    exercise = document["exercises"][0]
    assert exercise["status"] == "timeout"
    assert all(c["status"] == "timeout" for c in exercise["checks"])
    assert "importing" in exercise["checks"][0]["message"] and "infinite loop" in exercise["checks"][0]["message"]


def test_an_infinite_loop_in_one_function_times_out_that_check_only(tmp_path, state_dir):
    checks = _graded_checks(tmp_path, state_dir, "    if value is None or value == \"\":",
                            "    while True:\n        pass\n    if value is None or value == \"\":")
    assert checks["parse_cursor"]["status"] == "timeout"
    assert "parse_cursor" in checks["parse_cursor"]["message"]  # the last step names the call
    assert checks["messages_after"]["status"] == "pass"


def test_sys_exit_in_a_function_is_an_error_and_grading_goes_on(tmp_path, state_dir):
    checks = _graded_checks(tmp_path, state_dir, "    return [message for message in messages if message.id > cursor]",
                            "    import sys\n    sys.exit(3)")
    assert checks["messages_after"]["status"] == "error"
    assert "sys.exit(3)" in checks["messages_after"]["message"]
    assert checks["parse_cursor"]["status"] == "pass"
    others = [c["status"] for name, c in checks.items() if name not in ("parse_cursor", "messages_after")]
    assert others and set(others) <= {"pass", "fail"}, "the other checks were graded"


def test_a_hard_crash_is_an_error_and_the_next_checks_still_run(tmp_path, state_dir):
    checks = _graded_checks(tmp_path, state_dir, "    return _answer(messages_after(board.messages(), cursor), cursor)",
                            "    import os\n    os._exit(7)")
    assert checks["poll_endpoint"]["status"] == "error"
    assert "exit code 7" in checks["poll_endpoint"]["message"]
    assert checks["long_poll_wakes"]["status"] == "pass"


def test_an_exception_in_a_view_fails_with_the_learners_line(tmp_path, state_dir):
    check = _graded_checks(tmp_path, state_dir, "    return messages_after(store.messages(), cursor)",
                           "    return {}['boom']")["long_poll_wakes"]
    assert check["status"] == "fail"
    assert "KeyError" in check["message"] and "polling.py, line" in check["message"]


def test_one_broken_exercise_does_not_stop_the_others(tmp_path, state_dir):
    """Exercises graded together (as ``python -m checker`` does): a broken one is an error, its
    neighbours still pass. (Three quick lessons: every lesson is graded by tests/test_grading.py.)"""
    chosen = ["00-asyncio-primer", SLUG, "03-websocket-handshake"]
    target = copy_tree(paths.SOLUTIONS, tmp_path / "tree", chosen)
    (target / SLUG / "polling.py").write_text("this is not python\n")
    code, document = checker_json("00", "01", "03", "--target", str(target), env=state_dir)
    statuses = {e["id"]: e["status"] for e in document["exercises"]}
    assert statuses == {"00": "pass", "01": "error", "03": "pass"}, statuses
    assert code == 1


def _tree_digest(folder: Path) -> str:
    digest = hashlib.sha256()
    for path in sorted(folder.rglob("*")):
        if path.is_file() and "__pycache__" not in path.parts:
            digest.update(str(path.relative_to(folder)).encode() + path.read_bytes())
    return digest.hexdigest()


@pytest.mark.parametrize("tree", [paths.EXERCISES, paths.SOLUTIONS], ids=["exercises", "solutions"])
def test_grading_never_modifies_the_learners_files(tmp_path, state_dir, tree):
    target = copy_tree(tree, tmp_path / "tree")
    before = sorted(str(p.relative_to(target)) for p in target.rglob("*"))
    digest = _tree_digest(target)
    checker_json("--target", str(target), env=state_dir)
    assert _tree_digest(target) == digest
    assert sorted(str(p.relative_to(target)) for p in target.rglob("*")) == before, "no new files either"


def test_ctrl_c_stops_the_checker_and_everything_it_started(tmp_path, state_dir):
    target = _broken(tmp_path, "    if value is None or value == \"\":", "    while True:\n        pass\n    if value is None or value == \"\":")
    proc = subprocess.Popen([sys.executable, "-m", "checker", "01", "--target", str(target)], cwd=ROOT,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            env={**__import__("os").environ, **state_dir})
    try:
        deadline = time.monotonic() + 20
        seen: set[int] = set()
        while time.monotonic() < deadline and not seen:
            time.sleep(0.3)
            seen = procs.descendants(proc.pid)
        assert seen, "the checker started no worker"
        time.sleep(1.0)
        seen |= procs.descendants(proc.pid)
        proc.send_signal(signal.SIGINT)
        out, err = proc.communicate(timeout=15)
    finally:
        procs.kill_tree(proc)
    assert proc.returncode == 130
    assert "Interrupted" in err
    assert wait_until(lambda: live_processes(seen) == [], 10)


def test_serve_on_a_busy_port_says_so(tmp_path):
    import socket

    with socket.socket() as blocker:
        blocker.bind(("127.0.0.1", 0))
        blocker.listen()
        port = blocker.getsockname()[1]
        done = checker("serve", "01", "--port", str(port), timeout=30)
    assert done.returncode == 1
    assert f"Port {port}" in done.stderr and "--port" in done.stderr


@pytest.mark.parametrize("args, words", [
    (["99"], "no exercise '99'"),
    (["--target", "no-such-folder"], "no such folder"),
    (["--no-such-flag"], "unrecognized arguments"),
    (["hint"], "required"),
])
def test_usage_errors_exit_2_with_a_message(args, words):
    done = checker(*args, timeout=30)
    assert done.returncode == 2
    assert words in done.stderr
