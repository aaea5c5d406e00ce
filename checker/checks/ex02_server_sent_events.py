"""Checks for lesson 02 (Server-Sent Events): frames, the stream over real sockets, Chromium's EventSource.

The feed runs in this grading process on a free loopback port with Django's threaded WSGI
server, as in lesson 01. Streams are read with a raw socket and parsed with a small parser
that follows the HTML Living Standard's event-stream rules, so a frame passes only if a
browser would read it the same way. The last check puts a TCP proxy between Chromium and
the server and cuts the connection in the middle of the stream.
"""

from __future__ import annotations

import codecs
import contextlib
import re
import select
import socket
import threading
import time
from dataclasses import dataclass, field

from checker import expect
from checker.checks import register
from checker.api import CheckFailed, Context
from workshop.django_support import ERROR_HEADER

EXERCISE_FILE = "exercises/02-server-sent-events/sse.py"


# -- an event-stream parser (HTML Living Standard, "Parsing an event stream") ------------------
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
            match = re.search(r"\r\n|\r|\n", self._pending)
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
    parser = SSEParser()
    parser.feed(text)
    return parser


# -- a streaming HTTP client on a raw socket ----------------------------------------------------
def _kind_failure(what: str, status: int, headers: dict, body: bytes) -> CheckFailed | None:
    problem = headers.get(ERROR_HEADER.lower())
    if problem and status == 501:
        return CheckFailed(f"{what} answered HTTP 501: {problem}.\n"
                           "Replace the TODO with your code, save, and run the checker again.")
    if problem and status == 500:
        return CheckFailed(f"{what} crashed on the server (HTTP 500): {problem}")
    return None


class Stream:
    """``GET path`` on a raw socket; the body is parsed as an event stream as it arrives."""

    def __init__(self, port: int, path: str, headers: dict | None = None, header_timeout: float = 2.0):
        self.what = f"GET {path}" + "".join(f" (with {k}: {v})" for k, v in (headers or {}).items())
        self.sock = socket.create_connection(("127.0.0.1", port), timeout=2)
        self.sock.setblocking(False)
        lines = [f"GET {path} HTTP/1.1", f"Host: 127.0.0.1:{port}", "Accept: text/event-stream",
                 *(f"{k}: {v}" for k, v in (headers or {}).items()), "", ""]
        self.sock.sendall("\r\n".join(lines).encode())  # small: fits the send buffer at once
        self.parser = SSEParser()
        self.raw = b""
        self.eof = False
        self.eof_at: float | None = None
        self._decoder = codecs.getincrementaldecoder("utf-8")("replace")
        head = self._read_head(header_timeout)
        status_line, *header_lines = head.decode("latin-1").split("\r\n")
        self.status = int(status_line.split()[1])
        self.headers = {}
        for line in header_lines:
            name, _, value = line.partition(":")
            self.headers[name.strip().lower()] = value.strip()
        if self.status != 200:
            self.read_until(lambda: False, 1.0)  # the rest of the (short) answer
            failure = _kind_failure(self.what, self.status, self.headers, self.raw)
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
        """Read until ``done()`` is true (True), the deadline passes or the stream ends (False)."""
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
        self.read_until(lambda: False, seconds)

    def ids(self) -> list[int]:
        return [int(e.id) if e.id.isdigit() else e.id for e in self.parser.events]

    @property
    def text(self) -> str:
        return self.raw.decode("utf-8", "replace")

    def close(self) -> None:
        with contextlib.suppress(OSError):
            self.sock.close()


# -- the running feed -----------------------------------------------------------------------------
@contextlib.contextmanager
def _serve(ctx: Context):
    from feed.wsgi import application_for
    from workshop.django_support import BackgroundServer

    with BackgroundServer(application_for(ctx.exercise_dir)) as server:
        try:
            yield server
        finally:
            from feed.store import feed

            feed.close()  # ends any stream still open, so no thread outlives grading


