"""Small helpers that several benchmarks, checks and lessons share (moved out of their copies)."""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import urllib.request

import pytest

from checker.checks.ex08_scaling_and_security.support import how_closed
from checker.probes.chat_clients import Load
from workshop import net, paths, procs


def test_a_load_parses_within_the_bounds_and_labels_itself():
    load = Load.parse("20:0.05:5", most_clients=200, most_interval=10, most_seconds=30)
    assert load == Load(20, 0.05, 5.0)
    assert load.label == "20 clients, every 50 ms, 5 s"
    assert Load(4, 2.0, 10.0).label == "4 clients, 1 msg/2 s, 10 s"
    for text in ("20:0.05", "x:1:1", "201:1:1", "20:11:1", "20:1:31"):
        with pytest.raises(argparse.ArgumentTypeError):
            Load.parse(text, most_clients=200, most_interval=10, most_seconds=30)


def test_rss_is_read_for_a_live_process_and_zero_once_it_is_gone():
    assert procs.rss_bytes(os.getpid()) > 1_000_000
    child = subprocess.Popen([sys.executable, "-c", "pass"])
    child.wait()
    assert procs.rss_bytes(child.pid) == 0


def test_a_close_is_described_with_daphnes_1011_explained():
    assert how_closed(None) == "stayed open"
    assert how_closed(4409) == "closed with 4409"
    assert how_closed(1011).startswith("closed with 1011 (") and "3000-4999" in how_closed(1011)


def test_a_server_thread_serves_until_the_block_ends():
    from wsgiref.simple_server import WSGIServer, WSGIRequestHandler

    class Quiet(WSGIRequestHandler):
        def log_message(self, *args):
            pass

    server = WSGIServer((net.LOOPBACK, 0), Quiet)
    server.set_app(lambda environ, respond: (respond("200 OK", [("Content-Type", "text/plain")]), [b"up"])[1])
    with net.ServerThread(server, name="test-server") as running:
        assert urllib.request.urlopen(running.url + "/", timeout=10).read() == b"up"
        assert running.thread.name == "test-server"
    running.thread.join(10)
    assert not running.thread.is_alive()
    assert server.socket.fileno() == -1  # closed


def test_a_stub_is_recognised_from_its_source_without_being_called(tmp_path):
    """``ctx.require_written`` fails a pristine exercise before a check starts servers for it."""
    from workshop import learner

    source = tmp_path / "learner_stub_sample.py"
    source.write_text('''
def stub(a):
    """The specification."""
    # TODO: write me
    raise NotImplementedError("stub")

async def async_stub():
    raise NotImplementedError

def written(a):
    """The specification."""
    return a + 1

def guarded(a):
    if a is None:
        raise NotImplementedError("only some inputs")
    return a

def other_error():
    raise ValueError("not a stub")
''')
    sys.path.insert(0, str(tmp_path))
    try:
        import learner_stub_sample as sample
    finally:
        sys.path.remove(str(tmp_path))
    assert learner.is_stub(sample.stub) and learner.is_stub(sample.async_stub)
    assert not any(learner.is_stub(f) for f in (sample.written, sample.guarded, sample.other_error, len))


def test_a_server_that_goes_away_fails_the_check_instead_of_crashing_it():
    """``ctx.run_async``: a refused, reset or half-done connection is the learner's server's doing
    (a failure naming it); anything else is still the checker's own bug."""
    from checker import catalog
    from checker.api import CheckFailed, Context

    ctx = Context(lesson=catalog.find(catalog.load(), "05"), exercise_dir=paths.SOLUTIONS / "05-redis-sidecar",
                  timeout_scale=1.0, emit=lambda event: None)

    async def refused():
        raise ConnectionRefusedError(111, "Connect call failed ('127.0.0.1', 9)")

    async def half_handshake():
        from websockets.exceptions import InvalidMessage

        raise InvalidMessage("did not receive a valid HTTP response")

    async def bug():
        raise KeyError("a checker bug")

    try:
        for coroutine, words in ((refused, "ConnectionRefusedError"), (half_handshake, "InvalidMessage")):
            with pytest.raises(CheckFailed, match=f"connection to the server failed.*{words}.*serve 05"):
                ctx.run_async(coroutine, timeout=2)
        with pytest.raises(KeyError):
            ctx.run_async(bug, timeout=2)
    finally:
        ctx.close()
