"""The attacks on lesson 03's server, as functions that return what they measured.

``tests/test_03_attacks.py`` runs each against the reference solution and asserts it is
refused, bounded or repaired; the same functions, pointed at an older copy of the lesson,
gave the "before" numbers of the lesson README's Security section.

The server runs in a subprocess started through ``lessons/03-websocket-handshake/launch.py``
(``AttackedServer``), so that its memory (VmRSS in ``/proc/PID/status``), its descriptors
(``/proc/PID/fd``) and its log are its own, and so that ``resource.setrlimit(RLIMIT_NOFILE)``
can give it macOS's default ``ulimit -n 256`` without touching the test process. Clients are
raw sockets on 127.0.0.1 with frames from the oracle ``checker.probes.wire``: an attacker does
not use a polite library.
"""

from __future__ import annotations

import base64
import json
import os
import select
import socket
import struct
import subprocess
import sys
import threading
import time
from pathlib import Path

from checker.probes import wire
from tests.helpers import wait_until

ROOT = Path(__file__).resolve().parent.parent
LESSON = ROOT / "lessons" / "03-websocket-handshake"
SOLUTION = ROOT / "solutions" / "03-websocket-handshake"
MIB = 1 << 20

SERVER = r"""
import importlib.util, json, logging, sys
from pathlib import Path
root, lesson, exercise, options = sys.argv[1], Path(sys.argv[2]), Path(sys.argv[3]), json.loads(sys.argv[4])
sys.path.insert(0, root)
if options.get("nofile"):  # emulate `ulimit -n N` (macOS's default is 256)
    import resource
    resource.setrlimit(resource.RLIMIT_NOFILE, (options["nofile"], resource.getrlimit(resource.RLIMIT_NOFILE)[1]))
logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(message)s")
spec = importlib.util.spec_from_file_location("lesson03_launch", lesson / "launch.py")
module = importlib.util.module_from_spec(spec)
spec.loader.exec_module(module)
from workshop.launch import Ports
extra = {"limits": options["limits"]} if options.get("limits") else {}
with module.launch(exercise, Ports.free("http"), **extra) as site:
    print(site.extras["server"].port, flush=True)
    sys.stdin.read()  # serve until the test closes our stdin
"""


class AttackedServer:
    """Lesson 03's server for ``exercise`` in a subprocess: ``with AttackedServer(log) as server:``."""

    def __init__(self, log_path: Path, *, limits: dict | None = None, nofile: int | None = None,
                 lesson: Path = LESSON, exercise: Path = SOLUTION) -> None:
        self.log_path = log_path
        self.options = {"limits": limits or {}, "nofile": nofile}
        self.lesson, self.exercise = lesson, exercise
        self.proc: subprocess.Popen | None = None
        self.port = 0

    def __enter__(self) -> "AttackedServer":
        with open(self.log_path, "w") as log:
            self.proc = subprocess.Popen(
                [sys.executable, "-c", SERVER, str(ROOT), str(self.lesson), str(self.exercise), json.dumps(self.options)],
                stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=log, text=True, cwd=ROOT)
        line = self.proc.stdout.readline()
        if not line.strip().isdigit():
            self.__exit__()
            raise RuntimeError(f"the lesson 03 server did not start:\n{self.log()}")
        self.port = int(line)
        return self

    def __exit__(self, *exc) -> None:
        if self.proc is None:
            return
        self.proc.stdin.close()
        try:
            self.proc.wait(15)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
        self.proc.stdout.close()

    def rss(self) -> int:
        """The server's resident memory in bytes (VmRSS)."""
        for line in Path(f"/proc/{self.proc.pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) * 1024
        raise RuntimeError("no VmRSS line")

    def settled_rss(self, seconds: float = 10.0) -> int:
        """VmRSS once it stops changing (the server has worked through what the kernel buffered)."""
        last, end = self.rss(), time.monotonic() + seconds
        while time.monotonic() < end:
            time.sleep(0.3)
            now = self.rss()
            if abs(now - last) < 256 * 1024:
                return now
            last = now
        return last

    def fds(self) -> int:
        return len(os.listdir(f"/proc/{self.proc.pid}/fd"))

    def log(self) -> str:
        return self.log_path.read_text(errors="replace")


# ---- a raw client ----------------------------------------------------------------------


def request(path: str, host: str = "127.0.0.1") -> bytes:
    key = base64.b64encode(os.urandom(16)).decode()
    return (f"GET {path} HTTP/1.1\r\nHost: {host}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
            f"Sec-WebSocket-Key: {key}\r\nSec-WebSocket-Version: 13\r\n\r\n").encode()


class RawClient:
    """A WebSocket client on a bare socket. ``read=True``: a thread reads everything that arrives
    (so a Close frame is seen even if a reset follows); ``read=False``: nobody ever reads."""

    def __init__(self, port: int, path: str = "/echo", *, read: bool = True, keep: int = 4 * MIB,
                 rcvbuf: int | None = None, timeout: float = 10.0) -> None:
        self.sock = socket.socket()
        if rcvbuf:
            self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, rcvbuf)
        self.sock.settimeout(timeout)
        self.sock.connect(("127.0.0.1", port))
        self.sock.sendall(request(path))
        head = b""
        while b"\r\n\r\n" not in head:
            chunk = self.sock.recv(1)  # one byte at a time: leave the frames after the head unread
            if not chunk:
                raise ConnectionError(f"no answer to the handshake: {head!r}")
            head += chunk
        if not head.startswith(b"HTTP/1.1 101 "):
            raise ConnectionError(f"handshake refused: {head.splitlines()[0]!r}")
        self.data = bytearray()
        self.received = 0
        self.keep = keep
        self.ended = threading.Event()
        self.error: str | None = None
        if read:
            threading.Thread(target=self._read, daemon=True).start()

    def _read(self) -> None:
        try:
            while chunk := self.sock.recv(MIB):
                self.received += len(chunk)
                if len(self.data) < self.keep:
                    self.data += chunk
        except OSError as exc:
            self.error = type(exc).__name__
        self.ended.set()

    def frames(self) -> list[tuple[int, bool, bytes]]:
        """The complete frames among the bytes kept so far."""
        data, out, i = bytes(self.data), [], 0
        while len(data) - i >= 2:
            length, head = data[i + 1] & 0x7F, {126: 4, 127: 10}.get(data[i + 1] & 0x7F, 2)
            if len(data) - i < head:
                break
            if head > 2:
                (length,) = struct.unpack_from("!H" if head == 4 else "!Q", data, i + 2)
            if len(data) - i < head + length:
                break
            out.append((data[i] & 0x0F, bool(data[i] & 0x80), data[i + head : i + head + length]))
            i += head + length
        return out

    def close_code(self) -> int | None:
        codes = [wire.close_code(payload) for opcode, _fin, payload in self.frames() if opcode == wire.CLOSE]
        return codes[0] if codes else None

    def wait(self, predicate, seconds: float) -> bool:
        return wait_until(predicate, seconds)

    def send(self, data: bytes) -> bool:
        """Send; False once the server has hung up."""
        try:
            self.sock.sendall(data)
            return True
        except OSError:
            return False

    def close(self) -> None:
        self.sock.close()


