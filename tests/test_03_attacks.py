"""The attack run on lesson 03's server, kept as tests (loopback only, bounded loads).

Each attack runs against the reference solution served by ``lessons/03-websocket-handshake/
launch.py`` in a subprocess (``tests/attacks_03.py``) and asserts what the lesson README's
section "Security: what an attacker tried" promises: the attack is refused (a Close code, an
HTTP status), bounded (the server's VmRSS, its descriptors, its log lines) or repaired (an
ordinary client is served again). Where a limit would take minutes, the test shrinks it with
``launch(..., limits={...})``; the defaults are in ``ws_limits.Limits``. The waits below are
upper bounds for an event that must happen, never assertions about speed; ``-s`` prints what
each attack measured.
"""

from __future__ import annotations

import socket
import sys

import pytest

from checker.probes import wire
from tests.attacks_03 import (MIB, AttackedServer, RawClient, echo_works, fragment_flood, request, server_hung_up, slow_reader,
                              slowloris, wait_until)

pytestmark = pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc/PID (Linux)")

# idle_timeout: a client answering Pings has that long to answer one, however busy the machine
SHORT = {"handshake_timeout": 0.5, "idle_timeout": 1.0, "max_connections": 4}


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    """The reference solution with the default limits."""
    with AttackedServer(tmp_path_factory.mktemp("ws03") / "server.log") as running:
        assert echo_works(running.port)
        yield running


@pytest.fixture(scope="module")
def short(tmp_path_factory):
    """The reference solution with limits short enough to watch them act."""
    with AttackedServer(tmp_path_factory.mktemp("ws03") / "short.log", limits=SHORT) as running:
        yield running


def test_fragment_flood_is_refused_with_1009_and_memory_stays_flat(server):
    # Before: 4,000,000 empty fragments grew the server by 25 MiB, no Close, 56 s of CPU.
    result = fragment_flood(server, 1_000_000)
    print(f"\nfragment flood: {result}")
    assert result["close"] == 1009, f"the server never refused the endless message: {result}"
    assert result["rss growth MiB"] < 8, result
    assert echo_works(server.port), "the server stopped serving after the flood"


def test_a_chat_member_that_never_reads_is_dropped_and_memory_stays_bounded(server):
    # Before: 200 x 256 KiB broadcast to a member that never reads grew the server by 49 MiB.
    result = slow_reader(server)
    print(f"\nslow reader: {result}")
    assert result["victim dropped"], f"the member that never reads is still connected: {result}"
    assert result["sender got MiB"] >= 50, f"the room stalled behind the slow member: {result}"
    assert result["rss growth MiB"] < 16, result
    assert "reads too slowly" in server.log() and "1008" in server.log()


def test_an_echo_client_that_never_reads_is_held_back_then_dropped(tmp_path):
    # /echo answers on the sender's own socket: drain() stops reading from it (backpressure), and
    # send_timeout drops it if it never reads at all.
    with AttackedServer(tmp_path / "echo.log", limits={"send_timeout": 0.5}) as running:
        client = RawClient(running.port, "/echo", read=False, rcvbuf=4096)
        before = running.settled_rss()
        frame = wire.wire(wire.TEXT, b"y" * 65536)
        sent = 0
        client.sock.settimeout(5)
        while sent < 400 and client.send(frame):  # 25 MiB offered; the server stops reading long before
            sent += 1
        growth = (running.settled_rss() - before) / MIB
        print(f"\necho flood without reading: {sent} x 64 KiB accepted, rss growth {growth:.1f} MiB")
        assert sent < 400, "the server kept reading from a client that reads nothing"
        assert server_hung_up(client.sock, 10), "the server never dropped a client that reads nothing"
        assert growth < 16
        assert "reads too slowly" in running.log()
        client.close()


def test_slowloris_under_ulimit_256_leaves_room_for_an_ordinary_client(tmp_path):
    # Before: with `ulimit -n 256`, 300 slowloris connections blocked an ordinary client and the
    # log took 257,646 lines (42,941 accept() tracebacks, 21 MB) in 30 s.
    with AttackedServer(tmp_path / "slowloris.log", nofile=256, limits={"handshake_timeout": 2.0}) as running:
        result = slowloris(running, connections=300, seconds=5.0)
        print(f"\nslowloris x300, ulimit -n 256: {result}")
        assert result["ordinary client served"], result
        assert result["accept tracebacks"] == 0 and "out of system resource" not in running.log()
        assert result["log lines"] < 50, result
        assert result["server fds (most)"] < 256, result
        assert result["slowloris sockets still open"] == 0, "the handshake timeout let slow heads stay"
        assert echo_works(running.port), "not repaired once the attack stopped"


