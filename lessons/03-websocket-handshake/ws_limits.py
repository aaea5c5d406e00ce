"""The limits that keep lesson 03's server up under attack, and the accept loop that enforces them.

An attack run against this server (README, "Security: what an attacker tried") found three
ways to exhaust it that have nothing to do with RFC 6455's rules:

* **time**: a client that sends its request head one byte per second (slowloris), or opens a
  WebSocket and then goes silent, holds a socket for ever. ``handshake_timeout`` bounds the
  head; ``idle_timeout`` pings a silent client and drops it if even the Pong never comes;
* **file descriptors**: every socket is one. Past ``ulimit -n`` (256 by default on macOS)
  ``accept()`` fails with EMFILE, and asyncio's own accept loop then logs a traceback for each
  waiting connection and retries at once: 130,000 lines in 30 s. ``Listener`` accepts by
  itself instead: it keeps the number of sockets under a cap computed from the descriptor
  limit, makes room by dropping the oldest connection still in its handshake, answers 503
  when only open WebSockets fill the cap, and on EMFILE stops accepting for a moment and says
  so once per interval;
* **memory**: a client that never reads makes the server queue everything sent to it.
  ``max_buffer`` bounds that queue per client (the server closes the slow reader with 1008)
  and ``send_timeout`` bounds how long the server waits for a client to read.

(The fourth attack, a message in millions of empty fragments, is refused by the learner's
``Connection``: it is protocol logic, so it lives in the sans-I/O code and its check.)
"""

from __future__ import annotations

import asyncio
import errno
import logging
import os
import socket
import time
from dataclasses import dataclass

try:
    import resource  # Unix only: the file descriptor limit
except ImportError:  # pragma: no cover - Windows
    resource = None

log = logging.getLogger("ws03")

#: accept() errors that mean "out of descriptors or kernel memory": wait, do not retry at once.
OUT_OF_RESOURCES = (errno.EMFILE, errno.ENFILE, errno.ENOBUFS, errno.ENOMEM)
MAX_HEAD = 16 * 1024  # bytes of request head accepted before answering 431
BUSY = b"HTTP/1.1 503 Service Unavailable\r\nRetry-After: 5\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"


@dataclass(frozen=True)
class Limits:
    """How much one client may take. The defaults suit a classroom; the attack tests shrink them."""

    handshake_timeout: float = 5.0  # seconds for the whole request head (a browser needs a millisecond)
    idle_timeout: float = 30.0  # silent this long -> a Ping; silent as long again -> dropped
    max_connections: int = 512  # sockets at once, handshakes included; cut to fit the descriptor limit
    fd_reserve: int = 32  # descriptors kept free for everything else (log files, the page, imports)
    max_buffer: int = 1 << 20  # bytes queued for one client before it is dropped as a slow reader
    send_timeout: float = 10.0  # seconds to wait for a client to read what we sent
    accept_pause: float = 0.5  # seconds not accepting after accept() ran out of descriptors
    log_interval: float = 10.0  # at most one line per kind of trouble per interval

    def connection_cap(self) -> int:
        """``max_connections``, cut so that the sockets fit in ``ulimit -n`` with ``fd_reserve`` to spare."""
        if resource is None:
            return self.max_connections
        soft, _hard = resource.getrlimit(resource.RLIMIT_NOFILE)
        if soft == resource.RLIM_INFINITY:
            return self.max_connections
        return max(1, min(self.max_connections, soft - fds_in_use() - self.fd_reserve))


def fds_in_use() -> int:
    """How many descriptors this process holds now (Linux and macOS); 0 if the OS does not say."""
    for folder in ("/proc/self/fd", "/dev/fd"):
        try:
            return len(os.listdir(folder))
        except OSError:
            continue
    return 0


class QuietLog:
    """A log that says each kind of trouble at most once per interval, then how often it recurred.

    Under attack, one line per event is itself a denial of service: the disk fills and the one
    useful line drowns. ``warn("emfile", ...)`` logs the first time, counts the next ones, and
    logs again (with the count) once ``interval`` seconds have passed.
    """

    def __init__(self, interval: float) -> None:
        self.interval = interval
        self._seen: dict[str, list] = {}  # kind -> [time of the last line, events not logged since]

    def warn(self, kind: str, message: str, *args) -> None:
        now = time.monotonic()
        seen = self._seen.get(kind)
        if seen is not None and now - seen[0] < self.interval:
            seen[1] += 1
            return
        if seen is not None and seen[1]:
            message += f" ({seen[1]} more like this in the last {now - seen[0]:.0f} s)"
        self._seen[kind] = [now, 0]
        log.warning(message, *args)


