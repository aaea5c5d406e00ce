"""A fork server: a process that has imported slow modules once and forks copies of itself on request.

Starting Python and importing Django, Channels and Twisted costs about a second of CPU per
process; ``fork()`` of a process that has already imported them costs a few milliseconds. Two
users share this machinery:

* ``checker.zygote`` forks grading processes (``checker watch``, and a grading split in groups);
* ``workshop.server_forks`` forks the Python servers a lesson's launcher starts (Daphne, a
  Channels worker, a Celery worker) inside one grading process.

What may be imported before a fork is the caller's decision, and a narrow one: modules that start
no thread, open no socket and create no event loop when imported. A loop or a reactor made before
``fork()`` would be shared by every child (one epoll set for all of them).

Protocol, on a Unix stream socket pair, each message a 4-byte length and JSON (macOS has no
``SOCK_SEQPACKET`` for Unix sockets, and its datagrams are limited to 2 KB; a stream also says
"the other side is gone" by its end of file)::

    client -> server   {"id": n, ...request}  + file descriptors
    server -> client   {"ready": true}         once everything is imported
    server -> client   {"id": n, "pid": p}     the child was forked
    server -> client   {"exit": p, "code": c}  it ended (the server reaps it)

Every child starts a session of its own (so ``procs.kill_tree`` stops it and what it started). When
the client goes away, or the server's loop fails in any way, the server kills every process it
forked, then ends. Only a SIGKILL of the server alone would leave its children behind, and the
checker never sends one alone: ``procs.kill_tree`` lists a whole tree before it signals any of it.
"""

from __future__ import annotations

import contextlib
import gc
import json
import os
import select
import signal
import socket
import struct
import subprocess
import sys
import threading
import time

from workshop import procs


_HEADER = struct.Struct(">I")
MAX_FDS = 4


def send(sock: socket.socket, message: dict, fds=()) -> None:
    """One message, with ``fds`` attached to its first byte."""
    data = json.dumps(message).encode()
    frame = _HEADER.pack(len(data)) + data
    sent = socket.send_fds(sock, [frame], list(fds)) if fds else sock.send(frame)
    if sent < len(frame):
        sock.sendall(frame[sent:])


def receive(sock: socket.socket) -> tuple[dict | None, list[int]]:
    """The next message and the descriptors that came with it; ``(None, [])`` at end of file."""
    header, fds, _, _ = socket.recv_fds(sock, _HEADER.size, MAX_FDS)
    header = _exactly(sock, header, _HEADER.size)
    if header is None:
        for fd in fds:
            os.close(fd)
        return None, []
    body = _exactly(sock, b"", _HEADER.unpack(header)[0])
    return (json.loads(body) if body is not None else None), fds


def _exactly(sock: socket.socket, data: bytes, size: int) -> bytes | None:
    while len(data) < size:
        chunk = sock.recv(size - len(data))
        if not chunk:
            return None
        data += chunk
    return data


class ForkedProcess:
    """Enough of ``subprocess.Popen`` for a process forked by a fork server: pid, args, poll, wait,
    returncode, send_signal, terminate, kill. Its exit code comes from the server, which reaps it;
    if the server is gone, only "it has ended" can be known (``-SIGKILL`` stands for that)."""

    def __init__(self, pid: int, server: "ForkServer", args=()):
        self.pid = pid
        self.args = list(args)
        self._server = server

    @property
    def returncode(self) -> int | None:
        return self.poll()

    def poll(self) -> int | None:
        code = self._server.exit_codes.get(self.pid)
        if code is None and not self._server.alive() and not procs.running(self.pid):
            return -signal.SIGKILL
        return code

    def wait(self, timeout: float | None = None) -> int:
        deadline = None if timeout is None else time.monotonic() + timeout
        with self._server.changed:
            while (code := self.poll()) is None:
                left = None if deadline is None else deadline - time.monotonic()
                if left is not None and left <= 0:
                    raise subprocess.TimeoutExpired(f"forked process {self.pid}", timeout)
                # the server's exit notices wake this; once the server is gone, look every 50 ms
                step = left if self._server.alive() else min(0.05, left if left is not None else 0.05)
                self._server.changed.wait(step)
        return code

    def send_signal(self, sig: int) -> None:
        if self.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                os.kill(self.pid, sig)

    def terminate(self) -> None:
        self.send_signal(signal.SIGTERM)

    def kill(self) -> None:
        self.send_signal(signal.SIGKILL)