def _feed(ctx: Context):
    """The running feed, emptied and open, with no stream left from an earlier check: (port, feed, stats)."""
    server = ctx.resource("feed", lambda: _serve(ctx))
    from feed.store import feed
    from feed.streaming import stats

    feed.clear()
    deadline = time.monotonic() + 1.0
    while stats.open_now() and time.monotonic() < deadline:
        time.sleep(0.02)
    stats.reset()
    return server.port, feed, stats


def _open(port: int, query: str, last_event_id: str | None = None) -> Stream:
    """A stream that answered 200 and sent its first frame."""
    headers = {"Last-Event-ID": last_event_id} if last_event_id is not None else None
    stream = Stream(port, f"/events?{query}", headers)
    if stream.status != 200:
        body = stream.raw[:200]
        stream.close()
        raise CheckFailed(f"{stream.what} answered HTTP {stream.status} ({body!r}); expected 200 and an event "
                          "stream (204 only when the feed is closed).")
    media_type = stream.headers.get("content-type", "").split(";")[0].strip().lower()
    if media_type != "text/event-stream":
        stream.close()
        raise CheckFailed(f"{stream.what} answered with Content-Type {stream.headers.get('content-type')!r}; "
                          "EventSource only accepts text/event-stream: "
                          "StreamingHttpResponse(..., content_type=\"text/event-stream\").")
    return stream


def _describe(ids: list, expected: list) -> str:
    if "" in ids:
        return (f"got event ids {ids}; expected {expected}: some events came without an id. Every event frame "
                "needs id=event.id, or the browser cannot say where it stopped")
    dupes = sorted({i for i in ids if ids.count(i) > 1})
    lost = [i for i in expected if i not in ids]
    return f"got event ids {ids}; expected {expected} (twice: {dupes or 'none'}; never: {lost or 'none'})"


def _wait_events(ctx: Context, stream: Stream, count: int, seconds: float, why: str) -> None:
    ctx.step(f"waiting for {count} events on {stream.what}")
    if not stream.read_until(lambda: len(stream.parser.events) >= count, seconds):
        ended = " The stream ended instead." if stream.eof else ""
        raise CheckFailed(f"{stream.what}: after {seconds:g} s, {len(stream.parser.events)} of {count} events "
                          f"had arrived (ids {stream.ids()}); {why}.{ended}")


# -- 1. frames ---------------------------------------------------------------------------------
def _frame_problem(call: str, frame, expect: dict) -> str | None:
    """Why ``frame`` is not what a browser should read for ``expect``, or None."""
    if not isinstance(frame, str):
        return f"{call} returned {frame!r}; it should return a str."
    if not frame.endswith("\n\n"):
        return f"{call} returned {frame!r}; a frame ends with a blank line: finish with \"\\n\\n\"."
    if "\r" in frame.replace("\r\n", "\n"):
        return (f"{call} returned {frame!r}; a lone \\r ends a line for the browser too (an event stream may "
                "use \\n, \\r\\n or \\r). Split data with LINE_BREAK.split(data), which knows all three.")
    if "\n\n" in frame[:-2]:
        return (f"{call} returned {frame!r}; it contains a blank line before the end, which ends the event "
                "early. Write one \"data: \" line per line of text, even an empty one.")
    parsed = parse(frame)
    if "data" in expect:
        wanted = SSEEvent(expect.get("event") or "message", expect["data"].replace("\r\n", "\n").replace("\r", "\n"),
                          str(expect.get("id", "")))
        if len(parsed.events) != 1:
            return f"{call} returned {frame!r}, which a browser reads as {len(parsed.events)} events; expected one."
        got = parsed.events[0]
        if got.data != wanted.data:
            hint = ""
            if wanted.data.startswith(" ") and got.data == wanted.data[1:]:
                hint = " Write \"data: \" with one space: the browser removes one space after the colon."
            return (f"{call} returned {frame!r}; a browser reads its data as {got.data!r}, expected "
                    f"{wanted.data!r}. Write one \"data: \" line per line of text (LINE_BREAK.split(data)).{hint}")
        if got.type != wanted.type:
            return f"{call} returned {frame!r}; a browser reads its type as {got.type!r}, expected {wanted.type!r}."
        if got.id != wanted.id:
            return f"{call} returned {frame!r}; a browser reads its id as {got.id!r}, expected {wanted.id!r}."
    elif parsed.events:
        return (f"{call} returned {frame!r}, which a browser reads as an event with data {parsed.events[0].data!r}; "
                "leave the data line out when data is None.")
    elif "id" in expect and parsed.last_event_id != str(expect["id"]):
        return f"{call} returned {frame!r}; a browser reads the id as {parsed.last_event_id!r}, expected {expect['id']!r}."
    if "retry" in expect and parsed.retry != expect["retry"]:
        return f"{call} returned {frame!r}; a browser reads retry as {parsed.retry!r}, expected {expect['retry']}."
    if "retry" not in expect and parsed.retry is not None:
        return f"{call} returned {frame!r}; it has a retry line although retry is None."
    return None