def server_hung_up(sock: socket.socket, seconds: float) -> bool:
    """Read ``sock`` (a socket nobody else reads) until the server ends it: True if it did in time."""
    end = time.monotonic() + seconds
    sock.setblocking(False)
    while True:
        left = end - time.monotonic()
        if left < 0:
            return False
        ready, _, _ = select.select([sock], [], [], min(0.2, left))
        if ready:
            try:
                if not sock.recv(MIB):
                    return True
            except BlockingIOError:
                continue
            except OSError:
                return True  # reset


def echo_works(port: int, seconds: float = 5.0) -> bool:
    """Can an ordinary client open /echo and get "hello" back?"""
    try:
        client = RawClient(port, "/echo", timeout=seconds)
    except (OSError, ConnectionError):
        return False
    try:
        client.send(wire.wire(wire.TEXT, b"hello"))
        return client.wait(lambda: any(p == b"hello" for _o, _f, p in client.frames()), seconds)
    finally:
        client.close()


# ---- the attacks -----------------------------------------------------------------------


def fragment_flood(server: AttackedServer, frames: int) -> dict:
    """A text frame with FIN=0, then ``frames`` empty continuation frames (6 bytes each), on /echo."""
    client = RawClient(server.port, "/echo")
    before = server.settled_rss()
    client.send(wire.wire(wire.TEXT, b"", fin=False))
    batch = 10_000
    chunk = wire.wire(wire.CONT, b"", fin=False) * batch
    sent = 0
    while sent < frames and client.close_code() is None and client.send(chunk):
        sent += batch
    client.wait(lambda: client.close_code() is not None or client.ended.is_set(), 10)
    after = server.settled_rss()
    result = {"frames sent": sent, "close": client.close_code(), "rss growth MiB": (after - before) / MIB}
    client.close()
    return result


def slow_reader(server: AttackedServer, messages: int = 200, size: int = 256 * 1024) -> dict:
    """On /chat, a member that never reads while another sends ``messages`` of ``size`` bytes."""
    victim = RawClient(server.port, "/chat", read=False, rcvbuf=4096)
    sender = RawClient(server.port, "/chat", keep=0)
    before = server.settled_rss()
    frame = wire.wire(wire.TEXT, b"x" * size)
    for _ in range(messages):
        sender.send(frame)
    # The sender is in the room too: once its own copies are back, the server has broadcast them all.
    sender.wait(lambda: sender.received >= messages * size, 60)
    after = server.settled_rss()
    hung_up = server_hung_up(victim.sock, 10)
    result = {"rss growth MiB": (after - before) / MIB, "victim dropped": hung_up,
              "sender got MiB": sender.received / MIB}
    victim.close()
    sender.close()
    return result


def slowloris(server: AttackedServer, connections: int = 300, seconds: float = 6.0) -> dict:
    """``connections`` sockets sending a request head one byte per second; an ordinary client
    tries /echo in the middle of it. Counts the server's descriptors and log lines."""
    lines_before = len(server.log().splitlines())
    socks = []
    for _ in range(connections):
        sock = socket.socket()
        sock.setblocking(False)
        sock.connect_ex(("127.0.0.1", server.port))  # the kernel queues it even if nobody accepts
        socks.append(sock)
    head, most_fds, normal, start, sent = request("/echo"), 0, None, time.monotonic(), 0
    while time.monotonic() - start < seconds:
        for sock in socks:
            try:
                sock.send(head[sent : sent + 1])
            except OSError:
                pass  # not connected yet, or dropped by the server
        sent += 1
        most_fds = max(most_fds, server.fds())
        if normal is None and time.monotonic() - start > 1.5:
            normal = echo_works(server.port, 3.0)
        time.sleep(max(0.0, start + sent - time.monotonic()))
    log = server.log().splitlines()[lines_before:]
    open_now = sum(1 for sock in socks if not server_hung_up(sock, 0.01))
    for sock in socks:
        sock.close()
    return {"ordinary client served": normal, "server fds (most)": most_fds, "log lines": len(log),
            "accept tracebacks": sum("out of system resource" in line for line in log),
            "slowloris sockets still open": open_now}
