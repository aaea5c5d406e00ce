"""Lesson 04's scaffolding: the fixed-pool WSGI server really has a fixed pool, and uWSGI stops cleanly."""

from __future__ import annotations

import sys
import threading
import urllib.request

import pytest

from tests.helpers import wait_until
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
    assert wait_until(lambda: pool.server.stats()["busy"] == 2, 10)  # a state, not a clock
    status, headers, _ = _get(f"{pool.url}/ping")
    for thread in slow:
        thread.join()
    assert status == 200
    # The server notes a request's end just after the client has read its answer: wait for that state.
    assert wait_until(lambda: pool.server.stats()["served"] == 3, 10)
    ping = [r for r in pool.server.log if r.path == "/ping"][0]
    first_end = min(r.finished for r in pool.server.log if r.path == "/slow")
    assert ping.accepted < first_end <= ping.started  # it arrived at a full pool and queued until a worker was free
    assert float(headers["X-Queue-Wait-Ms"]) > 0
    assert len({r.worker for r in pool.server.log}) == 2  # never a third thread


def test_free_workers_answer_at_once_and_bad_input_is_400(pool):
    status, headers, body = _get(f"{pool.url}/ping")
    assert status == 200 and float(headers["X-Queue-Wait-Ms"]) >= 0 and b"pong" in body
    with pytest.raises(urllib.error.HTTPError) as err:
        _get(f"{pool.url}/slow?seconds=abc")
    assert err.value.code == 400
    status, _, body = _get(f"{pool.url}/")
    assert status == 200 and b"worker threads" in body


def test_uwsgi_command_is_one_process_that_dies_on_term_and_names_the_exercise_folder():
    solutions = paths.SOLUTIONS / "04-wsgi-limits"
    argv = uwsgi_runner.command("uwsgi", 9999, solutions, threads=3)
    assert argv[argv.index("--processes") + 1] == "1" and "--die-on-term" in argv and "--master" in argv
    assert argv[argv.index("--http-socket") + 1] == "127.0.0.1:9999"
    assert f"exercise-dir={solutions.resolve()}" in argv  # on the command line, never in the environment
    assert "--ugreen" in uwsgi_runner.command("uwsgi", 9999, solutions, async_cores=10)


def test_room_reports_each_member_once_and_forgets_those_who_leave():
    from room import Room

    room, joins = Room(), []
    room.on_join = lambda members, last_id: joins.append((members, last_id))
    room.post("before")
    room.last_id()
    room.after(0)  # the same thread again: no second join
    assert joins == [(1, 1)]
    other = threading.Thread(target=room.last_id)
    other.start()
    other.join()
    assert joins == [(1, 1), (2, 1)]
    room.leave()
    room.last_id()
    assert joins[-1] == (2, 1)  # this thread joined again; the other one never left


@pytest.mark.skipif(uwsgi_runner.find_uwsgi() is None, reason="uWSGI is not installed")
def test_launcher_serves_the_given_folder_and_stops_master_and_workers():
    from checker import launchers
    from workshop.launch import Ports

    lesson = launchers.load(LESSON)
    with lesson.launch(paths.SOLUTIONS / "04-wsgi-limits", Ports(http=0, uwsgi=0), threads=2) as site:
        assert _get(site.url("uwsgi") + "/")[0] == 200  # answered by the worker, so it exists
        assert b"uwsgi" in _get(site.url("http") + "/")[2].lower()  # the pool's page links to it
        server = site.services["uwsgi"]
        tree = procs.descendants(server.proc.pid) | {server.proc.pid}
        assert len(tree) >= 2  # the master and its worker
    from tests.helpers import live_processes

    assert live_processes(tree) == []