def test_accept_backs_off_when_descriptors_run_out(tmp_path):
    # A negative fd_reserve lets the cap exceed `ulimit -n 64`, so accept() itself hits EMFILE:
    # the listener pauses and logs once per interval instead of a traceback per attempt.
    limits = {"fd_reserve": -1000, "handshake_timeout": 30.0, "accept_pause": 0.2}
    with AttackedServer(tmp_path / "emfile.log", nofile=64, limits=limits) as running:
        held = []
        for _ in range(100):
            sock = socket.socket()
            sock.setblocking(False)
            sock.connect_ex(("127.0.0.1", running.port))
            held.append(sock)
        assert not echo_works(running.port, 2.0), "descriptors never ran out: the test proves nothing"
        log = running.log()
        failures = log.count("accept() failed")
        print(f"\nEMFILE: {running.fds()} fds, {failures} accept() lines, {len(log.splitlines())} log lines")
        assert 1 <= failures <= 3, log[-2000:]
        assert "Traceback" not in log and "out of system resource" not in log
        for sock in held:
            sock.close()
        assert wait_until(lambda: echo_works(running.port, 2.0), 15), "not repaired once descriptors were free"


def test_a_slow_request_head_gets_408_and_is_hung_up(short):
    sock = socket.create_connection(("127.0.0.1", short.port), timeout=5)
    sock.sendall(request("/echo")[:20])  # and nothing more
    answer = b""
    while chunk := sock.recv(4096):
        answer += chunk
    sock.close()
    assert answer.startswith(b"HTTP/1.1 408 "), answer[:80]


def test_a_silent_websocket_is_pinged_then_dropped_but_a_live_one_stays(short):
    silent = RawClient(short.port, "/echo")  # reads, answers nothing
    assert silent.wait(lambda: any(op == wire.PING for op, _f, _p in silent.frames()), 10), "no Ping to a silent client"
    assert silent.ended.wait(10), "a client that never answered the Ping is still connected"
    live = RawClient(short.port, "/echo")
    answered = 0
    while not live.ended.is_set() and answered < 3:  # answer three pings like a browser would
        if live.wait(lambda: sum(op == wire.PING for op, _f, _p in live.frames()) > answered, 10):
            answered += 1
            live.send(wire.wire(wire.PONG, b"still there?"))
    live.send(wire.wire(wire.TEXT, b"alive"))
    assert live.wait(lambda: any(p == b"alive" for _o, _f, p in live.frames()), 5), "a client answering pings was dropped"
    silent.close()
    live.close()


def test_the_connection_cap_drops_slow_heads_first_then_answers_503(tmp_path):
    # Timers long enough never to act here: the slow head must go because of the cap, not its own
    # timeout, and the silent clients (they answer no Ping) must keep their slots while the test runs.
    limits = {**SHORT, "handshake_timeout": 30.0, "idle_timeout": 30.0}
    with AttackedServer(tmp_path / "cap.log", limits=limits) as server:
        _cap_holds(server, limits["max_connections"])


def _cap_holds(short: AttackedServer, cap: int) -> None:
    clients = [RawClient(short.port, "/echo") for _ in range(cap - 1)]
    head = socket.create_connection(("127.0.0.1", short.port), timeout=5)
    head.sendall(b"GET /echo HTTP/1.1\r\n")  # a slow head takes the last slot
    assert wait_until(lambda: short.log().count("opened a WebSocket") >= cap - 1, 5)
    clients.append(RawClient(short.port, "/echo"))  # makes room by dropping the slow head
    assert server_hung_up(head, 5), "the slow head kept its slot"
    refused = socket.create_connection(("127.0.0.1", short.port), timeout=5)
    refused.sendall(request("/echo"))
    answer = refused.recv(4096)
    assert answer.startswith(b"HTTP/1.1 503 "), f"{cap} WebSockets open, yet a new one got {answer[:40]!r}"
    refused.close()
    for client in clients:
        client.close()
    assert wait_until(lambda: echo_works(short.port, 2.0), 10), "slots were not given back"
