"""Lesson 05 beyond its checks: the shared contract, the demo's three processes, a busy port.

The checks already drive the sidecar, Django, Redis and Chromium; these tests cover the parts a
learner runs by hand (``python -m checker serve 05`` with its sidecar and Redis) and the
scaffolding's own parsing of the socket URL.
"""

from __future__ import annotations

import asyncio
import json
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

from tests.helpers import read_until
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


def _demo(port: int) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-m", "checker", "serve", "05", "--target", "solutions", "--port",
                             str(port)], cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)


def test_the_sidecar_reports_a_blocking_call_in_a_coroutine(tmp_path):
    """The watchdog names the learner's line that holds the event loop (and only then speaks)."""
    sys.path.insert(0, str(ROOT))
    from newsroom.loop_watch import LoopWatch

    learner_file = tmp_path / "sidecar.py"
    learner_file.write_text("import time\n\nasync def forward():\n    time.sleep(0.05)\n\nasync def polite():\n"
                            "    import asyncio\n    await asyncio.sleep(0.05)\n")
    namespace: dict = {}
    exec(compile(learner_file.read_text(), str(learner_file), "exec"), namespace)
    reports: list[str] = []
    watch = LoopWatch(tmp_path, reports.append).start()
    try:
        asyncio.run(namespace["polite"]())
        assert reports == []
        asyncio.run(namespace["forward"]())
        time.sleep(0.01)
    finally:
        watch.stop()
    assert len(reports) == 1 and "time.sleep(0.05)" in reports[0] and "line 4, in forward" in reports[0]


def test_demo_runs_django_sidecar_and_redis_and_stops_all_three():
    port = net.free_port()
    proc = _demo(port)
    try:
        out = read_until(proc, r"After editing", 30)
        redis_port = int(re.search(r"redis://127\.0\.0\.1:(\d+)/0", out).group(1))
        sidecar_port = int(re.search(r"ws://127\.0\.0\.1:(\d+)/ws/", out).group(1))
        opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor())
        page = opener.open(f"http://127.0.0.1:{port}/login?name=ada&next=/room/lobby/", timeout=5).read().decode()
        assert 'id="messages"' in page
        ticket = json.loads(opener.open(f"http://127.0.0.1:{port}/room/lobby/token", timeout=5).read())
        assert ticket["url"] == f"ws://127.0.0.1:{sidecar_port}/ws/lobby"

        async def push_through_both_servers():
            from websockets.asyncio.client import connect

            url = f"{ticket['url']}?token={urllib.parse.quote(ticket['token'])}"
            async with connect(url, origin=f"http://127.0.0.1:{port}") as ws:
                assert json.loads(await ws.recv())["type"] == "ready"
                request = urllib.request.Request(f"http://127.0.0.1:{port}/room/lobby/messages",
                                                 data=b"text=through+the+demo", headers={"Accept": "application/json"})
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
    time.sleep(0.2)
    alive = [pid for pid in children if Path(f"/proc/{pid}").exists()
             and "Z" not in Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]]
    assert alive == [], "the demo left the sidecar or Redis running"
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
