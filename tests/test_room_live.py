"""The live room (``python -m checker room serve``), with real parts only: the dashboard as a
subprocess (Daphne, Redis), learners as ``python -m checker`` processes and as the reporter the
checker uses, and headless Chromium as the instructor's screen."""

from __future__ import annotations

import csv
import io
import json
import os
import re
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from checker import catalog
from checker.commands.room import csv_header
from checker.live import reporter
from checker.pipeline import CheckResult, ExerciseResult, Status
from tests.conftest import browser_required
from tests.helpers import ROOT, checker
from workshop import browser, net, procs

CODE = "ROOM-2468"
TOKEN = "instructor-token-for-the-tests"
MALICIOUS = "<img src=x onerror=alert(1)>"
LOADED = {"CHECKER_TIMEOUT_SCALE": "3"}  # other tests share these two cores
ROWS_JS = """() => Array.from(document.querySelectorAll('#grid tbody tr')).map(tr => ({
  name: tr.querySelector('td.name').textContent,
  cells: Object.fromEntries(Array.from(tr.querySelectorAll('td[data-exercise]')).map(td => [td.dataset.exercise,
    {status: td.dataset.status, text: td.textContent, title: td.title, failing: td.dataset.failing || ''}]))}))"""


class Dashboard:
    """``python -m checker room serve`` as an instructor runs it, with its own state folder."""

    def __init__(self, state_dir: Path, port: int | None = None):
        self.state_dir, self.port, self.proc = state_dir, port or net.free_port(), None
        self.url = f"http://127.0.0.1:{self.port}/"

    def start(self, *extra: str) -> "Dashboard":
        self.state_dir.mkdir(parents=True, exist_ok=True)
        self.log = self.state_dir / f"serve-{time.monotonic_ns()}.out"
        with open(self.log, "w") as out:
            self.proc = procs.spawn([sys.executable, "-m", "checker", "room", "serve", "--port", str(self.port),
                                     "--stuck-minutes", "0.01", *extra], cwd=ROOT, stdout=out,
                                    stderr=subprocess.STDOUT, env={**os.environ, "WORKSHOP_STATE_DIR": str(self.state_dir)})
        deadline = time.monotonic() + 60
        while "Join code:" not in self.output():
            assert self.proc.poll() is None and time.monotonic() < deadline, f"room serve did not start:\n{self.output()}"
            time.sleep(0.1)
        return self

    def output(self) -> str:
        return self.log.read_text()

    def banner(self, pattern: str) -> str:
        return re.search(pattern, self.output()).group(1)

    def crash(self) -> int:
        """SIGKILL the Daphne process, as a crash would; ``room serve`` notices and exits."""
        daphne = [pid for pid in procs.descendants(self.proc.pid) if b"daphne" in Path(f"/proc/{pid}/cmdline").read_bytes()]
        assert daphne, "no Daphne process under room serve"
        os.kill(daphne[0], signal.SIGKILL)
        return self.proc.wait(timeout=30)

    def stop(self) -> None:
        if self.proc is not None:
            procs.stop_tree(self.proc)


def fetch(url: str, data: bytes | None = None, headers: dict | None = None) -> tuple[int, bytes]:
    request = urllib.request.Request(url, data=data, headers=headers or {}, method="POST" if data is not None else "GET")
    try:
        with urllib.request.urlopen(request, timeout=15) as answer:
            return answer.status, answer.read()
    except urllib.error.HTTPError as err:
        return err.code, err.read()


def csv_rows(dashboard: Dashboard, token: str = TOKEN) -> list[list[str]]:
    status, body = fetch(f"{dashboard.url}export.csv?token={token}")
    assert status == 200
    return list(csv.reader(io.StringIO(body.decode())))


def score(table: list[list[str]], learner: str, lesson) -> str:
    """``learner``'s score for ``lesson`` in an exported CSV."""
    column = table[0].index(f"{lesson.id} ({lesson.max_score})")
    return next(row[column] for row in table[1:] if row[0] == learner)