def _call(kwargs: dict) -> str:
    return "format_event(" + ", ".join(f"{k}={v!r}" for k, v in kwargs.items()) + ")"


def check_format_event(ctx: Context) -> None:
    sse = ctx.import_learner("sse")
    samples = {"data": "hello", "event": "alert", "id": "42", "retry": 1500}
    names = list(samples)
    for mask in range(1, 16):  # every non-empty combination of the four fields
        kwargs = {name: samples[name] for bit, name in enumerate(names) if mask & (1 << bit)}
        ctx.step(_call(kwargs))
        problem = _frame_problem(_call(kwargs), sse.format_event(**kwargs), kwargs)
        if problem:
            raise CheckFailed(problem)
    for data in ["line one\nline two", "windows\r\nline ends", "old mac\rline ends", "three\n\nparagraphs",
                 "ends with a newline\n", "", " leading space", "a: colon and ✓ unicode"]:
        kwargs = {"data": data, "id": 7}
        ctx.step(_call(kwargs))
        problem = _frame_problem(_call(kwargs), sse.format_event(**kwargs), kwargs)
        if problem:
            raise CheckFailed(problem)
    frame = sse.format_event(data="a\nb\nc")
    if sum(1 for line in frame.split("\n") if line.startswith("data")) != 3:
        raise CheckFailed(f"format_event(data='a\\nb\\nc') returned {frame!r}; expected three data: lines.")
    refusals = [({"data": "x", "id": "4\n2"}, "an id with a line break"),
                ({"data": "x", "id": "4\r2"}, "an id with a carriage return"),
                ({"data": "x", "id": "4\x002"}, "an id with NUL (browsers ignore such an id)"),
                ({"data": "x", "event": "al\nert"}, "an event type with a line break"),
                ({"retry": -1}, "a negative retry"),
                ({"retry": 1.5}, "a retry that is not a whole number"),
                ({"retry": "soon"}, "a retry that is not a number")]
    for kwargs, why in refusals:
        ctx.step(_call(kwargs))
        try:
            got = sse.format_event(**kwargs)
        except ValueError:
            continue
        except TypeError as err:
            raise CheckFailed(f"{_call(kwargs)} raised TypeError ({err}); raise ValueError for {why}.") from None
        raise CheckFailed(f"{_call(kwargs)} returned {got!r}; it should raise ValueError ({why}: "
                          "it cannot be sent intact, and a line break would let it inject fields).")


def check_parse_last_event_id(ctx: Context) -> None:
    sse = ctx.import_learner("sse")
    cases = [(None, 0), ("", 0), ("0", 0), ("7", 7), ("123", 123)]
    expect.returns(ctx, sse.parse_last_event_id, "parse_last_event_id", cases, exact_type=int)
    expect.refuses(ctx, sse.parse_last_event_id, "parse_last_event_id", ["abc", "-1", "1.5", "7 8"],
                   "our ids are whole numbers >= 0")


