"""Daphne (and the other Python servers of lessons 06-08) forked from a warm interpreter.

``workshop.server_forks`` must be invisible except in time: a forked server serves the learner's
code from its own environment and folder, reports its exit code, is stopped like a spawned one,
and never outlives the process that asked for it. What is imported before the fork must make no
thread, event loop or reactor, and nothing of the learner's.
"""

from __future__ import annotations

import contextlib
import json
import os
import select
import signal
import socket
import subprocess
import sys
import textwrap
import time
import urllib.request
from pathlib import Path

import pytest

from checker import catalog
from checker.probes import daphne
from workshop import forkserver, procs, server_forks

ROOT = Path(__file__).resolve().parent.parent
LESSON = ROOT / "lessons" / "06-django-channels"
SOLUTION = ROOT / "solutions" / "06-django-channels"
ENTRY_POINTS = ("workshop.asgi_server", "workshop.channels_worker", "workshop.celery_worker")


@pytest.fixture
def warm():
    server_forks.start(["workshop.asgi_server"])
    try:
        yield
    finally:
        server_forks.stop()


def _daphne(name: str, port: int, **kwargs):
    return daphne.service(name, port, lesson_dir=LESSON, exercise_dir=SOLUTION, settings="chatsite.settings",
                          factory="chatsite.asgi:application_for", timeout=60, **kwargs)


def _clean_env() -> dict:
    """This environment without what would change how a fork server starts (a developer's own
    ``WORKSHOP_WARM_SERVERS=0`` or ``PYTHONSAFEPATH``)."""
    return {k: v for k, v in os.environ.items() if k not in ("WORKSHOP_WARM_SERVERS", "PYTHONSAFEPATH")}


def _gone(pid: int) -> bool:
    return not procs.running(pid)


def test_what_is_imported_before_a_fork_starts_nothing_and_names_no_learner_code():
    script = textwrap.dedent(f"""
        import asyncio, json, sys, threading
        from workshop import server_forks
        server_forks.preload({list(ENTRY_POINTS)!r})
        files = [getattr(m, "__file__", None) or "" for m in list(sys.modules.values())]
        print(json.dumps({{
            "reactor": "twisted.internet.reactor" in sys.modules or "daphne.server" in sys.modules,
            "threads": threading.active_count(),
            "loop": asyncio.get_event_loop_policy()._local._loop is not None,
            "settings": "django.conf" in sys.modules and sys.modules["django.conf"].settings.configured,
            "ours": [f for f in files if any(p in f for p in ("/lessons/", "/exercises/", "/solutions/"))],
            "missing": [n for m in {list(ENTRY_POINTS)!r} for n in sys.modules[m].WARM_IMPORTS if n not in sys.modules],
        }}))
    """)
    done = subprocess.run([sys.executable, "-P", "-c", script], capture_output=True, text=True, timeout=120,
                          cwd=ROOT, env={**os.environ, "PYTHONPATH": str(ROOT)})
    assert done.returncode == 0, done.stderr
    state = json.loads(done.stdout)
    assert state == {"reactor": False, "threads": 1, "loop": False, "settings": False, "ours": [], "missing": []}


def test_what_check_packages_import_before_the_zygote_forks_starts_nothing():
    """A check package's ``WARM_IMPORTS`` (03: Hypothesis) are imported by the zygote of ``checker watch``
    (checker/zygote.py with ``session=True``) before it forks."""
    declared = {lesson.id: __import__(lesson.checks_module, fromlist=["x"]).__dict__.get("WARM_IMPORTS", ())
                for lesson in catalog.load()}
    assert declared["03"], "03's Hypothesis is the longest import of its first ring"
    script = textwrap.dedent(f"""
        import asyncio, importlib, json, threading
        for name in {[n for names in declared.values() for n in names]!r}:
            importlib.import_module(name)
        print(json.dumps([threading.active_count(), asyncio.get_event_loop_policy()._local._loop is not None]))
    """)
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=120, cwd=ROOT)
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout) == [1, False]