class ForkServer:
    """The client's side: start a fork server (``argv`` + the socket's fd number), ask it for children, stop it.

    Thread-safe: any thread may ``fork``; one reader thread takes the server's messages.
    """

    def __init__(self, argv: list[str] | None, *, env: dict | None = None, cwd: str | None = None, here=None):
        """Start the server; it imports in the background (``wait_ready``, or ``fork`` waits for it).

        ``here``: a ``child`` function (as ``serve`` takes) to make the server a ``fork()`` of this
        process instead of a new interpreter running ``argv`` (``serve_here``): for a process that
        has imported what the server needs, so the server is ready at once and imports nothing.
        """
        self.exit_codes: dict[int, int] = {}
        self.changed = threading.Condition()
        self.ready = False
        self._gone = False  # the server's end of the socket closed: it ended, or is ending
        self._replies: dict[int, int] = {}
        self._abandoned: set[int] = set()
        self._next_id = 0
        self._send_lock = threading.Lock()
        ours, theirs = socket.socketpair(socket.AF_UNIX, socket.SOCK_STREAM)
        self.sock = ours
        try:
            if here is not None:
                self.proc = serve_here(theirs, ours, here)
            else:
                self.proc = procs.spawn([*argv, str(theirs.fileno())], pass_fds=(theirs.fileno(),),
                                        stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                                        stderr=subprocess.DEVNULL, cwd=cwd, env=env)
        except BaseException:
            ours.close()
            raise
        finally:
            theirs.close()
        threading.Thread(target=self._read, daemon=True, name="forkserver-reader").start()

    def alive(self) -> bool:
        return not self._gone and self.proc.poll() is None

    def wait_ready(self, timeout: float) -> bool:
        """True once the server has imported everything and forks on request."""
        with self.changed:
            self.changed.wait_for(lambda: self.ready or self._gone, timeout)
            return self.ready and self.alive()

    def _read(self) -> None:
        try:
            while (message := receive(self.sock)[0]) is not None:
                with self.changed:
                    if "ready" in message:
                        self.ready = True
                    elif "exit" in message:
                        self.exit_codes[message["exit"]] = message["code"]
                    elif message["id"] in self._abandoned:  # forked after its caller gave up: nobody tracks it
                        for kill in (os.killpg, os.kill):
                            with contextlib.suppress(OSError, KeyError):
                                kill(message["pid"], signal.SIGKILL)
                    else:
                        self.exit_codes.pop(message.get("pid"), None)  # a pid used again
                        self._replies[message["id"]] = message
                    self.changed.notify_all()
        except (OSError, ValueError, KeyError):
            pass
        finally:
            with self.changed:
                self._gone = True
                self.changed.notify_all()

    def fork(self, request: dict, fds, timeout: float = 60.0, args=()) -> ForkedProcess:
        """A child for ``request`` (a JSON-able dict), handed the file descriptors ``fds``.

        ``timeout`` bounds the whole call (the server's imports included); ``RuntimeError`` if the
        server is gone, could not fork, or did not answer in time.
        """
        deadline = time.monotonic() + timeout
        if not self.wait_ready(timeout):
            raise RuntimeError("the fork server is not running")
        with self._send_lock:
            self._next_id += 1
            ident = self._next_id
            send(self.sock, {**request, "id": ident}, fds)
        with self.changed:
            # a ready server answers in milliseconds: a floor, so that a slow start does not waste a good fork
            self.changed.wait_for(lambda: ident in self._replies or self._gone, max(deadline - time.monotonic(), 5.0))
            reply = self._replies.pop(ident, None)
            if reply is None:
                self._abandoned.add(ident)
                raise RuntimeError("the fork server did not answer")
        if "error" in reply:
            raise RuntimeError(f"the fork server could not fork: {reply['error']}")
        return ForkedProcess(reply["pid"], self, args)

    def close(self, grace: float = 1.0) -> None:
        """Stop every child the server forked (SIGTERM, then SIGKILL after ``grace`` s), then the server."""
        children = procs.descendants(self.proc.pid) if self.proc.poll() is None else set()
        for pid in children:
            with contextlib.suppress(OSError):
                os.kill(pid, signal.SIGTERM)
        deadline = time.monotonic() + grace
        while any(procs.running(pid) for pid in children) and time.monotonic() < deadline:
            time.sleep(0.02)
        procs.kill_tree(self.proc, children)
        self.sock.close()