# -- 2. the stream over real sockets -----------------------------------------------------------------
def check_stream_opens(ctx: Context) -> None:
    port, _, _ = _feed(ctx)
    ctx.step("GET /events?heartbeat=5&retry=1234 on an empty feed")
    stream = _open(port, "heartbeat=5&retry=1234")
    try:
        cache = stream.headers.get("cache-control", "")
        if "no-cache" not in cache.lower():
            raise CheckFailed(f"{stream.what} answered with Cache-Control {cache or '(missing)'!r}; send "
                              "Cache-Control: no-cache so that no cache on the way stores or replays the stream.")
        ctx.step("reading the first frame")
        stream.read_until(lambda: stream.parser.retry is not None, 1.0)
        if stream.parser.retry != 1234:
            raise CheckFailed(f"{stream.what}: the stream began with {stream.text[:120]!r}; its first frame should be "
                              "format_event(retry=options.retry), here retry: 1234 (from ?retry=).")
        if stream.parser.events:
            raise CheckFailed(f"{stream.what} sent an event ({stream.parser.events[0]}) although the feed is empty.")
    finally:
        stream.close()


def check_live_events(ctx: Context) -> None:
    port, feed, _ = _feed(ctx)
    ctx.step("opening GET /events?heartbeat=5&retry=100")
    stream = _open(port, "heartbeat=5&retry=100")
    try:
        stream.read_until(lambda: stream.parser.retry is not None, 1.0)
        posted = [feed.post("first"), feed.post("two\nlines", "alert"), feed.post("third")]
        _wait_events(ctx, stream, 3, 1.0, "events should leave within moments of being posted (wait_for_events "
                     "wakes up at once; do not sleep for the heartbeat)")
        stream.read_for(0.1)
        time.sleep(0.1)
        posted += [feed.post("fourth"), feed.post("fifth")]
        _wait_events(ctx, stream, 5, 1.0, "the stream should keep going after the first events")
        stream.read_for(0.2)
        got = [(e.id, e.type, e.data) for e in stream.parser.events]
        expected = [(str(e.id), e.event, e.data) for e in posted]
        if got != expected:
            raise CheckFailed(f"{stream.what} delivered {got}; expected {expected} (id, event type, data), in order.")
    finally:
        stream.close()


def check_heartbeat(ctx: Context) -> None:
    sse = ctx.import_learner("sse")
    ctx.step("comment('keep-alive')")
    text = sse.comment("keep-alive")
    parsed = parse(text) if isinstance(text, str) else None
    if (parsed is None or parsed.events or parsed.retry is not None or [c.strip() for c in parsed.comments] != ["keep-alive"]
            or not text.endswith("\n")):
        raise CheckFailed(f"comment('keep-alive') returned {text!r}; expected ': keep-alive\\n\\n' "
                          "(a line starting with ':' is a comment the browser ignores).")
    port, _, _ = _feed(ctx)
    ctx.step("GET /events?heartbeat=0.1 with nothing to send, for 0.8 s")
    stream = _open(port, "heartbeat=0.1&retry=100")
    try:
        stream.read_for(0.8)
    finally:
        stream.close()
    beats = len(stream.parser.comments)
    if stream.parser.events:
        raise CheckFailed(f"{stream.what} sent events ({stream.parser.events[:2]}) although nothing was posted.")
    if beats < 3:
        ended = " (then the stream ended)" if stream.eof else ""
        raise CheckFailed(f"{stream.what}: {beats} comment lines arrived in 0.8 s of silence{ended}; expected one "
                          "about every 0.1 s. When wait_for_events returns [] (nothing new within heartbeat "
                          f"seconds), yield comment('keep-alive'). The stream sent: {stream.text[:160]!r}")
    if beats > 16:
        raise CheckFailed(f"{stream.what}: {beats} comment lines arrived in 0.8 s; expected about 8 (one per 0.1 s). "
                          "Wait up to `heartbeat` seconds for events before sending a heartbeat.")
    if stream.eof:
        raise CheckFailed(f"{stream.what} ended after less than 0.8 s although lifetime was the default "
                          "(300 s); keep the stream open until the lifetime is over.")