def synthetic(lesson, failing_at: int | None) -> ExerciseResult:
    """A graded exercise: checks before ``failing_at`` pass, that one fails, the rest wait."""
    checks = []
    for index, check in enumerate(lesson.checks):
        status = Status.PASS if failing_at is None or index < failing_at else (
            Status.FAIL if index == failing_at else Status.WAITING)
        checks.append(CheckResult(check.name, check.title, status, check.points, message="private detail"))
    return ExerciseResult(lesson.id, lesson.slug, lesson.title, checks)


def first_failing(checks: dict) -> str | None:
    return next((name for name, value in checks.items() if Status(value).is_problem), None)


@pytest.fixture(scope="module")
def lessons():
    return catalog.load()


@pytest.fixture(scope="module")
def lesson03(lessons):
    return catalog.find(lessons, "03")


@pytest.fixture(scope="module")
def room(tmp_path_factory):
    dashboard = Dashboard(tmp_path_factory.mktemp("instructor"))
    try:
        yield dashboard.start("--code", CODE, "--token", TOKEN)
    finally:
        dashboard.stop()


@pytest.fixture(scope="module")
def chromium():
    if browser.find_chromium() is None:
        if browser_required():
            pytest.fail(browser.install_instructions())
        pytest.skip("no Chromium on this machine")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chrome = browser.launch(playwright)
        try:
            yield chrome
        finally:
            chrome.close()


def open_dashboard(chromium, dashboard: Dashboard, token: str = TOKEN):
    # bypass_csp: Playwright's polling waits evaluate strings, which the page's CSP forbids. It also
    # means the escaping checks below do not lean on the CSP: an innerHTML slip would run.
    page = chromium.new_page(viewport={"width": 1400, "height": 1100}, bypass_csp=True)
    page.dialogs = []
    page.on("dialog", lambda dialog: (page.dialogs.append(dialog.message), dialog.dismiss()))
    page.goto(f"{dashboard.url}?token={token}")
    page.wait_for_selector("body[data-connected=yes]", timeout=15_000)
    return page


def watch_until_reported(folder: Path, env: dict) -> str:
    """``python -m checker watch 03`` until its first grading has gone to the room; its output."""
    out_path = folder / "watch.out"
    with open(out_path, "w") as out:
        proc = procs.spawn([sys.executable, "-m", "checker", "watch", "03"], cwd=ROOT, stdout=out,
                           stderr=subprocess.STDOUT, env={**os.environ, **env})
    try:
        deadline = time.monotonic() + 180
        while "Live room:" not in out_path.read_text():
            assert proc.poll() is None and time.monotonic() < deadline, out_path.read_text()
            time.sleep(0.2)
    finally:
        procs.stop_tree(proc)
    return out_path.read_text()