def output_to(fd: int) -> None:
    """In a child: stdin from /dev/null, stdout and stderr to ``fd`` (then closed), as a spawned process has."""
    devnull = os.open(os.devnull, os.O_RDONLY)
    os.dup2(devnull, 0)
    os.dup2(fd, 1)
    os.dup2(fd, 2)
    for each in (devnull, fd):
        os.close(each)


# -- the server process -----------------------------------------------------------------------------
def serve(sock: socket.socket, preload, child) -> None:
    """Import with ``preload()``, then fork ``child(request, fds) -> exit code`` for every request.

    ``child`` runs in the forked process, already a session of its own, with the server's SIGCHLD
    handler and wake-up descriptor undone; its return value (or ``SystemExit``) is the process's
    exit code. However this loop ends (the client gone, a failed send, any error), every process
    it forked is killed first.
    """
    try:
        preload()
        _serve(sock, child)
    finally:
        for pid in procs.descendants(os.getpid()):  # PID 1 may not reap an orphan: none may outlive us
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)


def can_serve_here() -> bool:
    """True where ``serve_here`` is safe: ``fork()`` exists and this process runs one thread (a lock
    held by another thread at the moment of the fork would stay locked in the copy forever)."""
    return hasattr(os, "fork") and threading.active_count() == 1


class ServerHere:
    """Enough of ``subprocess.Popen`` for a server forked by ``serve_here`` (our child): pid, args,
    poll, wait, returncode, kill."""

    def __init__(self, pid: int):
        self.pid = pid
        self.args = ["(fork server)"]
        self.returncode: int | None = None
        self._lock = threading.Lock()  # launchers poll from several threads: one waitpid at a time

    def poll(self) -> int | None:
        with self._lock:
            if self.returncode is None:
                try:
                    pid, status = os.waitpid(self.pid, os.WNOHANG)
                except ChildProcessError:  # reaped by somebody else: ended, code unknown
                    self.returncode = -signal.SIGKILL
                else:
                    if pid:
                        self.returncode = os.waitstatus_to_exitcode(status)
            return self.returncode

    def wait(self, timeout: float | None = None) -> int:
        deadline = None if timeout is None else time.monotonic() + timeout
        while (code := self.poll()) is None:
            if deadline is not None and time.monotonic() >= deadline:
                raise subprocess.TimeoutExpired(f"fork server {self.pid}", timeout)
            time.sleep(0.01)
        return code

    def kill(self) -> None:
        if self.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                os.kill(self.pid, signal.SIGKILL)


