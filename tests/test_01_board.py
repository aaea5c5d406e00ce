"""Lesson 01's scaffolding: the board wakes waiters at once, counts how it is read, and its
launcher serves the reference over real HTTP (what the checks and the benchmark rely on)."""

from __future__ import annotations

import sys
import threading

from workshop import paths

LESSON = paths.lesson_dir("01-http-polling")
sys.path.insert(0, str(LESSON))

from board.store import Board  # noqa: E402


def test_a_post_wakes_a_waiter_and_the_waits_are_counted():
    board = Board()
    seen = []

    def waiter():
        with board.changed:
            board.changed.wait_for(lambda: board.last_id() > 0, timeout=30)
            seen.append(board.last_id())

    thread = threading.Thread(target=waiter)
    thread.start()
    while board.changed.waits == 0:  # the waiter is asleep on the condition
        threading.Event().wait(0.01)
    board.post("ada", "hello")
    thread.join(30)
    assert seen == [1]
    assert board.changed.waits >= 1


def test_reads_are_counted_so_a_sleep_loop_shows():
    board = Board()
    for _ in range(5):
        board.messages()
        board.last_id()
    assert board.reads == 10


LAUNCH_AND_USE = """
import json, socket, sys, urllib.request
from checker import launchers
from workshop import paths
from workshop.launch import Ports
launch = launchers.load(paths.lesson_dir("01-http-polling")).launch
ports = Ports.free("http")
with launch(paths.exercise_dir(paths.SOLUTIONS, "01-http-polling"), ports) as site:
    post = urllib.request.Request(site.url("http") + "/api/messages", data=b"author=me&text=hi", method="POST")
    assert urllib.request.urlopen(post, timeout=10).status == 201
    answer = json.loads(urllib.request.urlopen(site.url("http") + "/api/messages?after=0", timeout=10).read())
    assert [m["text"] for m in answer["messages"]] == ["hi"] and answer["cursor"] == 1, answer
with socket.socket() as probe:  # the port is free again once the launch has stopped
    probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    probe.bind(("127.0.0.1", ports["http"]))
    probe.listen()
print("ok")
"""


def test_the_launcher_serves_the_reference_and_stops():
    """In a process of its own: the launcher sets Django up for the board, once per process."""
    import subprocess

    done = subprocess.run([sys.executable, "-c", LAUNCH_AND_USE], cwd=paths.REPO_ROOT, capture_output=True,
                          text=True, timeout=120)
    assert done.returncode == 0 and done.stdout.strip() == "ok", done.stderr
