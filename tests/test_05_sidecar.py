"""Lesson 05 beyond its checks: the shared contract, the demo's three processes, a busy port.

The checks already drive the sidecar, Django, Redis and Chromium; these tests cover the parts a
learner runs by hand (``python -m checker serve 05`` with its sidecar and Redis) and the
scaffolding's own parsing of the socket URL.
"""

from __future__ import annotations

import asyncio
import json
import os
import re
import signal
import socket
import subprocess
import sys
import time
import urllib.parse
import urllib.request
from pathlib import Path

import pytest

from tests.helpers import live_processes, read_until, wait_until
from workshop import net, procs

ROOT = Path(__file__).resolve().parent.parent
LESSON = ROOT / "lessons" / "05-redis-sidecar"
sys.path.insert(0, str(LESSON))

from newsroom import protocol  # noqa: E402


@pytest.mark.parametrize("path, expected", [
    ("/ws/lobby?token=abc", ("lobby", "abc")),
    ("/ws/lobby/?token=a%3Ab%3Ac", ("lobby", "a:b:c")),
    ("/ws/python?x=1&token=t", ("python", "t")),
])
def test_parse_ws_path_reads_room_and_token(path, expected):
    assert protocol.parse_ws_path(path) == expected


@pytest.mark.parametrize("path", ["/ws/lobby", "/ws/lobby?token=", "/ws/?token=t", "/other/lobby?token=t",
                                  "/ws/Lobby!?token=t", "/ws/a/b?token=t"])
def test_parse_ws_path_refuses_what_is_not_a_room_and_a_token(path):
    with pytest.raises(protocol.InvalidToken):
        protocol.parse_ws_path(path)


def test_allowed_origins_are_normalised(monkeypatch):
    monkeypatch.setenv("WORKSHOP_ALLOWED_ORIGINS", " HTTP://127.0.0.1:8000/ ,http://localhost:8000,,")
    assert protocol.allowed_origins() == {"http://127.0.0.1:8000", "http://localhost:8000"}


def login(opener, port: int, name: str) -> str:
    """Log in as the page does: the form on / with its CSRF token, posted. Returns the token (for X-CSRFToken)."""
    page = opener.open(f"http://127.0.0.1:{port}/?next=/room/lobby/", timeout=5).read().decode()
    csrf = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page).group(1)
    form = urllib.parse.urlencode({"name": name, "next": "/room/lobby/", "csrfmiddlewaretoken": csrf}).encode()
    assert 'id="messages"' in opener.open(f"http://127.0.0.1:{port}/login", data=form, timeout=5).read().decode()
    return csrf


def _demo(port: int) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-m", "checker", "serve", "05", "--target", "solutions", "--port",
                             str(port)], cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)


def test_the_sidecar_reports_a_blocking_call_in_a_coroutine(tmp_path):
    """The watchdog names the learner's line that holds the event loop (and only then speaks)."""
    sys.path.insert(0, str(ROOT))
    from newsroom.loop_watch import LoopWatch

    learner_file = tmp_path / "sidecar.py"
    learner_file.write_text("import time\n\nasync def forward():\n    time.sleep(0.3)\n\nasync def polite():\n"
                            "    import asyncio\n    await asyncio.sleep(0.3)\n")
    namespace: dict = {}
    exec(compile(learner_file.read_text(), str(learner_file), "exec"), namespace)
    reports: list[str] = []
    watch = LoopWatch(tmp_path, reports.append).start()
    try:
        asyncio.run(namespace["polite"]())
        assert reports == []
        asyncio.run(namespace["forward"]())
        assert wait_until(lambda: reports, 5)  # reported by the watchdog once the line has ended
    finally:
        watch.stop()
    assert len(reports) == 1 and "time.sleep(0.3)" in reports[0] and "line 4, in forward" in reports[0]