def check_replay(ctx: Context) -> None:
    port, feed, _ = _feed(ctx)
    for n in range(1, 6):
        feed.post(f"event {n}")
    query = "heartbeat=0.1&retry=100"
    ctx.step("GET /events with Last-Event-ID: 2 (events 1 to 5 exist)")
    stream = _open(port, query, "2")
    try:
        stream.read_until(lambda: len(stream.parser.events) >= 3, 1.0)
        stream.read_for(0.15)
        if stream.ids() != [3, 4, 5]:
            raise CheckFailed(f"{stream.what}: {_describe(stream.ids(), [3, 4, 5])}. Replay exactly the events "
                              "after Last-Event-ID, then wait for new ones.")
        feed.post("event 6")
        _wait_events(ctx, stream, 4, 1.0, "after the replay, new events should follow live")
        stream.read_for(0.2)
        if stream.ids() != [3, 4, 5, 6]:
            raise CheckFailed(f"{stream.what}: {_describe(stream.ids(), [3, 4, 5, 6])}.")
    finally:
        stream.close()
    ctx.step("GET /events without Last-Event-ID")
    stream = _open(port, query)
    try:
        stream.read_until(lambda: len(stream.parser.events) >= 6, 1.0)
        stream.read_for(0.1)
        if stream.ids() != [1, 2, 3, 4, 5, 6]:
            raise CheckFailed(f"{stream.what}: {_describe(stream.ids(), [1, 2, 3, 4, 5, 6])}. "
                              "No Last-Event-ID means a new client: send everything from the start.")
    finally:
        stream.close()
    ctx.step("GET /events with Last-Event-ID: 6 (nothing missed), then event 7")
    stream = _open(port, query, "6")
    try:
        stream.read_for(0.25)
        if stream.ids():
            raise CheckFailed(f"{stream.what}: {_describe(stream.ids(), [])}; the client had seen everything.")
        feed.post("event 7")
        stream.read_until(lambda: len(stream.parser.events) >= 1, 1.0)
        if stream.ids() != [7]:
            raise CheckFailed(f"{stream.what}: {_describe(stream.ids(), [7])}.")
    finally:
        stream.close()
    ctx.step("GET /events with Last-Event-ID: 7 while 20 events are being posted")
    poster = threading.Thread(target=lambda: [(feed.post(f"burst {n}"), time.sleep(0.002)) for n in range(20)],
                              daemon=True)
    poster.start()
    stream = _open(port, query, "7")
    try:
        poster.join(3)
        expected = list(range(8, 28))
        stream.read_until(lambda: len(stream.parser.events) >= 20, 2.0)
        stream.read_for(0.2)
        if stream.ids() != expected:
            raise CheckFailed(f"{stream.what} while events were being posted: {_describe(stream.ids(), expected)}. "
                              "Let wait_for_events(last_id, ...) find the events, and update last_id as you "
                              "yield each one: then none is lost and none comes twice.")
    finally:
        stream.close()
    ctx.step("GET /events with Last-Event-ID: abc")
    stream = Stream(port, f"/events?{query}", {"Last-Event-ID": "abc"})
    stream.close()
    if stream.status != 400:
        raise CheckFailed(f"{stream.what} answered HTTP {stream.status}; expected 400 (parse_last_event_id "
                          "raises ValueError for it).")


def _wait_closed(stats, seconds: float, baseline: int) -> bool:
    deadline = time.monotonic() + seconds
    while stats.open_now() > baseline:
        if time.monotonic() > deadline:
            return False
        time.sleep(0.02)
    return True


