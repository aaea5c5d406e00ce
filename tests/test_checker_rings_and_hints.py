"""Staged grading, hint ladders, ``solution`` and ``reset``, and the time scale reaching every wait."""

from __future__ import annotations

import json
import multiprocessing
import re
import subprocess
import sys

from checker import catalog
from tests.helpers import ROOT, checker, checker_json, copy_tree
from workshop import paths

LESSONS = {lesson.id: lesson for lesson in catalog.load()}
CODE = re.compile(r"`|\w\(|\w\.\w+\(|\s=\s|==|\[\w*\]|\bdef\b|\breturn\b|\bimport\b")


def _break(tree, lesson, file, find, replace):
    path = lesson.exercise_dir(tree) / file
    text = path.read_text()
    assert text.count(find) == 1
    path.write_text(text.replace(find, replace))


def test_a_learner_run_waits_on_the_failing_ring_and_full_grading_runs_everything(tmp_path, state_dir):
    lesson = LESSONS["03"]
    tree = copy_tree(paths.SOLUTIONS, tmp_path / "tree", [lesson.slug])
    _break(tree, lesson, "handshake.py", "return base64", "return 'x' or base64")  # breaks accept_key (ring 1)
    learner = checker("03", "--target", str(tree), env=state_dir)
    assert learner.returncode == 1
    assert "waiting" in learner.stdout and "--full grades them anyway" in learner.stdout
    code, document = checker_json("03", "--target", str(tree), env=state_dir)
    statuses = {c["name"]: c["status"] for c in document["exercises"][0]["checks"]}
    assert "waiting" not in statuses.values()  # --json grades every ring: nothing is hidden from instructors
    assert statuses["accept_key"] == "fail"
    assert statuses["websockets_client"] in ("fail", "pass")
    full = checker("03", "--target", str(tree), "--full", env=state_dir)
    assert "waiting" not in full.stdout


def test_a_failing_run_shows_only_the_first_rung_and_hint_climbs_one_rung_at_a_time(state_dir):
    lesson = LESSONS["03"]
    first = lesson.check("accept_key")
    checker("03", env=state_dir)  # pristine: accept_key fails first
    code, document = checker_json("03", env=state_dir)
    check = document["exercises"][0]["checks"][0]
    assert check["hint"] == first.hints[0] and check["hint_rung"] == 1
    shown = []
    for rung in range(1, len(first.hints) + 1):
        out = checker("hint", "03", env=state_dir).stdout
        assert f"Hint {rung} of {len(first.hints)} for 03/accept_key" in out
        assert first.hints[rung - 1] in out
        assert all(earlier not in out for earlier in shown)  # earlier rungs are not repeated
        shown.append(first.hints[rung - 1])
    code, document = checker_json("03", env=state_dir)
    assert document["exercises"][0]["checks"][0]["hint_rung"] == len(first.hints)  # --json says how far


def test_no_first_rung_contains_code():
    offenders = {f"{l.id}/{c.name}": c.hints[0] for l in LESSONS.values() for c in l.checks if CODE.search(c.hints[0])}
    assert offenders == {}


def test_every_check_has_a_three_rung_ladder():
    short = {f"{l.id}/{c.name}": len(c.hints) for l in LESSONS.values() for c in l.checks if len(c.hints) < 3}
    assert short == {}


def test_solution_waits_until_the_exercise_passes(tmp_path, state_dir):
    tree = copy_tree(paths.SOLUTIONS, tmp_path / "tree", [LESSONS["03"].slug])
    early = checker("solution", "03", "--target", str(tree), env=state_dir)
    assert early.returncode == 1 and "does not pass yet" in early.stdout
    checker("03", "--target", str(tree), env=state_dir)
    after = checker("solution", "03", "--target", str(tree), env=state_dir)
    assert after.returncode == 0 and "the same as the reference" in after.stdout
    forced = checker("solution", "03", "--force", env=state_dir)
    assert "Warning" in forced.stdout and "+++ reference:" in forced.stdout


