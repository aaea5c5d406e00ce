"""A TCP relay between a client and a server that can cut every open connection at once.

A browser's ``EventSource`` (or a WebSocket client) reconnects by itself when its connection
breaks. To see that happen for real, put this proxy in between and call ``kill_all()``: both
sides see a connection reset in the middle of the stream, as when a laptop changes networks::

    with KillableProxy(server_port, timeout=ctx.timeout(2)) as proxy:
        page.goto(f"http://127.0.0.1:{proxy.port}/")
        ...
        proxy.kill_all()
"""

from __future__ import annotations

import contextlib
import socket
import threading


class KillableProxy:
    """A TCP relay on a free loopback port whose open connections can be cut at once.

    ``timeout`` limits connecting to the server for each new client.
    """

    def __init__(self, target_port: int, *, timeout: float, host: str = "127.0.0.1"):
        self.target = (host, target_port)
        self.timeout = timeout
        self.listener = socket.create_server((host, 0))
        self.port = self.listener.getsockname()[1]
        self._lock = threading.Lock()
        self._sockets: set[socket.socket] = set()
        self._closed = False
        self.accepted = 0

    def __enter__(self) -> "KillableProxy":
        threading.Thread(target=self._accept, daemon=True).start()
        return self

    def __exit__(self, *exc) -> None:
        self._closed = True
        with contextlib.suppress(OSError):
            self.listener.close()
        self.kill_all()

    def _accept(self) -> None:
        while not self._closed:
            try:
                client, _ = self.listener.accept()
                upstream = socket.create_connection(self.target, timeout=self.timeout)
            except OSError:
                if self._closed:
                    return
                continue
            upstream.settimeout(None)
            with self._lock:
                self._sockets.update((client, upstream))
                self.accepted += 1
            for src, dst in ((client, upstream), (upstream, client)):
                threading.Thread(target=self._pump, args=(src, dst), daemon=True).start()

    def _pump(self, src: socket.socket, dst: socket.socket) -> None:
        try:
            while chunk := src.recv(65536):
                dst.sendall(chunk)
        except OSError:
            pass
        for sock in (src, dst):
            with contextlib.suppress(OSError):
                sock.shutdown(socket.SHUT_RDWR)

    def kill_all(self) -> int:
        """Cut every open connection in both directions; return how many were cut."""
        with self._lock:
            sockets, self._sockets = list(self._sockets), set()
        for sock in sockets:
            with contextlib.suppress(OSError):
                sock.shutdown(socket.SHUT_RDWR)
        for sock in sockets:
            with contextlib.suppress(OSError):
                sock.close()
        return len(sockets) // 2