def check_clean_close(ctx: Context) -> None:
    port, feed, stats = _feed(ctx)
    baseline = stats.open_now()  # streams an earlier check left running, if any
    ctx.step("GET /events?lifetime=0.4&heartbeat=0.1")
    started = time.monotonic()
    stream = _open(port, "lifetime=0.4&heartbeat=0.1&retry=100")
    try:
        stream.read_for(3.0)
    finally:
        stream.close()
    if not stream.eof:
        raise CheckFailed(f"{stream.what} was still open after 3 s; end the generator (return) once `lifetime` "
                          "seconds have passed, and never wait past that deadline. The browser reconnects by itself.")
    lasted = stream.eof_at - started
    if lasted < 0.3:
        raise CheckFailed(f"{stream.what} ended after {lasted:.2f} s; it should stay open for the whole lifetime "
                          "(0.4 s), sending heartbeats while nothing happens.")
    if not _wait_closed(stats, 1.0, baseline):
        raise CheckFailed("the stream's response ended, but the server still counts it as open.")
    ctx.step("opening GET /events?heartbeat=0.2, then hanging up")
    stream = _open(port, "heartbeat=0.2&retry=100")
    stream.read_until(lambda: stream.parser.retry is not None, 1.0)
    if stats.open_now() != baseline + 1:
        stream.close()
        raise CheckFailed(f"the server counts {stats.open_now() - baseline} open streams; expected 1 (is the answer a "
                          "StreamingHttpResponse around a generator?).")
    stream.close()
    if not _wait_closed(stats, 2.0, baseline):
        raise CheckFailed("2 s after the client hung up, the server was still running its stream (a worker thread "
                          "lost for nothing). With nothing to send, yield comment('keep-alive') every heartbeat: "
                          "that write fails once the client is gone, and Django then closes the generator.")
    ctx.step("closing the generator as Django does when a client leaves")
    sse = ctx.import_learner("sse")
    generator = sse.event_stream(feed, 0, heartbeat=0.2, lifetime=30.0, retry=100)
    first = next(generator)
    if parse(first).retry != 100:
        raise CheckFailed(f"event_stream(...) yielded {first!r} first; expected format_event(retry=retry).")
    try:
        generator.close()
    except RuntimeError as err:
        raise CheckFailed(f"closing event_stream(...) failed ({err}): do not catch GeneratorExit (or a bare "
                          "except:) around the yield; let the generator end.") from None


def check_feed_closed(ctx: Context) -> None:
    port, feed, _ = _feed(ctx)
    ctx.step("opening GET /events?heartbeat=5, then closing the feed")
    stream = _open(port, "heartbeat=5&retry=100")
    try:
        stream.read_until(lambda: stream.parser.retry is not None, 1.0)
        feed.close()
        stream.read_for(1.0)
    finally:
        stream.close()
    if not stream.eof:
        raise CheckFailed(f"{stream.what} stayed open for 1 s after the feed was closed; after each wait, "
                          "return from the generator when store.closed is true.")
    ctx.step("GET /events while the feed is closed")
    closed = Stream(port, "/events?heartbeat=5&retry=100")
    closed.close()
    if closed.status != 204:
        raise CheckFailed(f"{closed.what} answered HTTP {closed.status} while the feed is closed; expected 204 "
                          "No Content, which tells EventSource to stop reconnecting.")
    feed.reopen()
    ctx.step("GET /events after reopening the feed")
    _open(port, "heartbeat=5&retry=100").close()


# -- 3. Chromium's EventSource -----------------------------------------------------------------------
class KillableProxy:
    """A TCP relay on a free loopback port whose open connections can be cut at once."""

    def __init__(self, target_port: int):
        self.target_port = target_port
        self.listener = socket.create_server(("127.0.0.1", 0))
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
                upstream = socket.create_connection(("127.0.0.1", self.target_port), timeout=2)
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


def _open_page(ctx: Context, base: str, query: str):
    page = ctx.new_page()
    ctx.step(f"opening {base}/?{query} in Chromium")
    page.goto(f"{base}/?{query}")
    try:
        page.wait_for_function("Number(document.body.dataset.opens || 0) >= 1 || document.body.dataset.problem "
                               "|| document.body.dataset.state === 'closed'", timeout=4000)
    except Exception:  # noqa: BLE001 - Playwright's TimeoutError
        pass
    page.wait_for_timeout(50)
    problem = page.evaluate("document.body.dataset.problem")
    if problem:
        raise CheckFailed(f"the page reports: {problem}\nWatch it in your own browser with "
                          "`python -m checker serve 02`.")
    if not page.evaluate("Number(document.body.dataset.opens || 0)"):
        state = page.evaluate("document.body.dataset.state")
        raise CheckFailed(f"Chromium's EventSource never opened the stream (its state: {state}). It opens when "
                          "the response headers arrive with status 200 and Content-Type text/event-stream.")
    return page