def test_thirty_learners_fill_the_grid_live(room, chromium, tmp_path, lessons, lesson03, monkeypatch):
    monkeypatch.setenv("CHECKER_TIMEOUT_SCALE", "3")  # the in-process reporters wait up to 3 s, as on a slow laptop
    page = open_dashboard(chromium, room)

    def real(name: str):
        env = {"WORKSHOP_STATE_DIR": str(tmp_path / name), **LOADED}
        joined = checker("join", room.url, CODE, "--name", name, env=env)
        assert joined.returncode == 0, joined.stderr
        if name == "Cy":  # the other two hooks: watch, then a hint request
            assert "Live room: status sent" in watch_until_reported(tmp_path / name, env)
            hinted = checker("hint", "03", env=env)
            assert "Live room: status sent" in hinted.stdout, hinted.stdout
            return hinted
        graded = checker("03", *(["--target", "solutions"] if name == "Ada" else []), env=env)
        assert "Live room: status sent" in graded.stdout, graded.stdout + graded.stderr
        return graded

    def simulated(i: int) -> str:
        folder = tmp_path / f"sim{i:02d}"
        reporter.join(room.url, CODE, MALICIOUS if i == 0 else f"learner {i:02d}", state_dir=folder)
        return reporter.report_results([synthetic(lesson03, None if i % 5 == 4 else i % 3)], state_dir=folder)

    with ThreadPoolExecutor(max_workers=30) as pool:
        reals = {name: pool.submit(real, name) for name in ("Ada", "Bob", "Cy")}
        outcomes = list(pool.map(simulated, range(27)))
        assert reals["Ada"].result().returncode == 0
        assert reals["Bob"].result().returncode == 1
        reals["Cy"].result()
    assert outcomes == ["delivered"] * 27

    page.wait_for_function("document.querySelectorAll('#grid tbody tr').length === 30", timeout=20_000)
    rows = {row["name"]: row["cells"] for row in page.evaluate(ROWS_JS)}
    assert rows["Ada"]["03"]["status"] == "pass" and rows["Ada"]["03"]["text"] == "100"
    bob = json.loads((tmp_path / "Bob" / reporter.QUEUE_FILE).read_text())["statuses"]["03"]["checks"]
    assert rows["Bob"]["03"]["status"] == "fail"
    assert rows["Bob"]["03"]["failing"] == first_failing(bob)
    assert lesson03.check(first_failing(bob)).title in rows["Bob"]["03"]["title"]  # what hovering shows
    assert "hints read: 1" in rows["Cy"]["03"]["title"]
    assert rows["learner 04"]["03"]["status"] == "pass" and rows["learner 01"]["01"]["status"] == "none"

    # A name made of markup is shown as text, and nothing ran.
    assert MALICIOUS in rows
    assert page.locator("#grid img").count() == 0 and page.dialogs == []

    # Stuck (the same failing check for 0.01 min) and the room's most common failing check.
    page.wait_for_function("Array.from(document.querySelectorAll('#stuck li')).some(li => li.textContent.includes('Bob'))",
                           timeout=10_000)
    queues = [json.loads(p.read_text())["statuses"]["03"]["checks"] for p in tmp_path.glob(f"*/{reporter.QUEUE_FILE}")]
    (top, count), (_, runner_up) = Counter(filter(None, map(first_failing, queues))).most_common(2)
    assert count > runner_up
    common = page.locator("#common").text_content()
    assert lesson03.check(top).title in common and lesson03.check(top).hint in common
    assert f"{count} learners" in common

    # A new grading reaches the page over the WebSocket.
    started = time.monotonic()
    assert reporter.report_results([synthetic(lesson03, None)], state_dir=tmp_path / "sim01") == "delivered"
    page.wait_for_function("""() => Array.from(document.querySelectorAll('#grid tbody tr')).some(tr =>
        tr.querySelector('td.name').textContent === 'learner 01'
        && tr.querySelector('td[data-exercise="03"]').dataset.status === 'pass')""", timeout=10_000)
    print(f"\nlive update: grading reported -> cell repainted in {1000 * (time.monotonic() - started):.0f} ms")
    assert page.locator("#progress polyline").count() == 1
    assert "exercises complete" in page.locator("#progress-label").text_content()
    shot = tmp_path / "live-room.png"
    page.screenshot(path=str(shot), full_page=True)
    print(f"screenshot: {shot}")

    # The CSV has the shape of `room DIR --csv`.
    table = csv_rows(room)
    assert table[0] == csv_header(lessons) and len(table) == 31
    assert score(table, "Ada", lesson03) == "100" and score(table, "Bob", lesson03) == "0"
    assert [row[-1] for row in table if row[0] == "Ada"] == [f"1/{len(lessons)}"]
    assert MALICIOUS in [row[0] for row in table]
    page.close()


