"""Loopback ports: find a free one, tell whether one is busy, wait for a server to listen, serve
in the background (``ServerThread``).

Everything in the workshop binds to 127.0.0.1 only: nothing a learner runs is reachable
from the conference network.
"""

from __future__ import annotations

import socket
import sys
import threading
import time

LOOPBACK = "127.0.0.1"


def free_port(host: str = LOOPBACK) -> int:
    """A port that was free a moment ago (bind to port 0 and read back what the OS chose)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((host, 0))
        return sock.getsockname()[1]


#: Linux lets a server that sets SO_REUSEADDR bind and listen on an address held by a socket that
#: only set SO_REUSEADDR and never listens; BSD and macOS refuse it unless both sockets set
#: SO_REUSEPORT, which nginx and Chromium do not. Elsewhere ports are chosen as ``free_port`` does.
CAN_HOLD_PORTS = sys.platform.startswith("linux")


def hold_port(host: str = LOOPBACK) -> socket.socket:
    """A free port kept from every other process until the returned socket is closed, yet open to
    a server of ours: for a server started long after its port must be known (a config, an origin).

    ``free_port`` names a port that was free a moment ago; anything may take it before our server
    binds it, even an outgoing connection, whose local port comes from the same range. This socket
    is bound with SO_REUSEADDR and never listens, so the kernel refuses the port to any other
    ``bind()`` without SO_REUSEADDR (``free_port``'s included) and never picks it as an outgoing
    connection's local port, while a server that sets SO_REUSEADDR before it binds (nginx, Twisted,
    ``socketserver`` with ``allow_reuse_address``) may bind it and listen: a socket that only holds
    a port does not conflict with one that listens. Linux only (``CAN_HOLD_PORTS``).
    """
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind((host, 0))
    return sock


def port_is_free(port: int, host: str = LOOPBACK) -> bool:
    """True if nothing listens on ``host:port`` and we may bind it."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind((host, port))
        except OSError:
            return False
    return True


def busy_port_message(port: int, host: str = LOOPBACK) -> str:
    """What to tell a learner whose chosen port is taken."""
    return (
        f"Port {port} on {host} is already in use (is another demo or `checker serve` still running?).\n"
        f"Stop that program (Ctrl-C in its terminal), or pick another port: --port {port + 1}"
    )


def wait_for_port(port: int, host: str = LOOPBACK, timeout: float = 10.0, alive=None) -> bool:
    """Poll until something accepts TCP connections on ``host:port``.

    ``alive`` is an optional callable; when it returns False (the server process died)
    waiting stops early. Returns True when the port answered.
    """
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if alive is not None and not alive():
            return False
        try:
            with socket.create_connection((host, port), timeout=0.5):
                return True
        except OSError:
            time.sleep(0.02)
    return False


class ServerThread:
    """``with ServerThread(server) as srv: srv.url`` -- a ``socketserver`` server serving in a daemon thread.

    Leaving the block shuts the server down and closes its socket; the lessons' WSGI servers
    (``django_support.BackgroundServer``, lesson 04's ``BackgroundPool``) are this with their own server."""

    def __init__(self, server, name: str | None = None):
        self.server = server
        self.host, self.port = server.server_address[:2]
        self.thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, name=name,
                                       daemon=True)

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}"

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self.server.shutdown()
        self.server.server_close()