def test_each_lesson_names_entry_points_that_fork():
    named = {lesson.id: lesson.warm_servers for lesson in catalog.load() if lesson.warm_servers}
    assert set(named) == {"06", "07", "08"}
    for modules in named.values():
        for name in modules:
            assert name in ENTRY_POINTS
            module = __import__(name, fromlist=["main"])
            assert callable(module.main) and module.WARM_IMPORTS


def test_a_forked_daphne_serves_the_learners_code_and_stops_like_a_spawned_one(warm, tmp_path):
    from workshop import net

    port = net.free_port()
    server = _daphne("forked", port, env={"WORKSHOP_CHAT_DB": str(tmp_path / "chat.sqlite3")})
    daphne.start([server])
    try:
        assert isinstance(server.proc, forkserver.ForkedProcess), "not forked: the fork server was not used"
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/login/", timeout=10) as answer:
            assert answer.status == 200
        assert (tmp_path / "chat.sqlite3").exists(), "the forked server did not read its own environment"
        pid = server.proc.pid
    finally:
        server.stop()
    assert server.proc.returncode is not None
    deadline = time.monotonic() + 5
    while not _gone(pid) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert _gone(pid)


@pytest.mark.parametrize("fork_self", [True, False], ids=["forked-from-the-asker", "spawned"])
def test_a_grading_process_that_set_django_up_still_forks(tmp_path, fork_self):
    """A grading process imports the learner's files first, and Django changes its environment (TZ,
    DJANGO_SETTINGS_MODULE): the servers it starts afterwards must still be forked, at the right TZ."""
    script = textwrap.dedent(f"""
        import json, os, sys, time
        sys.path[:0] = [{str(ROOT)!r}, {str(LESSON)!r}, {str(SOLUTION)!r}]
        from workshop import server_forks
        server_forks.start(["workshop.asgi_server"], fork_self={fork_self!r})
        assert type(server_forks._server.proc).__name__ == {"ServerHere" if fork_self else "Popen"!r}
        os.environ["DJANGO_SETTINGS_MODULE"] = "chatsite.settings"
        import django
        django.setup()
        from checker.probes import daphne
        from workshop import net
        server = daphne.service("after-django", net.free_port(), lesson_dir={str(LESSON)!r},
                                exercise_dir={str(SOLUTION)!r}, settings="chatsite.settings",
                                factory="chatsite.asgi:application_for", timeout=60,
                                env={{"WORKSHOP_CHAT_DB": {str(tmp_path / "c.sqlite3")!r}}})
        with server:
            print(json.dumps([type(server.proc).__name__, os.environ["TZ"]]))
        server_forks.stop()
    """)
    done = subprocess.run([sys.executable, "-P", "-c", script], capture_output=True, text=True, timeout=120,
                          cwd=ROOT, env=_clean_env())
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout.splitlines()[-1]) == ["ForkedProcess", "UTC"]


def _server_of(module_dir: Path, *modules: str) -> forkserver.ForkServer:
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(ROOT), str(module_dir)])}
    return forkserver.ForkServer([sys.executable, "-P", "-m", "workshop.server_forks", ",".join(modules)], env=env)


def test_a_forked_server_runs_in_the_time_zone_it_was_given(tmp_path):
    """The child calls time.tzset() after taking the request's environment, as a cold start reads TZ."""
    (tmp_path / "tz_probe.py").write_text("import time\nWARM_IMPORTS = ()\n\n\ndef main():\n"
                                          "    print(time.tzname[0], flush=True)\n    return 0\n")
    log = tmp_path / "log"
    server = _server_of(tmp_path, "tz_probe")
    try:
        with open(log, "wb") as out:
            child = server.fork({"module": "tz_probe", "args": [], "cwd": str(tmp_path),
                                 "env": {**os.environ, "TZ": "XYZ-7"}}, [out.fileno()], timeout=60)
        assert child.wait(timeout=30) == 0
    finally:
        server.close()
    assert log.read_text().split() == ["XYZ"]