def test_wrong_codes_tokens_origins_sizes_and_rates_are_refused(room, tmp_path):
    learner = tmp_path / "learner"
    wrong = checker("join", room.url, "WRONG-CODE", "--name", "Eve", env={"WORKSHOP_STATE_DIR": str(learner)})
    assert wrong.returncode == 1 and "wrong join code" in wrong.stderr and "403" in wrong.stderr
    assert not (learner / reporter.JOIN_FILE).exists()
    body = json.dumps({"learner": "ab" * 8, "name": "Eve", "statuses": []}).encode()
    assert fetch(room.url + "api/status", body, {"X-Room-Code": "WRONG"})[0] == 403
    assert fetch(room.url + "api/status", body, {"X-Room-Code": CODE, "Origin": "http://evil.example"})[0] == 403
    assert fetch(room.url + "api/status", body, {"X-Room-Code": CODE, "Origin": f"https://127.0.0.1:{room.port}"})[0] == 403
    assert fetch(room.url + "api/status", body, {"X-Room-Code": CODE, "Host": "rebound.example"})[0] == 400
    assert fetch(room.url + "api/status", body, {"X-Room-Code": CODE.lower().replace("-", " ")})[0] == 200
    too_big = json.dumps({"learner": "ab" * 8, "name": "x" * 17_000}).encode()
    assert fetch(room.url + "api/status", too_big, {"X-Room-Code": CODE})[0] == 413
    assert fetch(room.url + "api/status", b'{"learner": "../etc", "name": "x"}', {"X-Room-Code": CODE})[0] == 400
    answers = [fetch(room.url + "api/status", json.dumps({"learner": "cd" * 8, "name": "Spam"}).encode(),
                     {"X-Room-Code": CODE})[0] for _ in range(15)]
    assert 429 in answers and answers[0] == 200
    assert fetch(room.url)[0] == 403 and fetch(room.url + "?token=nope")[0] == 403
    assert fetch(room.url + "export.csv?token=nope")[0] == 403

    from websockets.exceptions import ConnectionClosed, InvalidStatus
    from websockets.sync.client import connect

    ws = f"ws://127.0.0.1:{room.port}/ws/room/"
    with connect(f"{ws}?token=nope", origin=f"http://127.0.0.1:{room.port}", open_timeout=10) as socket_:
        with pytest.raises(ConnectionClosed) as closed:
            socket_.recv(timeout=10)
    assert closed.value.rcvd.code == 4403  # the page explains it (Daphne 4.2 sends no reason text)
    for origin in ("http://evil.example", f"http://127.0.0.1:{room.port + 1}", f"https://127.0.0.1:{room.port}"):
        with pytest.raises(InvalidStatus) as refused:
            connect(f"{ws}?token={TOKEN}", origin=origin, open_timeout=10)
        assert refused.value.response.status_code == 403
    with connect(f"{ws}?token={TOKEN}", origin=f"http://localhost:{room.port}", open_timeout=10) as socket_:
        assert json.loads(socket_.recv(timeout=10))["type"] == "room"


def test_reporting_is_bounded_queued_and_resent(room, tmp_path, lesson03):
    folder = tmp_path / "me"
    assert reporter.report_results([synthetic(lesson03, 0)], state_dir=folder) == "off"
    assert not folder.exists(), "nothing is written before joining"
    reporter.join(room.url, CODE, "Queued Learner", state_dir=folder)
    config_path = folder / reporter.JOIN_FILE
    config = json.loads(config_path.read_text())

    config_path.write_text(json.dumps({**config, "url": f"http://127.0.0.1:{net.free_port()}/"}))  # down
    started = time.monotonic()
    outcome = reporter.report_results([synthetic(lesson03, 2)], state_dir=folder)
    print(f"\nreport to a stopped dashboard returned after {time.monotonic() - started:.3f} s: {outcome}")
    assert outcome.startswith("queued: the dashboard is unreachable")
    assert reporter.pending(folder) == ["03"]
    with socket.socket() as silent:  # up but never answers
        silent.bind((net.LOOPBACK, 0))
        silent.listen(8)
        config_path.write_text(json.dumps({**config, "url": f"http://127.0.0.1:{silent.getsockname()[1]}/"}))
        started = time.monotonic()
        outcome = reporter.report_results([synthetic(lesson03, 3)], state_dir=folder, budget=0.3)
        print(f"\nreport to a silent dashboard returned after {time.monotonic() - started:.2f} s: {outcome}")
        assert outcome == "queued: the dashboard did not answer within 0.3 s"

    queued = json.loads((folder / reporter.QUEUE_FILE).read_text())["statuses"]["03"]
    assert set(queued) == {"exercise", "time", "hint_rung", "score", "max_score", "checks"}
    assert "private detail" not in (folder / reporter.QUEUE_FILE).read_text()

    config_path.write_text(json.dumps(config))  # back: the next report sends the queue
    assert reporter.report_hint("03", state_dir=folder) == "delivered"
    assert reporter.pending(folder) == []
    assert score(csv_rows(room), "Queued Learner", lesson03) == str(sum(c.points for c in lesson03.checks[:3]))
    assert reporter.leave(folder) and reporter.joined(folder) is None
    assert reporter.report_results([synthetic(lesson03, None)], state_dir=folder) == "off"


