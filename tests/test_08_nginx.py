"""Lesson 08's nginx front: the template, a real nginx run as this user, and the read timeout that
cuts a quiet WebSocket unless someone pings (the keep-alive check grades only the learner's side)."""

from __future__ import annotations

import asyncio
import json
import os
import time

import pytest

from checker import launchers
from workshop import net, nginx, paths
from workshop.launch import Ports

SLUG = "08-scaling-and-security"
LESSON = paths.lesson_dir(SLUG)
SOLUTION = paths.exercise_dir(paths.SOLUTIONS, SLUG)
needs_nginx = pytest.mark.skipif(nginx.find_nginx() is None and not os.environ.get("CI"), reason="no nginx here")
pytestmark = pytest.mark.timeout(120)


def test_render_fills_every_placeholder_and_leaves_nginx_variables():
    assert nginx.render("listen {{port}}; set $x $http_upgrade;", port=80) == "listen 80; set $x $http_upgrade;"
    with pytest.raises(KeyError, match="missing"):
        nginx.render("{{missing}}")


@needs_nginx
def test_the_template_with_the_reference_proxy_passes_nginx_t(tmp_path):
    launcher = launchers.load(LESSON)
    proxy = launcher.nginx_front([1, 2], tmp_path, proxy_conf=launcher.reference_proxy(), http_port=3, https_port=4)
    import subprocess

    out = subprocess.run([*proxy.argv[:-2], "-t"], capture_output=True, text=True, timeout=30)
    assert out.returncode == 0, out.stderr
    assert "test is successful" in out.stderr


MAKE_COOKIE = """
import os, sys
sys.path[:0] = [sys.argv[1], sys.argv[2]]
os.environ["WORKSHOP_SCALE_DB"] = sys.argv[3]
from workshop.channels_support import ensure_django
ensure_django("scalesite.settings")
from scaleroom.accounts import session_cookie_for
print(session_cookie_for(sys.argv[4]))
"""


def _session_cookie(db_path: str, user: str) -> str:
    """A session for ``user`` in the cluster's database, made in a process of its own (Django is
    set up once per process, and other tests set it up for other lessons)."""
    import subprocess
    import sys

    done = subprocess.run([sys.executable, "-c", MAKE_COOKIE, str(SOLUTION), str(LESSON), db_path, user],
                          cwd=paths.REPO_ROOT, capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    return done.stdout.strip().splitlines()[-1]


def _quiet_socket(site, seconds: float, client_pings: bool) -> float | None:
    """Open a signed-in socket through the front, keep it quiet; when it was cut (None: it was not)."""
    cookie = _session_cookie(site.extras["db_path"], "quiet-test")

    async def scenario():
        from websockets.asyncio.client import connect
        from websockets.exceptions import ConnectionClosed

        async with connect(site.url("http", "ws") + "/ws/chat/", origin=site.extras["origin"],
                           additional_headers={"Cookie": f"sessionid={cookie}"},
                           ping_interval=1 if client_pings else None) as ws:
            assert json.loads(await ws.recv())["type"] == "hello"
            started = time.monotonic()
            try:
                await asyncio.wait_for(ws.recv(), seconds)
            except (asyncio.TimeoutError, TimeoutError):
                return None
            except ConnectionClosed as closed:
                assert closed.rcvd is None  # nginx just closes: no close frame, the client sees 1006
                return time.monotonic() - started
        return None

    return asyncio.run(scenario())


@needs_nginx
def test_a_quiet_socket_is_cut_at_the_read_timeout_unless_the_client_pings():
    launcher = launchers.load(LESSON)
    no_pings = {"ping_interval": 1000, "ping_timeout": 1000}
    with launcher.launch(SOLUTION, Ports.free("http", "backend1"), backends=1, front="nginx", read_timeout=2.0,
                         ping=no_pings, ready_timeout=60) as site:
        cut = _quiet_socket(site, 6.0, client_pings=False)
        assert cut is not None, "nginx kept a quiet socket open past proxy_read_timeout"
        assert "upstream timed out" in site.services["nginx"].error_log()
        assert _quiet_socket(site, 6.0, client_pings=True) is None


@needs_nginx
def test_nginx_starts_on_held_ports_and_is_ready_only_when_every_port_listens(tmp_path):
    """The learner's front starts long after its ports are chosen: held ports stay ours meanwhile (a
    plain bind is refused), nginx binds them all the same, and a port taken by someone else is an
    error at start, not a front that answers on one port and dies a moment later."""
    import socket

    launcher = launchers.load(LESSON)
    with Ports.held("http", "https") as ports:
        if net.CAN_HOLD_PORTS:
            with socket.socket() as stranger, pytest.raises(OSError):
                stranger.bind(("127.0.0.1", ports["https"]))  # what took the port in a CI run
        front = launcher.nginx_front([1], tmp_path / "held", proxy_conf=launcher.reference_proxy(),
                                     http_port=ports["http"], https_port=ports["https"], timeout=20)
        with front:
            for port in (ports["http"], ports["https"]):
                socket.create_connection(("127.0.0.1", port), timeout=5).close()
    with socket.socket() as stranger:
        stranger.bind(("127.0.0.1", 0))
        stranger.listen()
        busy = Ports(http=0, https=stranger.getsockname()[1])
        front = launcher.nginx_front([1], tmp_path / "busy", proxy_conf=launcher.reference_proxy(),
                                     http_port=busy["http"], https_port=busy["https"], timeout=20)
        try:
            with pytest.raises(RuntimeError, match=f"never started a worker(.|\\n)*bind\\(\\) to 127.0.0.1:{busy['https']} failed"):
                front.start()
        finally:
            front.stop()  # if it did start after all, it must not outlive the test