def test_demo_runs_django_sidecar_and_redis_and_stops_all_three():
    port = net.free_port()
    proc = _demo(port)
    try:
        out = read_until(proc, r"After editing", 30)
        redis_port = int(re.search(r"redis://127\.0\.0\.1:(\d+)/0", out).group(1))
        sidecar_port = int(re.search(r"ws://127\.0\.0\.1:(\d+)/ws/", out).group(1))
        opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor())
        csrf = login(opener, port, "ada")
        ticket = json.loads(opener.open(f"http://127.0.0.1:{port}/room/lobby/token", timeout=5).read())
        assert ticket["url"] == f"ws://127.0.0.1:{sidecar_port}/ws/lobby"

        async def push_through_both_servers():
            from websockets.asyncio.client import connect

            url = f"{ticket['url']}?token={urllib.parse.quote(ticket['token'])}"
            async with connect(url, origin=f"http://127.0.0.1:{port}") as ws:
                assert json.loads(await ws.recv())["type"] == "ready"
                request = urllib.request.Request(f"http://127.0.0.1:{port}/room/lobby/messages",
                                                 data=b"text=through+the+demo",
                                                 headers={"Accept": "application/json", "X-CSRFToken": csrf})
                loop = asyncio.get_running_loop()
                stored = json.loads(await loop.run_in_executor(None, lambda: opener.open(request, timeout=5).read()))
                pushed = json.loads(await asyncio.wait_for(ws.recv(), 2))
                assert pushed == stored and pushed["author"] == "ada"

        asyncio.run(push_through_both_servers())
        children = procs.descendants(proc.pid)
        assert len(children) >= 2, "expected the sidecar and redis-server as child processes"
        proc.send_signal(signal.SIGTERM)
        rest, _ = proc.communicate(timeout=20)
    finally:
        procs.kill_tree(proc)
    assert proc.returncode == 0, rest
    assert "Stopped" in rest
    assert wait_until(lambda: live_processes(children) == [], 10), "the demo left the sidecar or Redis running"
    for busy in (port, sidecar_port, redis_port):
        assert net.port_is_free(busy), f"port {busy} still in use"


def test_demo_refuses_a_busy_sidecar_port_kindly():
    port, busy = net.free_port(), net.free_port()
    with socket.socket() as blocker:
        blocker.bind(("127.0.0.1", busy))
        blocker.listen()
        done = subprocess.run([sys.executable, str(LESSON / "demo.py"), "--exercise-dir",
                               str(ROOT / "solutions" / "05-redis-sidecar"), "--port", str(port),
                               "--sidecar-port", str(busy)], capture_output=True, text=True, timeout=30)
    assert done.returncode == 3
    assert f"Port {busy}" in done.stderr and "--port" in done.stderr


# -- the Node.js variant (sidecar.js): the same contract in another language ----------------------------------
NODE_DIR = LESSON / "node"


def _require_node():
    """Node and the pinned packages, or a skip (a failure under CI=true, where setup installs both)."""
    from checker.probes import node as node_probe

    problem = (node_probe.install_advice() if node_probe.find_node() is None
               else node_probe.packages_missing(NODE_DIR))
    if problem:
        if os.environ.get("CI", "").lower() in ("1", "true", "yes"):
            pytest.fail(problem)
        pytest.skip(problem)
    return node_probe


def _key() -> str:
    from django.conf import settings

    return settings.SECRET_KEY


def _django_signing():
    """Django set up with the newsroom's own settings (as the checks do), so other lesson-05 tests in this
    process can still serve the newsroom."""
    from newsroom.wsgi import application_for

    application_for(ROOT / "solutions" / "05-redis-sidecar")
    from django.core import signing

    return signing


