"""A WSGI server with a fixed pool of worker threads, so that running out of workers is visible.

Django's development server (and lesson 01's) starts one new thread per connection, without
limit: it never runs out, it just grows. Production WSGI servers do not grow like that. gunicorn
with sync workers has N processes, uWSGI N processes times T threads, mod_wsgi a fixed thread
pool. This server behaves like them, with plain standard-library parts:

- one *acceptor* thread takes connections from the listen socket (``serve_forever``) and puts
  each one on a FIFO queue, noting when it was accepted;
- ``workers`` threads take connections from the queue, one at a time, and run the WSGI
  application for them (``wsgiref``'s handler: one request per connection, HTTP/1.0);
- a connection that finds every worker busy waits in the queue. Nothing else happens to it.

Every request's environ carries ``workshop.worker`` (the worker's name) and
``workshop.queued_seconds`` (how long it waited for a worker), and the server keeps a log of
recent requests (``server.log``) with their accepted, started and finished times.
"""

from __future__ import annotations

import queue
import socketserver
import threading
import time
from dataclasses import dataclass, field
from wsgiref.simple_server import ServerHandler, WSGIRequestHandler

from workshop.net import ServerThread  # the daemon thread, its url and a clean stop

DEFAULT_WORKERS = 4
LOG_SIZE = 1000


@dataclass
class RequestRecord:
    """One request as the server saw it; times are ``time.monotonic()`` values."""

    path: str
    query: str
    worker: str
    accepted: float
    started: float
    finished: float | None = None
    status: str | None = None

    @property
    def queued(self) -> float:
        return self.started - self.accepted

    def as_dict(self) -> dict:
        return {"path": self.path, "query": self.query, "worker": self.worker,
                "queued_ms": round(1000 * self.queued, 1),
                "total_ms": round(1000 * (self.finished - self.accepted), 1) if self.finished else None,
                "status": self.status}


class _Handler(WSGIRequestHandler):
    """wsgiref's request handler, quiet, and passing the pool's bookkeeping to the application."""

    def log_message(self, format, *args):  # noqa: A002 - stdlib signature
        if self.server.verbose:
            super().log_message(format, *args)

    def get_environ(self):
        environ = super().get_environ()
        environ["workshop.worker"] = threading.current_thread().name
        environ["workshop.queued_seconds"] = self.server.current_queued()
        return environ

    def handle(self):
        # The same as WSGIRequestHandler.handle, plus a record of the request in the server's log.
        self.raw_requestline = self.rfile.readline(65537)
        if len(self.raw_requestline) > 65536 or not self.parse_request():
            return
        path, _, query = self.path.partition("?")
        record = self.server.begin_record(path, query)
        handler = ServerHandler(self.rfile, self.wfile, self.get_stderr(), self.get_environ(),
                                multithread=True)
        handler.request_handler = self
        try:
            handler.run(self.server.get_app())
        finally:
            self.server.end_record(record, handler.status)


@dataclass
class _Slot:
    request: object
    client_address: tuple
    accepted: float = field(default_factory=time.monotonic)


class PoolWSGIServer(socketserver.TCPServer):
    """``PoolWSGIServer((host, port), app, workers=4)``: at most ``workers`` requests at a time."""

    allow_reuse_address = True  # a restarted demo binds again at once
    request_queue_size = 128  # the kernel's listen backlog, in front of our own queue

    def __init__(self, address, app, *, workers: int = DEFAULT_WORKERS, verbose: bool = False):
        if workers < 1:
            raise ValueError("a pool needs at least one worker")
        super().__init__(address, _Handler)
        self.app = app
        self.workers = workers
        self.verbose = verbose
        self.base_environ = {}
        self._queue: queue.Queue[_Slot | None] = queue.Queue()
        self._lock = threading.Lock()
        self._local = threading.local()
        self._busy = 0
        self.log: list[RequestRecord] = []
        self._threads = [threading.Thread(target=self._work, name=f"worker-{i + 1}", daemon=True)
                         for i in range(workers)]
        for thread in self._threads:
            thread.start()
        self._setup_environ()

    # -- what wsgiref's handler expects from its server ---------------------------------------
    def _setup_environ(self):
        host, port = self.server_address[:2]
        self.base_environ = {"SERVER_NAME": host, "GATEWAY_INTERFACE": "CGI/1.1", "SERVER_PORT": str(port),
                             "REMOTE_HOST": "", "CONTENT_LENGTH": "", "SCRIPT_NAME": ""}

    def get_app(self):
        return self.app

    # -- the acceptor: queue the connection, never run the application here -----------------
    def process_request(self, request, client_address):
        self._queue.put(_Slot(request, client_address))

    def _work(self) -> None:
        while True:
            slot = self._queue.get()
            if slot is None:
                return
            self._local.slot = slot
            with self._lock:
                self._busy += 1
            try:
                self.finish_request(slot.request, slot.client_address)
            except Exception:  # noqa: BLE001 - a broken connection must not kill the worker
                self.handle_error(slot.request, slot.client_address)
            finally:
                with self._lock:
                    self._busy -= 1
                self.shutdown_request(slot.request)

    def handle_error(self, request, client_address):
        if self.verbose:
            super().handle_error(request, client_address)

    # -- bookkeeping -------------------------------------------------------------------------
    def current_queued(self) -> float:
        slot = getattr(self._local, "slot", None)
        return time.monotonic() - slot.accepted if slot else 0.0

    def begin_record(self, path: str, query: str) -> RequestRecord:
        slot = self._local.slot
        record = RequestRecord(path, query, threading.current_thread().name, slot.accepted, time.monotonic())
        with self._lock:
            self.log.append(record)
            del self.log[:-LOG_SIZE]
        return record

    def end_record(self, record: RequestRecord, status: str | None) -> None:
        record.status = status
        record.finished = time.monotonic()

    def stats(self) -> dict:
        """Workers, how many are busy, how many connections wait for one."""
        with self._lock:
            return {"workers": self.workers, "busy": self._busy, "queued": self._queue.qsize(),
                    "served": sum(1 for r in self.log if r.finished is not None)}

    def clear_log(self) -> None:
        with self._lock:
            self.log.clear()

    def server_close(self):
        super().server_close()
        for _ in self._threads:
            self._queue.put(None)  # each idle worker takes one and ends; busy ones are daemons


class BackgroundPool(ServerThread):
    """``with BackgroundPool(app, workers=4) as pool: pool.url`` -- serving in a daemon thread (the acceptor)."""

    def __init__(self, app, *, workers: int = DEFAULT_WORKERS, host: str = "127.0.0.1", port: int = 0,
                 verbose: bool = False):
        super().__init__(PoolWSGIServer((host, port), app, workers=workers, verbose=verbose), name="acceptor")