def test_solution_leaves_the_handouts_todo_comments_out_of_the_diff(tmp_path, state_dir):
    """A solved file that kept the stub's "# Your job" / "# TODO" lines diffs only on real code."""
    lesson = LESSONS["01"]
    tree = copy_tree(paths.SOLUTIONS, tmp_path / "tree", [lesson.slug])
    _break(tree, lesson, "polling.py", '"""\n\nfrom __future__',
           '"""\n\n# Your job: replace each `raise NotImplementedError` below.\n\nfrom __future__')
    _break(tree, lesson, "polling.py", "    return [message for message in messages if message.id > cursor]",
           "    # TODO: keep only the messages the client has not seen yet.\n    # my own note\n"
           "    return [m for m in messages if m.id > cursor]")
    shown = checker("solution", "01", "--force", "--target", str(tree), env=state_dir).stdout
    removed = [line for line in shown.splitlines() if line.startswith("-") and not line.startswith("---")]
    assert removed == ["-    # my own note", "-    return [m for m in messages if m.id > cursor]"], shown
    assert "2 comment line(s) of the handout's TODO scaffolding left out" in shown


def test_reset_asks_first_and_keeps_a_backup(state_dir):
    lesson = LESSONS["03"]
    path = lesson.exercise_dir(paths.EXERCISES) / "handshake.py"
    original = path.read_bytes()
    try:
        path.write_bytes(original + b"\n# my work\n")
        refused = checker("reset", "03", "handshake.py", env=state_dir)  # no terminal: it will not guess
        assert refused.returncode == 2 and path.read_bytes().endswith(b"# my work\n")
        done = checker("reset", "03", "handshake.py", "--yes", env=state_dir)
        assert done.returncode == 0 and path.read_bytes() == original
        backups = list((paths.REPO_ROOT / state_dir["WORKSHOP_STATE_DIR"]).rglob("handshake.py"))
        assert backups and backups[0].read_bytes().endswith(b"# my work\n")
    finally:
        path.write_bytes(original)


def _limits_said(message: str) -> list[float]:
    return [float(n) for n in re.findall(r"within (\d+(?:\.\d+)?) ?s", message)]


def test_a_small_time_scale_reaches_every_wait(tmp_path, state_dir):
    """With CHECKER_TIMEOUT_SCALE=0.2, a learner's endless loop times out at a fifth of the limit,
    and every limit a message names is within the scaled limit of its check."""
    lesson = LESSONS["03"]
    tree = copy_tree(paths.SOLUTIONS, tmp_path / "tree", [lesson.slug])
    _break(tree, lesson, "handshake.py", "return base64", "while True:\n        pass\n    return base64")
    env = {**state_dir, "CHECKER_TIMEOUT_SCALE": "0.2"}
    code, document = checker_json("03", "--target", str(tree), env=env)
    checks = {c["name"]: c for c in document["exercises"][0]["checks"]}
    limit = lesson.check("accept_key").timeout * 0.2
    assert checks["accept_key"]["status"] == "timeout"
    assert f"within {limit:g} s" in checks["accept_key"]["message"]
    for name, check in checks.items():
        scaled = lesson.check(name).timeout * 0.2
        assert all(said <= scaled + 1e-9 for said in _limits_said(check["message"])), (name, check["message"])


def _burn(seconds: float) -> None:
    import time

    end = time.monotonic() + seconds
    while time.monotonic() < end:
        pass


def test_a_large_time_scale_passes_on_a_loaded_machine(state_dir):
    burners = [multiprocessing.Process(target=_burn, args=(90,)) for _ in range(2)]
    for burner in burners:
        burner.start()
    try:
        code, document = checker_json("02", "--target", "solutions", env={**state_dir, "CHECKER_TIMEOUT_SCALE": "3"})
    finally:
        for burner in burners:
            burner.terminate()
            burner.join()
    problems = {c["name"]: c["message"] for c in document["exercises"][0]["checks"] if c["status"] != "pass"}
    assert problems == {} and code == 0


def test_the_checker_imports_nothing_from_the_current_folder(tmp_path):
    (tmp_path / "tomllib.py").write_text("raise SystemExit('the learner folder was imported')\n")
    (tmp_path / "json.py").write_text("raise SystemExit('the learner folder was imported')\n")
    done = subprocess.run([sys.executable, "-m", "checker", "list"], cwd=tmp_path, capture_output=True, text=True,
                          env={"PYTHONPATH": str(ROOT), "PATH": "/usr/bin:/bin", "WORKSHOP_STATE_DIR": str(tmp_path / "s")})
    assert done.returncode == 0, done.stderr
    assert "01" in done.stdout and json.dumps({}) == "{}"