def serve_here(theirs: socket.socket, ours: socket.socket, child) -> ServerHere:
    """Fork this process into a fork server on ``theirs`` (``serve`` with nothing left to import);
    returns the child, in the parent.

    The copy keeps this process's imports (the point) and drops the rest of its state: a session of
    its own, and every descriptor but its socket pointed at /dev/null, so it holds no pipe, file or
    socket of this process's (the runner sees a grading end by the end of its event pipe). The
    numbers stay taken: a Python object that still wraps one can only ever close /dev/null, never a
    descriptor the server opens later under the same number. Its stack never unwinds (``os._exit``),
    and ``gc.freeze`` keeps the collector from walking what it inherited.

    What the copy has imported, its children (Daphne, the workers) have too: call this before the
    learner's or the lesson's code is imported, as ``workshop.server_forks.start`` is.
    """
    if not can_serve_here():
        raise RuntimeError("serve_here needs fork() and a single-threaded process")
    for stream in (sys.stdout, sys.stderr):
        with contextlib.suppress(Exception):
            stream.flush()
    gc.freeze()
    try:
        pid = os.fork()
    except OSError:
        gc.unfreeze()
        raise
    if pid:
        gc.unfreeze()
        return ServerHere(pid)
    code = 1
    try:
        os.setsid()
        ours.close()
        keep = theirs.fileno()
        devnull = os.open(os.devnull, os.O_RDWR)
        for fd in _open_descriptors():
            if fd not in (keep, devnull):
                with contextlib.suppress(OSError):
                    os.dup2(devnull, fd)
        os.close(devnull)
        serve(theirs, lambda: None, child)
        code = 0
    finally:
        os._exit(code)


def _open_descriptors() -> list[int]:
    """This process's open descriptors (Linux: /proc; macOS: /dev/fd)."""
    for folder in ("/proc/self/fd", "/dev/fd"):
        with contextlib.suppress(OSError):
            return sorted(int(name) for name in os.listdir(folder))
    return [0, 1, 2]


def _serve(sock: socket.socket, child) -> None:
    wake_read, wake_write = os.pipe()
    os.set_blocking(wake_write, False)
    signal.signal(signal.SIGCHLD, lambda *_: None)
    signal.set_wakeup_fd(wake_write)
    send(sock, {"ready": True})
    while True:
        ready, _, _ = select.select([sock, wake_read], [], [])
        if wake_read in ready:
            os.read(wake_read, 512)
            while True:
                try:
                    pid, status = os.waitpid(-1, os.WNOHANG)
                except ChildProcessError:
                    break
                if pid == 0:
                    break
                send(sock, {"exit": pid, "code": os.waitstatus_to_exitcode(status)})
        if sock in ready:
            request, fds = receive(sock)
            if request is None:  # the client went away
                return
            sys.stdout.flush()
            try:
                pid = os.fork()
            except OSError as problem:  # EAGAIN, ENOMEM: the client starts its process another way
                send(sock, {"id": request["id"], "error": str(problem)})
                pid = None
            if pid == 0:
                _become_child(request, fds, child, sock, (wake_read, wake_write))
            for fd in fds:
                os.close(fd)
            if pid is not None:
                send(sock, {"id": request["id"], "pid": pid})


def _become_child(request: dict, fds: list[int], child, sock: socket.socket, wakeup: tuple[int, int]) -> None:
    """In the forked process: a session of its own, the server's signal set-up undone, then ``child``."""
    code = 1
    try:
        os.setsid()
        signal.set_wakeup_fd(-1)
        signal.signal(signal.SIGCHLD, signal.SIG_DFL)
        sock.close()
        for fd in wakeup:
            os.close(fd)
        code = child(request, fds)
        code = 0 if code is None else code
    except SystemExit as stop:
        if stop.code is not None and not isinstance(stop.code, int):
            print(stop.code, file=sys.stderr)  # as the interpreter would have, for the log the learner reads
        code = stop.code if isinstance(stop.code, int) else (0 if stop.code is None else 1)
    except BaseException:  # noqa: BLE001 - say why, then end this process only
        import traceback

        traceback.print_exc()
    finally:
        import atexit

        with contextlib.suppress(BaseException):
            atexit._run_exitfuncs()  # as an interpreter that ends normally would (logging, Celery's hooks)
        for stream in (sys.stdout, sys.stderr):
            with contextlib.suppress(Exception):
                stream.flush()
        os._exit(code if isinstance(code, int) else 1)