class Listener:
    """Accepts TCP connections itself and hands each to ``handler(reader, writer)`` in a task.

    ``asyncio.start_server`` accepts as fast as the kernel offers and has no cap. This loop keeps
    the number of live connections under ``limits.connection_cap()``. At the cap it drops the
    oldest connection still in its handshake (``pending``: a slowloris holds its slot only until
    a real client needs it), or, when every slot is an open WebSocket, answers 503 and hangs up.
    The handler calls ``settled()`` once its handshake is done.
    """

    def __init__(self, handler, limits: Limits, quiet: QuietLog) -> None:
        self.handler = handler
        self.limits = limits
        self.quiet = quiet
        self.cap = limits.connection_cap()
        self.tasks: set[asyncio.Task] = set()
        self.pending: dict[asyncio.Task, None] = {}  # still in the handshake, oldest first
        self._socket: socket.socket | None = None
        self._accepting: asyncio.Task | None = None

    async def start(self, host: str, port: int) -> int:
        self._socket = socket.create_server((host, port), backlog=128)
        self._socket.setblocking(False)
        self._accepting = asyncio.get_running_loop().create_task(self._accept_loop())
        log.info("accepting at most %d connections at once (descriptor limit and max_connections)", self.cap)
        return self._socket.getsockname()[1]

    def close(self) -> None:
        """Stop accepting (the connections already accepted go on)."""
        if self._accepting is not None:
            self._accepting.cancel()
        if self._socket is not None:
            self._socket.close()

    def settled(self, task: asyncio.Task | None) -> None:
        """The handshake of ``task``'s connection is over: it may no longer be dropped to make room."""
        self.pending.pop(task, None)

    async def _accept_loop(self) -> None:
        loop = asyncio.get_running_loop()
        while True:
            try:
                sock, _address = await loop.sock_accept(self._socket)
            except OSError as exc:
                if exc.errno not in OUT_OF_RESOURCES:
                    raise
                # Linux keeps reporting the listening socket as readable: retrying at once would spin
                # (and asyncio's own loop logs a traceback each time). Pause, and say it once.
                self.quiet.warn("accept", "accept() failed: %s; not accepting for %g s (%d connections open)",
                                exc.strerror, self.limits.accept_pause, len(self.tasks))
                await asyncio.sleep(self.limits.accept_pause)
                continue
            if len(self.tasks) >= self.cap and not await self._drop_oldest_pending():
                self._refuse(sock)
                continue
            task = loop.create_task(self._serve(sock))
            self.tasks.add(task)
            self.pending[task] = None
            task.add_done_callback(self._forget)

    async def _drop_oldest_pending(self) -> bool:
        """Cancel the connection that has been in its handshake longest, and wait until its socket is closed.

        Waiting matters: a burst of connections would otherwise cancel faster than the cancelled
        tasks get to close their sockets, and the descriptors would run out all the same.
        """
        oldest = next(iter(self.pending), None)
        if oldest is None:
            return False
        self.pending.pop(oldest)
        oldest.cancel()
        await asyncio.wait({oldest}, timeout=1.0)
        self.quiet.warn("evict", "%d connections open (the cap): dropped the oldest one still in its handshake", self.cap)
        return True

    def _refuse(self, sock: socket.socket) -> None:
        try:
            sock.send(BUSY)  # non-blocking: a few bytes fit in any empty socket buffer
        except OSError:
            pass
        sock.close()
        self.quiet.warn("full", "%d WebSockets open (the cap): answered 503 to a new connection", self.cap)

    def _forget(self, task: asyncio.Task) -> None:
        self.tasks.discard(task)
        self.pending.pop(task, None)

    async def _serve(self, sock: socket.socket) -> None:
        try:
            reader, writer = await asyncio.open_connection(sock=sock, limit=MAX_HEAD)
        except BaseException:
            sock.close()
            raise
        await self.handler(reader, writer)  # it closes the connection, whatever happens

