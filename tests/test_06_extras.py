"""Lesson 06 beyond its checks: the demo's start and stop (in-memory and Redis), and the benchmark.

The checks already run the chat under Daphne, Chromium and Redis; these tests cover what the
learner runs by hand: ``python -m checker serve 06`` / ``demo.py --redis`` and
``bench/06_channels_broadcast.py``.
"""

from __future__ import annotations

import asyncio
import json
import re
import signal
import subprocess
import sys
import urllib.request
from pathlib import Path

import pytest

from tests.helpers import read_until as _read_until
from workshop import net, procs

ROOT = Path(__file__).resolve().parent.parent
LESSON = ROOT / "lessons" / "06-django-channels"
SOLUTION = ROOT / "solutions" / "06-django-channels"


def _login(port: int, name: str) -> str:
    """Log in through the form, as a browser does; return the session cookie."""
    import http.cookiejar

    jar = http.cookiejar.CookieJar()
    opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar))
    page = opener.open(f"http://127.0.0.1:{port}/login/", timeout=5).read().decode()
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page).group(1)
    body = f"csrfmiddlewaretoken={token}&username={name}&next=/".encode()
    opener.open(urllib.request.Request(f"http://127.0.0.1:{port}/login/", data=body,
                                       headers={"Referer": f"http://127.0.0.1:{port}/login/"}), timeout=5)
    return {cookie.name: cookie.value for cookie in jar}["sessionid"]


async def _chat_across(ports: list[int]) -> dict:
    from websockets.asyncio.client import connect

    clients = []
    for port, name in zip(ports * 2, ["ann", "ben"]):
        client = await connect(f"ws://127.0.0.1:{port}/ws/chat/lobby/", origin=f"http://127.0.0.1:{port}",
                               additional_headers={"Cookie": f"sessionid={_login(port, name)}"})
        assert json.loads(await client.recv())["type"] == "history"
        clients.append(client)
    await clients[0].send(json.dumps({"type": "message", "text": "hello"}))
    got = json.loads(await asyncio.wait_for(clients[-1].recv(), 5))
    for client in clients:
        await client.close()
    return got


@pytest.mark.parametrize("redis", [False, True], ids=["in-memory", "redis"])
def test_demo_serves_the_chat_and_stops_cleanly(redis):
    port, second = net.free_port(), None
    while redis and second in (None, port):
        second = net.free_port()
    argv = [sys.executable, str(LESSON / "demo.py"), "--exercise-dir", str(SOLUTION), "--port", str(port)]
    argv += ["--redis", "--second-port", str(second)] if redis else []
    proc = procs.spawn(argv, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, cwd=ROOT)
    try:
        banner = _read_until(proc, "Daphne's log follows", 30)
        assert f"http://127.0.0.1:{port}/" in banner
        assert "Redis channel layer" in banner if redis else "in-memory channel layer" in banner
        ports = [port, second] if redis else [port]
        if redis:
            assert f"http://127.0.0.1:{second}/" in banner
        got = asyncio.run(_chat_across(ports))
        assert got["type"] == "message" and got["author"] == "ann" and got["text"] == "hello"
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(timeout=15) == 0
        assert "Stopped." in proc.stdout.read()
        for p in ports:
            assert net.port_is_free(p), f"port {p} still taken after the demo stopped"
    finally:
        procs.stop_tree(proc)


def test_demo_refuses_a_busy_port():
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        sock.listen()
        port = sock.getsockname()[1]
        done = subprocess.run([sys.executable, str(LESSON / "demo.py"), "--port", str(port)],
                              capture_output=True, text=True, timeout=30)
    assert done.returncode == 3
    assert "already in use" in done.stderr


def test_benchmark_reports_both_layers():
    done = subprocess.run([sys.executable, str(ROOT / "bench" / "06_channels_broadcast.py"), "--clients", "5",
                           "--messages", "3"], capture_output=True, text=True, timeout=120, cwd=ROOT)
    assert done.returncode == 0, done.stderr
    rows = {line.split()[0]: line.split() for line in done.stdout.splitlines()
            if line.startswith(("memory ", "redis "))}
    assert set(rows) == {"memory", "redis"}, done.stdout + done.stderr
    for row in rows.values():
        assert row[1] == "5" and "15/15" in row, row


def test_daphne_probe_says_why_a_server_did_not_start():
    """A busy port: ``workshop.asgi_server`` exits 1 without its ready line, and the probe's error shows the log."""
    import socket

    from checker.probes import daphne

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        sock.listen()
        port = sock.getsockname()[1]
        server = daphne.service("busy", port, lesson_dir=LESSON, exercise_dir=SOLUTION, settings="chatsite.settings",
                                factory="chatsite.asgi:application_for", timeout=60)
        with pytest.raises(RuntimeError) as failed:
            daphne.start([server])
    assert "busy never logged a line" in str(failed.value)
    assert "Listen failure" in str(failed.value) or "Address already in use" in str(failed.value)
    assert server.proc.returncode == 1