def test_the_js_contract_equals_the_python_contract():
    """protocol.js is protocol.py written again: every shared value and the path parsing agree."""
    _require_node()
    script = ("const p = require('newsroom/protocol'); const parse = (x) => { try { return p.parseWsPath(x); } "
              "catch (e) { return e.name; } }; console.log(JSON.stringify({salt: p.TOKEN_SALT, age: p.TOKEN_MAX_AGE, "
              "codes: [p.CLOSE_UNAUTHORIZED, p.CLOSE_FORBIDDEN, p.CLOSE_TOKEN_USED, p.CLOSE_REDIS_GONE, "
              "p.CLOSE_TOO_SLOW], limit: p.SLOW_CLIENT_LIMIT, rooms: p.ROOMS, nonce: p.nonceKey('n'), "
              "secret: p.secretKey().length, "
              "channel: p.channelFor('lobby'), origins: [...p.allowedOrigins()].sort(), "
              "paths: JSON.parse(process.argv[1]).map(parse)}))")
    paths_ = ["/ws/lobby?token=abc", "/ws/lobby/?token=a%3Ab%3Ac", "/ws/python?x=1&token=t", "/ws/lobby",
              "/ws/lobby?token=", "/ws/?token=t", "/other/lobby?token=t", "/ws/Lobby!?token=t", "/ws/a/b?token=t",
              "/ws/not-a-real-room?token=t"]
    env = {**os.environ, "NODE_PATH": str(NODE_DIR), "WORKSHOP_ALLOWED_ORIGINS": " HTTP://127.0.0.1:8000/ ,http://x:1,,"}
    env.pop("WORKSHOP_SECRET_KEY", None)
    out = subprocess.run(["node", "-e", script, json.dumps(paths_)], env=env, capture_output=True, text=True,
                         timeout=30, check=True).stdout
    js = json.loads(out)

    def parse(path):
        try:
            return list(protocol.parse_ws_path(path))
        except protocol.InvalidToken:
            return "InvalidToken"

    assert js == {"salt": protocol.TOKEN_SALT, "age": protocol.TOKEN_MAX_AGE,
                  "codes": [protocol.CLOSE_UNAUTHORIZED, protocol.CLOSE_FORBIDDEN, protocol.CLOSE_TOKEN_USED,
                            protocol.CLOSE_REDIS_GONE, protocol.CLOSE_TOO_SLOW],
                  "limit": protocol.SLOW_CLIENT_LIMIT, "rooms": list(protocol.ROOMS), "nonce": protocol.nonce_key("n"),
                  "secret": 43, "channel": protocol.channel_for("lobby"),
                  "origins": ["http://127.0.0.1:8000", "http://x:1"], "paths": [parse(p) for p in paths_]}


def test_the_js_solution_verifies_exactly_what_django_signs():
    """Tokens made by Django's signing.dumps: fresh, compressed and 59 s old pass; expired, altered, foreign do not."""
    from unittest import mock

    node_probe = _require_node()
    signing = _django_signing()
    salt, room = protocol.TOKEN_SALT, "lobby"

    def dumps(obj, age=0, **options):
        with mock.patch("time.time", return_value=time.time() - age):
            return signing.dumps(obj, salt=salt, **options)

    good = dumps({"user": "ada", "room": room, "nonce": "n1"})
    payload, stamp, signature = good.split(":")
    flipped = signature[:-1] + ("A" if signature[-1] != "A" else "B")
    cases = [
        (good, "ada"),
        (dumps({"user": "grace", "room": room, "nonce": "n2", "pad": "x" * 200}, compress=True), "grace"),
        (dumps({"user": "old", "room": room, "nonce": "n3"}, age=50), "old"),
        (dumps({"user": "ada", "room": room, "nonce": "n4"}, age=61), "expired"),
        (f"{payload}:{stamp}:{flipped}", "signature"),
        (f"{payload[:-2]}xx:{stamp}:{signature}", "signature"),
        (f"{payload}:{stamp[:-1]}0:{signature}", "signature"),
        (signing.dumps({"user": "ada", "room": room}, salt=salt, key="another key"), "signature"),
        (signing.dumps({"user": "ada", "room": room}, salt="another.salt"), "signature"),
        (dumps({"user": "ada", "room": "python", "nonce": "n5"}), "another room"),
        (dumps({"room": room, "nonce": "n6"}), "user"),
        (dumps({"user": "ada", "room": room}), "nonce"),
        (good + ":", "signature"),
        ("", "signature"),
    ]
    assert cases[1][0].startswith("."), "the compressed token starts with a dot"
    key = {"WORKSHOP_SECRET_KEY": _key()}  # the key is random per process: tell node which one signed
    results = node_probe.call(NODE_DIR / "call.js", ROOT / "solutions" / "05-redis-sidecar",
                              [{"fn": "verifyToken", "args": [signed, room]} for signed, _ in cases], timeout=30,
                              env=key)
    nonces = {"ada": "n1", "grace": "n2", "old": "n3"}
    for (signed, expected), result in zip(cases, results):
        if expected in nonces:
            assert result == {"value": {"user": expected, "nonce": nonces[expected]}}, signed
        else:
            assert result["error"]["name"] == "InvalidToken" and expected in result["error"]["message"], (signed, result)
    values = ["a:b", "héllo 👋", "x" * 300]
    signed = node_probe.call(NODE_DIR / "call.js", ROOT / "solutions" / "05-redis-sidecar",
                             [{"fn": "signatureOf", "args": [v]} for v in values], timeout=30, env=key)
    assert [r["value"] for r in signed] == [signing.Signer(salt=salt).signature(v) for v in values]


