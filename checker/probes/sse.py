"""A Server-Sent Events reader: a parser that follows the HTML standard, and a raw-socket client.

``SSEParser`` implements "Parsing an event stream" of the HTML Living Standard: feed it text in
any pieces (a frame may arrive split anywhere, even between ``\\r`` and ``\\n``) and it collects
the events a browser's ``EventSource`` would dispatch, the comments, the ``retry`` value and
the last event id. A frame passes a check only if a browser would read it the same way.

``Stream`` sends ``GET path`` on a plain socket and parses the body as it arrives, so a check
sees exactly when each frame leaves the server (no HTTP library buffering in between)::

    stream = Stream(port, "/events?heartbeat=0.1", {"Last-Event-ID": "2"}, timeout=ctx.timeout(2))
    stream.read_until(lambda: len(stream.parser.events) >= 3, ctx.timeout(1))
    stream.ids()      # [3, 4, 5]
"""

from __future__ import annotations

import codecs
import contextlib
import re
import select
import socket
import time
from dataclasses import dataclass, field

from checker.pipeline import CheckFailed
from workshop.django_support import ERROR_HEADER

LINE_END = re.compile(r"\r\n|\r|\n")


@dataclass
class SSEEvent:
    type: str
    data: str
    id: str  # the last event ID when the event was dispatched


@dataclass
class SSEParser:
    """Feed text in any pieces; collects dispatched events, comments, the retry value and the last id."""

    events: list[SSEEvent] = field(default_factory=list)
    comments: list[str] = field(default_factory=list)
    fields: list[str] = field(default_factory=list)  # every field name seen, in order (for messages)
    retry: int | None = None
    last_event_id: str = ""
    _id_buffer: str = ""
    _data: str = ""
    _type: str = ""
    _pending: str = ""
    _started: bool = False

    def feed(self, text: str) -> None:
        if not self._started and text:
            self._started = True
            if text.startswith("\ufeff"):
                text = text[1:]
        self._pending += text
        while True:
            match = LINE_END.search(self._pending)
            if match is None:
                return
            if match.group() == "\r" and match.end() == len(self._pending):
                return  # may be the first half of \r\n: wait for the next piece
            line, self._pending = self._pending[:match.start()], self._pending[match.end():]
            self._line(line)

    def _line(self, line: str) -> None:
        if line == "":
            self._dispatch()
            return
        if line.startswith(":"):
            self.comments.append(line[1:])
            return
        name, colon, value = line.partition(":")
        if colon and value.startswith(" "):
            value = value[1:]
        self.fields.append(name)
        if name == "event":
            self._type = value
        elif name == "data":
            self._data += value + "\n"
        elif name == "id":
            if "\0" not in value:
                self._id_buffer = value
        elif name == "retry":
            if value.isascii() and value.isdigit():
                self.retry = int(value)

    def _dispatch(self) -> None:
        self.last_event_id = self._id_buffer
        if self._data == "":
            self._type = ""
            return
        data = self._data[:-1] if self._data.endswith("\n") else self._data
        self.events.append(SSEEvent(self._type or "message", data, self.last_event_id))
        self._data = self._type = ""


def parse(text: str) -> SSEParser:
    """``text`` read as a browser reads an event stream."""
    parser = SSEParser()
    parser.feed(text)
    return parser


def _stub_or_crash(what: str, status: int, headers: dict) -> CheckFailed | None:
    problem = headers.get(ERROR_HEADER.lower())
    if problem and status == 501:
        return CheckFailed(f"{what} answered HTTP 501: {problem}.\n"
                           "Replace the TODO with your code, save, and run the checker again.")
    if problem and status == 500:
        return CheckFailed(f"{what} crashed on the server (HTTP 500): {problem}")
    return None


class Stream:
    """``GET path`` on a raw socket; the body is parsed as an event stream as it arrives.

    ``timeout`` limits connecting and waiting for the response headers. A 501/500 answer from
    a stub or a crash becomes a ``CheckFailed`` naming the learner's function.
    """

    def __init__(self, port: int, path: str, headers: dict | None = None, *, timeout: float,
                 host: str = "127.0.0.1"):
        self.what = f"GET {path}" + "".join(f" (with {k}: {v})" for k, v in (headers or {}).items())
        self.sock = socket.create_connection((host, port), timeout=timeout)
        self.sock.setblocking(False)
        lines = [f"GET {path} HTTP/1.1", f"Host: {host}:{port}", "Accept: text/event-stream",
                 *(f"{k}: {v}" for k, v in (headers or {}).items()), "", ""]
        self.sock.sendall("\r\n".join(lines).encode())  # small: fits the send buffer at once
        self.parser = SSEParser()
        self.raw = b""
        self.eof = False
        self.eof_at: float | None = None
        self._decoder = codecs.getincrementaldecoder("utf-8")("replace")
        head = self._read_head(timeout)
        status_line, *header_lines = head.decode("latin-1").split("\r\n")
        self.status = int(status_line.split()[1])
        self.headers = {}
        for line in header_lines:
            name, _, value = line.partition(":")
            self.headers[name.strip().lower()] = value.strip()
        if self.status != 200:
            self.read_until(lambda: False, timeout)  # the rest of the (short) answer
            failure = _stub_or_crash(self.what, self.status, self.headers)
            if failure:
                self.close()
                raise failure

    def _recv(self, deadline: float) -> bytes | None:
        """Some bytes; b"" at end of stream; None when the deadline passes first."""
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            return None
        ready, _, _ = select.select([self.sock], [], [], remaining)
        if not ready:
            return None
        try:
            return self.sock.recv(65536)
        except (BlockingIOError, InterruptedError):
            return None
        except OSError:
            return b""

    def _read_head(self, timeout: float) -> bytes:
        buffer = b""
        deadline = time.monotonic() + timeout
        while b"\r\n\r\n" not in buffer:
            chunk = self._recv(deadline)
            if chunk is None:
                self.close()
                raise CheckFailed(
                    f"{self.what}: no response headers within {timeout:g} s. The server sends the headers "
                    "together with the first piece of the body, so yield something at once: "
                    "format_event(retry=retry) as the generator's first frame.")
            if chunk == b"":
                self.close()
                raise CheckFailed(f"{self.what}: the server closed the connection without answering.")
            buffer += chunk
        head, _, rest = buffer.partition(b"\r\n\r\n")
        self._take(rest)
        return head

    def _take(self, chunk: bytes) -> None:
        self.raw += chunk
        self.parser.feed(self._decoder.decode(chunk))

    def read_until(self, done, seconds: float) -> bool:
        """Read until ``done()`` is true (True), ``seconds`` pass or the stream ends (False)."""
        deadline = time.monotonic() + seconds
        while not done():
            if self.eof:
                return False
            chunk = self._recv(deadline)
            if chunk is None:
                return bool(done())
            if chunk == b"":
                self.eof, self.eof_at = True, time.monotonic()
                return bool(done())
            self._take(chunk)
        return True

    def read_for(self, seconds: float) -> None:
        """Read whatever arrives in the next ``seconds`` (or until the stream ends)."""
        self.read_until(lambda: False, seconds)

    def ids(self) -> list:
        """The ids of the events received so far (ints where they are numbers)."""
        return [int(e.id) if e.id.isdigit() else e.id for e in self.parser.events]

    @property
    def text(self) -> str:
        return self.raw.decode("utf-8", "replace")

    def close(self) -> None:
        with contextlib.suppress(OSError):
            self.sock.close()

    def __enter__(self) -> "Stream":
        return self

    def __exit__(self, *exc) -> None:
        self.close()
