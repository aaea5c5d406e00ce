"""Lesson 05's Node.js sidecar starts in the order its launcher relies on.

The launcher calls a sidecar *ready when* its port accepts connections. So the port must accept
nothing until the shared Redis connection is open and the real server listens: a check that
connects on "ready" must find a sidecar that serves, never a refused port.

This pins a flake seen once in CI under load: the busy-port test listened on the port for a moment
and closed it again, a poll of the launcher landed in that moment, and the first check's connection
was refused while the sidecar was still connecting to Redis. Node is watched from inside (a
``--require`` hook records every ``listen`` in a file, synchronously) and Redis is reached through a
relay that notes what had happened when the sidecar's first Redis connection came.
"""

from __future__ import annotations

import json
import os
import socket
import subprocess
import threading
import time
from pathlib import Path

from checker import launchers
from tests.test_05_sidecar import LESSON, ROOT, _require_node
from workshop import net
from workshop.redis_server import RedisServer

HOOK = """
const fs = require("node:fs");
const net = require("node:net");
const listen = net.Server.prototype.listen;
net.Server.prototype.listen = function (...args) {
  const first = args[0];
  const port = first !== null && typeof first === "object" ? first.port : first;
  fs.appendFileSync(process.env.LISTEN_LOG, JSON.stringify(Number(port)) + "\\n");
  return listen.apply(this, args);
};
"""


class Relay:
    """A TCP relay to Redis that reads ``log`` when the first connection arrives."""

    def __init__(self, target_port: int, log: Path):
        self.target_port, self.log = target_port, log
        self.seen_at_first_connection: list[int] | None = None
        self.listener = socket.create_server((net.LOOPBACK, 0))
        self.port = self.listener.getsockname()[1]
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self) -> None:
        while True:
            try:
                client, _ = self.listener.accept()
            except OSError:
                return
            if self.seen_at_first_connection is None:
                self.seen_at_first_connection = _listens(self.log)
            upstream = socket.create_connection((net.LOOPBACK, self.target_port))
            for a, b in ((client, upstream), (upstream, client)):
                threading.Thread(target=_pump, args=(a, b), daemon=True).start()

    def close(self) -> None:
        self.listener.close()


def _pump(source: socket.socket, sink: socket.socket) -> None:
    try:
        while data := source.recv(65536):
            sink.sendall(data)
    except OSError:
        pass
    finally:
        for s in (source, sink):
            try:
                s.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass


def _listens(log: Path) -> list[int]:
    return [json.loads(line) for line in log.read_text().splitlines()] if log.exists() else []


def test_the_node_sidecar_accepts_nothing_before_redis_and_listens_once(tmp_path):
    _require_node()
    lesson05 = launchers.load(LESSON)
    hook, log = tmp_path / "hook.js", tmp_path / "listens.log"
    hook.write_text(HOOK)
    port = net.free_port()
    with RedisServer() as redis:
        relay = Relay(redis.port, log)
        argv = lesson05.node_sidecar_argv(ROOT / "solutions" / "05-redis-sidecar", port,
                                          f"redis://{net.LOOPBACK}:{relay.port}/0", ["http://127.0.0.1:8000"])
        argv[1:1] = ["--require", str(hook)]
        proc = subprocess.Popen(argv, cwd=LESSON, env={**os.environ, "LISTEN_LOG": str(log)},
                                stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        try:
            assert net.wait_for_port(port, timeout=20, alive=lambda: proc.poll() is None), "the sidecar never served"
            deadline = time.monotonic() + 5
            while relay.seen_at_first_connection is None and time.monotonic() < deadline:
                time.sleep(0.01)
            assert relay.seen_at_first_connection == [], (
                "the sidecar listened on a port before its Redis connection opened: "
                f"{relay.seen_at_first_connection}")
            assert _listens(log).count(port) == 1, f"listen() calls on port {port}: {_listens(log)}"
        finally:
            proc.terminate()
            output = proc.communicate(timeout=10)[0]
            relay.close()
    assert "listening on ws://" in output, output