@pytest.mark.timeout(20)  # each wait below is allowed 30 s: only a missed end of file would use it
def test_a_fork_server_that_is_gone_is_seen_at_once():
    script = "import os, sys, time; os.close(int(sys.argv[1])); time.sleep(60)"
    server = forkserver.ForkServer([sys.executable, "-c", script])
    try:
        assert server.wait_ready(30) is False
        with pytest.raises(RuntimeError):
            server.fork({"module": "x"}, [], timeout=30)
    finally:
        server.close()
    assert server.proc.poll() is not None


def test_a_forked_daphne_on_a_busy_port_exits_1_and_the_log_says_why(warm):
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        sock.listen()
        server = _daphne("busy", sock.getsockname()[1])
        with pytest.raises(RuntimeError) as failed:
            daphne.start([server])
    assert isinstance(server.proc, forkserver.ForkedProcess)
    assert "Listen failure" in str(failed.value) or "Address already in use" in str(failed.value)
    assert server.proc.returncode == 1


def test_without_a_fork_server_or_when_turned_off_a_server_is_spawned(monkeypatch, tmp_path):
    from workshop import net

    monkeypatch.setenv("WORKSHOP_WARM_SERVERS", "0")
    server_forks.start(["workshop.asgi_server"])
    assert server_forks._server is None
    server = _daphne("cold", net.free_port(), env={"WORKSHOP_CHAT_DB": str(tmp_path / "chat.sqlite3")})
    with server:
        assert isinstance(server.proc, subprocess.Popen)


@pytest.mark.timeout(60)  # a fork server that is gone must not make a caller wait out its 120 s
def test_when_the_fork_server_is_gone_a_server_is_spawned_at_once(warm, tmp_path):
    from workshop import net

    assert server_forks._server.wait_ready(60)
    server_forks._server.proc.kill()
    server = _daphne("after", net.free_port(), env={"WORKSHOP_CHAT_DB": str(tmp_path / "chat.sqlite3")})
    server.ready_timeout = 120
    with server:
        assert isinstance(server.proc, subprocess.Popen)


@pytest.mark.parametrize("fork_self", [True, False], ids=["forked-from-the-asker", "spawned"])
def test_the_fork_server_and_its_servers_end_with_the_process_that_asked(tmp_path, fork_self):
    """A grading process killed outright (SIGKILL, no clean-up) leaves neither the fork server nor Daphne,
    whether the fork server is a copy of it (as in a grading) or a new interpreter."""
    script = textwrap.dedent(f"""
        import json, sys
        sys.path.insert(0, {str(ROOT)!r})
        from checker.probes import daphne
        from workshop import net, server_forks
        server_forks.start(["workshop.asgi_server"], fork_self={fork_self!r})
        assert type(server_forks._server.proc).__name__ == {"ServerHere" if fork_self else "Popen"!r}
        server = daphne.service("orphan", net.free_port(), lesson_dir={str(LESSON)!r}, exercise_dir={str(SOLUTION)!r},
                                settings="chatsite.settings", factory="chatsite.asgi:application_for", timeout=60,
                                env={{"WORKSHOP_CHAT_DB": {str(tmp_path / "c.sqlite3")!r}}})
        daphne.start([server])
        print(json.dumps([server_forks._server.proc.pid, server.proc.pid]), flush=True)
        input()
    """)
    asking = procs.spawn([sys.executable, "-P", "-c", script], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                         text=True, cwd=ROOT, env=_clean_env())
    pids: list[int] = []
    try:
        ready, _, _ = select.select([asking.stdout], [], [], 60)
        assert ready, "the asking process never said its pids"
        pids = json.loads(asking.stdout.readline())
        assert all(not _gone(pid) for pid in pids)
        os.kill(asking.pid, signal.SIGKILL)
        asking.wait(timeout=10)
        deadline = time.monotonic() + 10
        while not all(_gone(pid) for pid in pids) and time.monotonic() < deadline:
            time.sleep(0.05)
        assert [pid for pid in pids if not _gone(pid)] == []
    finally:
        procs.kill_tree(asking)
        for pid in pids:
            if not _gone(pid):
                with contextlib.suppress(OSError):
                    os.kill(pid, signal.SIGKILL)