def test_a_crashed_dashboard_never_breaks_grading_and_is_refilled(chromium, tmp_path, lesson03, monkeypatch):
    monkeypatch.setenv("CHECKER_TIMEOUT_SCALE", "3")
    dashboard = Dashboard(tmp_path / "instructor").start()  # a code and token of its own, remembered
    code, token = dashboard.banner(r"Join code: (\S+)"), dashboard.banner(r"\?token=(\S+)")
    learners = {"Ada": ["03", "--target", "solutions"], "Bob": ["03"]}
    envs = {name: {"WORKSHOP_STATE_DIR": str(tmp_path / name), **LOADED} for name in learners}
    simulated = [tmp_path / f"sim{i}" for i in range(8)]
    progress = re.compile(r"^Progress: .*$", re.M)

    def grade_both():
        def grade(name):
            started = time.monotonic()
            return checker(*learners[name], env=envs[name]), time.monotonic() - started
        with ThreadPoolExecutor(max_workers=2) as pool:
            return dict(zip(learners, pool.map(grade, learners)))
    try:
        page = open_dashboard(chromium, dashboard, token)
        for name in learners:
            assert checker("join", dashboard.url, code, "--name", name, env=envs[name]).returncode == 0
        for i, folder in enumerate(simulated):
            reporter.join(dashboard.url, code, f"sim {i}", state_dir=folder)
            assert reporter.report_results([synthetic(lesson03, i % 4)], state_dir=folder) == "delivered"
        before = grade_both()
        page.wait_for_function("document.querySelectorAll('#grid tbody tr').length === 10", timeout=20_000)

        assert dashboard.crash() == 1, dashboard.output()
        page.wait_for_selector("body[data-connected=no]", timeout=15_000)
        for name, (done, seconds) in grade_both().items():  # on a loaded machine the times vary a lot
            print(f"\n{name} graded in {before[name][1]:.1f} s with the dashboard up, {seconds:.1f} s with it down")
            assert done.returncode == before[name][0].returncode
            assert progress.findall(done.stdout) == progress.findall(before[name][0].stdout)
            assert "Live room: queued: the dashboard is unreachable" in done.stdout
        one = catalog.find(catalog.load(), "01")
        for folder in simulated:  # graded while the dashboard is down
            assert reporter.report_results([synthetic(one, None)], state_dir=folder).startswith("queued:")

        dashboard.start()  # same port; the remembered code and token
        assert dashboard.banner(r"Join code: (\S+)") == code
        page.wait_for_selector("body[data-connected=yes]", timeout=20_000)
        for name in learners:  # the next grading (here a hint request) sends what waited
            assert "Live room: status sent" in checker("hint", "03", env=envs[name]).stdout
        for folder in simulated:
            assert reporter.report_hint("03", state_dir=folder) == "delivered"
        page.wait_for_function("document.querySelectorAll('#grid tbody tr').length === 10", timeout=20_000)
        table = csv_rows(dashboard, token)
        assert score(table, "Ada", lesson03) == "100"
        assert all(score(table, f"sim {i}", one) == str(one.max_score) for i in range(8))
        page.close()
    finally:
        dashboard.stop()