def _page_events(page) -> list[dict]:
    return page.eval_on_selector_all(
        "#events li", "items => items.map(li => ({id: li.dataset.id, event: li.dataset.event, data: li.textContent}))")


def _wait_page(ctx: Context, page, count: int, seconds: float) -> list[int]:
    ctx.step(f"waiting for {count} events on the page")
    with contextlib.suppress(Exception):  # Playwright's TimeoutError: reported below
        page.wait_for_function(f"document.querySelectorAll('#events li').length >= {count}",
                               timeout=seconds * 1000)
    ids = [int(e["id"]) if (e["id"] or "").isdigit() else e["id"] for e in _page_events(page)]
    if len(ids) < count:
        console = "; ".join(ctx.console[-3:])
        raise CheckFailed(f"after {seconds:g} s the page shows events {ids}; expected {count} of them."
                          + (f" Browser console: {console}" if console else ""))
    return ids


def check_browser_feed(ctx: Context) -> None:
    port, feed, _ = _feed(ctx)
    page = _open_page(ctx, f"http://127.0.0.1:{port}", "heartbeat=0.3&retry=100")
    feed.post("hello, browser")
    feed.post("an alert\nover two lines", "alert")
    _wait_page(ctx, page, 2, 2)
    page.wait_for_timeout(250)  # a heartbeat or two: nothing more should appear
    got = _page_events(page)
    expected = [{"id": "1", "event": "message", "data": "hello, browser"},
                {"id": "2", "event": "alert", "data": "an alert\nover two lines"}]
    if got != expected:
        raise CheckFailed(f"the page shows {got}; expected {expected}. EventSource fires an event named after the "
                          "event: field, with e.data joined from the data: lines and e.lastEventId from id:.")


def check_browser_resume(ctx: Context) -> None:
    port, feed, stats = _feed(ctx)
    proxy = ctx.resource("proxy", lambda: KillableProxy(port))
    page = _open_page(ctx, f"http://127.0.0.1:{proxy.port}", "heartbeat=0.2&retry=100&lifetime=0.6")
    for n in (1, 2, 3):
        feed.post(f"before the cut {n}")
    _wait_page(ctx, page, 3, 2)
    ctx.step("cutting the browser's connection in the middle of the stream")
    proxy.kill_all()
    feed.post("posted while disconnected 4")
    feed.post("posted while disconnected 5")
    ctx.step("posting events 6 to 15 while streams end (lifetime=0.6) and the browser reconnects")
    for n in range(6, 16):
        time.sleep(0.07)
        feed.post(f"after the cut {n}")
    ids = _wait_page(ctx, page, 15, 4)
    page.wait_for_timeout(250)
    ids = [int(e["id"]) if (e["id"] or "").isdigit() else e["id"] for e in _page_events(page)]
    expected = list(range(1, 16))
    if ids != expected:
        raise CheckFailed(f"after a cut connection the page {_describe(ids, expected)}. On reconnection the browser "
                          "sends Last-Event-ID: replay exactly the events after it.")
    with stats.lock:
        resumed = [c.last_event_id for c in stats.connections if c.last_event_id is not None]
    if not resumed:
        raise CheckFailed("the page shows every event, but the browser never reconnected with Last-Event-ID; "
                          "does each event frame carry its id?")


CHECKS = register(
    check_format_event, check_parse_last_event_id, check_stream_opens, check_live_events,
    check_heartbeat, check_replay, check_clean_close, check_feed_closed, check_browser_feed,
    check_browser_resume,
)
