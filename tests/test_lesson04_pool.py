"""Lesson 04's scaffolding: the fixed-pool WSGI server really has a fixed pool, and uWSGI stops cleanly."""

from __future__ import annotations

import sys
import threading
import time
import urllib.request

import pytest

from workshop import paths, procs

LESSON = paths.LESSONS / "04-wsgi-limits"
sys.path[:0] = [str(LESSON)]

from pool_server import BackgroundPool  # noqa: E402
from slowapp import make_app  # noqa: E402
import uwsgi_runner  # noqa: E402


def _get(url: str):
    with urllib.request.urlopen(url, timeout=10) as response:
        return response.status, dict(response.headers), response.read()


@pytest.fixture
def pool():
    holder = {}
    with BackgroundPool(lambda e, s: holder["app"](e, s), workers=2) as server:
        holder["app"] = make_app(pool=server.server)
        yield server


def test_a_full_pool_queues_the_next_request_first_come_first_served(pool):
    slow = [threading.Thread(target=_get, args=(f"{pool.url}/slow?seconds=0.4",)) for _ in range(2)]
    for thread in slow:
        thread.start()
    time.sleep(0.1)
    assert pool.server.stats()["busy"] == 2
    status, headers, _ = _get(f"{pool.url}/ping")
    for thread in slow:
        thread.join()
    assert status == 200
    waited = float(headers["X-Queue-Wait-Ms"])
    assert 200 <= waited <= 450, waited  # queued until a slow request ended, ~0.3 s
    ping = [r for r in pool.server.log if r.path == "/ping"][0]
    assert ping.started >= min(r.finished for r in pool.server.log if r.path == "/slow")
    assert len({r.worker for r in pool.server.log}) == 2  # never a third thread


def test_free_workers_answer_at_once_and_bad_input_is_400(pool):
    status, headers, body = _get(f"{pool.url}/ping")
    assert status == 200 and float(headers["X-Queue-Wait-Ms"]) < 50 and b"pong" in body
    with pytest.raises(urllib.error.HTTPError) as err:
        _get(f"{pool.url}/slow?seconds=abc")
    assert err.value.code == 400
    status, _, body = _get(f"{pool.url}/")
    assert status == 200 and b"worker threads" in body


def test_uwsgi_command_is_one_process_that_dies_on_term():
    argv = uwsgi_runner.command("uwsgi", 9999, threads=3)
    assert argv[argv.index("--processes") + 1] == "1" and "--die-on-term" in argv and "--master" in argv
    assert argv[argv.index("--http-socket") + 1] == "127.0.0.1:9999"
    assert "--ugreen" in uwsgi_runner.command("uwsgi", 9999, async_cores=10)


@pytest.mark.skipif(uwsgi_runner.find_uwsgi() is None, reason="uWSGI is not installed")
def test_uwsgi_master_and_workers_all_stop(tmp_path):
    from workshop import net

    port = net.free_port()
    env = {**__import__("os").environ, **uwsgi_runner.environment(paths.SOLUTIONS / "04-wsgi-limits")}
    server = procs.ServerProcess(uwsgi_runner.command(uwsgi_runner.find_uwsgi(), port, threads=2), port,
                                 env=env, log_path=tmp_path / "uwsgi.log").start()
    try:
        assert _get(f"http://127.0.0.1:{port}/")[0] == 200  # answered by the worker, so it exists
        tree = procs.descendants(server.proc.pid) | {server.proc.pid}
        assert len(tree) >= 2  # the master and its worker
    finally:
        server.stop()
    from tests.helpers import live_processes

    assert live_processes(tree) == []