def test_a_grading_process_forks_its_fork_server_from_itself_and_keeps_none_of_its_descriptors(tmp_path):
    """A grading process (``-P``, one thread, ``fork_self``) makes its fork server with ``fork()``: no
    second interpreter importing Django again. The copy must hold none of the asker's descriptors:
    the runner sees a grading end by the end of file of its event pipe, which a copy holding the
    pipe's writing end would delay for as long as the copy runs."""
    if not Path("/proc/self/fd").is_dir():
        pytest.skip("reads a process's descriptors from /proc (Linux)")
    script = textwrap.dedent(f"""
        import collections, json, os, select, sys, urllib.request
        sys.path[:0] = [{str(ROOT)!r}]
        from workshop import server_forks
        events_read, events_write = os.pipe()  # as the grading process's event pipe
        server_forks.start(["workshop.asgi_server"], fork_self=True)
        server = server_forks._server
        assert server.wait_ready(30)
        folder = f"/proc/{{server.proc.pid}}/fd"
        held = collections.Counter(os.readlink(f"{{folder}}/{{name}}") for name in os.listdir(folder))
        held = {{"devnull": held.pop(os.devnull, 0), "other": sum(held.values())}}
        from checker.probes import daphne
        from workshop import net
        port = net.free_port()
        daphne_server = daphne.service("here", port, lesson_dir={str(LESSON)!r}, exercise_dir={str(SOLUTION)!r},
                                       settings="chatsite.settings", factory="chatsite.asgi:application_for",
                                       timeout=60, env={{"WORKSHOP_CHAT_DB": {str(tmp_path / "c.sqlite3")!r}}})
        with daphne_server:
            with urllib.request.urlopen(f"http://127.0.0.1:{{port}}/login/", timeout=10) as answer:
                status = answer.status
            kind = type(daphne_server.proc).__name__
        os.close(events_write)
        ready, _, _ = select.select([events_read], [], [], 5)
        eof = bool(ready) and os.read(events_read, 1) == b""
        print(json.dumps([type(server.proc).__name__, held, kind, status, eof]))
        server_forks.stop()
    """)
    done = subprocess.run([sys.executable, "-P", "-c", script], capture_output=True, text=True, timeout=120,
                          cwd=ROOT, env=_clean_env())
    assert done.returncode == 0, done.stderr
    kind, held, daphne_kind, status, eof = json.loads(done.stdout.splitlines()[-1])
    assert kind == "ServerHere", "the fork server was spawned, not forked from the asking process"
    assert held["other"] == 3, "besides /dev/null, the copy holds only its socket and its SIGCHLD wake-up pipe"
    assert held["devnull"] >= 3
    assert (daphne_kind, status) == ("ForkedProcess", 200)
    assert eof, "the event pipe's writing end is still open somewhere: the fork server kept a copy"


def test_a_process_with_threads_spawns_its_fork_server():
    """``fork()`` in a process with other threads can copy a lock that one of them holds: spawn then."""
    script = textwrap.dedent(f"""
        import sys, threading
        sys.path[:0] = [{str(ROOT)!r}]
        from workshop import server_forks
        stop = threading.Event()
        threading.Thread(target=stop.wait, daemon=True).start()
        server_forks.start(["workshop.asgi_server"], fork_self=True)
        print(type(server_forks._server.proc).__name__)
        server_forks.stop()
        stop.set()
    """)
    done = subprocess.run([sys.executable, "-P", "-c", script], capture_output=True, text=True, timeout=120,
                          cwd=ROOT, env=_clean_env())
    assert done.returncode == 0, done.stderr
    assert done.stdout.split()[-1] == "Popen"