def test_the_node_variant_is_skipped_without_node_and_fails_under_ci(tmp_path, monkeypatch):
    """The Node.js variant picked, no node on PATH: skipped with install advice; under CI=true the same check fails."""
    from checker import catalog, worker
    from checker.api import Context
    from checker.checks.ex05_redis_sidecar import functions, sidecar
    from checker.pipeline import Status

    lesson = catalog.find(catalog.load(), "05").for_variant("node")
    ctx = Context(lesson=lesson, exercise_dir=ROOT / "solutions" / "05-redis-sidecar", timeout_scale=1.0,
                  emit=lambda event: None)
    monkeypatch.setenv("PATH", str(tmp_path))
    try:
        for check in (functions.check_tokens, functions.check_origin, sidecar.check_push):
            ctx.begin_check(lesson.check(check.__name__[len("check_"):]))
            monkeypatch.delenv("CI", raising=False)
            status, message = worker.run_check(ctx, check)
            assert status is Status.SKIP and "node" in message and "setup_workshop.py" in message
            monkeypatch.setenv("CI", "true")
            status, message = worker.run_check(ctx, check)
            assert status is Status.FAIL and "CI=true" in message
            ctx.end_check()
    finally:
        ctx.close()


def test_the_node_server_reports_a_broken_learner_file_and_a_busy_port(tmp_path):
    _require_node()
    (tmp_path / "sidecar.js").write_text("function handleConnection(socket {\n}\n")
    broken = subprocess.run(["node", str(NODE_DIR / "server.js"), "--exercise-dir", str(tmp_path), "--port",
                             str(net.free_port())], capture_output=True, text=True, timeout=30)
    assert broken.returncode == 1 and "Cannot start the sidecar" in broken.stderr and "sidecar.js" in broken.stderr
    with socket.socket() as blocker:
        blocker.bind(("127.0.0.1", 0))
        blocker.listen()
        busy = blocker.getsockname()[1]
        done = subprocess.run(["node", str(NODE_DIR / "server.js"), "--exercise-dir",
                               str(ROOT / "solutions" / "05-redis-sidecar"), "--port", str(busy)],
                              capture_output=True, text=True, timeout=30)
    assert done.returncode == 3 and f"Port {busy}" in done.stderr


def test_demo_runs_the_node_sidecar_with_django():
    _require_node()
    port = net.free_port()
    proc = subprocess.Popen([sys.executable, str(LESSON / "demo.py"), "--exercise-dir",
                             str(ROOT / "solutions" / "05-redis-sidecar"), "--port", str(port), "--node"],
                            cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        out = read_until(proc, r"After editing", 30)
        assert "sidecar.js" in out and "Node.js" in out
        opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor())
        login(opener, port, "ada")
        ticket = json.loads(opener.open(f"http://127.0.0.1:{port}/room/lobby/token", timeout=5).read())

        async def ready():
            from websockets.asyncio.client import connect

            url = f"{ticket['url']}?token={urllib.parse.quote(ticket['token'])}"
            async with connect(url, origin=f"http://127.0.0.1:{port}") as ws:
                return json.loads(await asyncio.wait_for(ws.recv(), 5))

        assert asyncio.run(ready()) == {"type": "ready", "room": "lobby", "user": "ada"}
        proc.send_signal(signal.SIGTERM)
        proc.communicate(timeout=20)
    finally:
        procs.kill_tree(proc)
    assert proc.returncode == 0
