"""The load generator's side of the one protocol: join the room, send, receive every message.

Every architecture speaks its own wire format, so each gets a *transport* here, and all of them
look the same to the load generator (``load.py``)::

    client = await transport.open(index)     # joined: ready to receive
    await client.send(text_for(seq))         # one chat message
    ...                                      # arrivals reach tally(client, seq, time) as they come
    await client.close()

The message text carries its sequence number, ``cmp17z``; a transport finds it again with
``MARK`` in whatever arrives (a WebSocket frame, an SSE event, a JSON poll answer), so no
transport needs to parse the server's envelope and no architecture can cheat by sending less.
``Wire`` counts what crossed the network for the messages: HTTP requests, frames or events in,
frames out. The clients themselves are the probes'
(``checker.probes.ws`` for WebSockets, ``checker.probes.sse`` for the event-stream parser).
"""

from __future__ import annotations

import asyncio
import json
import re
import time
from dataclasses import dataclass

from checker.probes import sse as sse_probe
from checker.probes import ws as ws_probe
from checker.probes.uwsgi_log import UwsgiLog

MARK = re.compile(r"cmp(\d+)z")
CONNECT_TIMEOUT = 15.0  # seconds for one client to join, on a loaded machine
REQUEST_TIMEOUT = 30.0  # seconds for one HTTP answer (a long poll waits up to LONG_POLL_WAIT)
LONG_POLL_WAIT = 25  # the ?timeout= of a long poll, the lesson's default
SHORT_POLL_INTERVAL = 0.1  # seconds between short polls: the fastest interval lesson 01 measures


def text_for(seq: int) -> str:
    return f"cmp{seq}z"


@dataclass
class Wire:
    """What the clients put on and took off the network (counted, summed over every client)."""

    requests: int = 0
    frames_in: int = 0
    frames_out: int = 0

    def total(self) -> int:
        return self.requests + self.frames_in + self.frames_out


class Client:
    """One member of the room. ``first_seq``: the first message it must receive (set by the load)."""

    def __init__(self, index: int, transport: "Transport"):
        self.index, self.transport, self.first_seq = index, transport, 0
        self.task: asyncio.Task | None = None
        self.closed = False  # left the room: what it still reads is not a delivery

    def found(self, text: str) -> None:
        now = time.perf_counter()
        for seq in MARK.findall(text):
            self.transport.tally(self, int(seq), now)

    async def send(self, text: str) -> None:
        raise NotImplementedError

    async def close(self) -> None:
        # Marked first: on Python 3.11, asyncio.wait_for can swallow a cancel that lands as its
        # inner call completes (gh-86296), and the reading task then goes on (seen under CI load:
        # the warm-up member counted among the room's deliveries).
        self.closed = True
        if self.task is not None:
            self.task.cancel()


class Transport:
    """Opens clients of one kind; ``tally(client, seq, t)`` is called for each message found."""

    def __init__(self, wire: Wire, tally):
        self.wire, self.tally = wire, tally

    async def open(self, index: int) -> Client:
        raise NotImplementedError

    async def all_joined(self) -> None:
        """Return once every client opened so far is a member the server sends to (at once, for most)."""


# -- HTTP, one request per connection (what a poll costs) ---------------------------------------

async def http(port: int, method: str, path: str, *, body: bytes = b"", headers: dict | None = None,
               timeout: float = REQUEST_TIMEOUT) -> tuple[int, dict, bytes]:
    """One HTTP/1.1 request with ``Connection: close``: (status, headers in lower case, body)."""
    reader, writer = await asyncio.wait_for(asyncio.open_connection("127.0.0.1", port), timeout)
    try:
        lines = [f"{method} {path} HTTP/1.1", f"Host: 127.0.0.1:{port}", "Connection: close",
                 f"Content-Length: {len(body)}", *(f"{k}: {v}" for k, v in (headers or {}).items())]
        writer.write(("\r\n".join(lines) + "\r\n\r\n").encode() + body)
        raw = await asyncio.wait_for(reader.read(), timeout)  # until the server closes
    finally:
        writer.close()
    head, _, payload = raw.partition(b"\r\n\r\n")
    status_line, *header_lines = head.decode("latin-1").split("\r\n")
    if not status_line.startswith("HTTP/"):
        raise ConnectionError(f"{method} {path}: no HTTP answer")
    found: dict = {}
    for line in header_lines:
        name, _, value = line.partition(":")
        found.setdefault(name.strip().lower(), []).append(value.strip())
    return int(status_line.split()[1]), {k: "\n".join(v) for k, v in found.items()}, payload


def _cookie(headers: dict) -> str:
    """The ``name=value`` pairs of every Set-Cookie header, as a Cookie header."""
    return "; ".join(line.split(";")[0] for line in headers.get("set-cookie", "").split("\n") if line)


async def _newsroom_login(port: int, wire: Wire) -> tuple[str, str]:
    """Lesson 05's login, as a browser does it: the form on / (a CSRF cookie and token), then POST
    /login. Returns (the Cookie header, the CSRF token for later POSTs)."""
    import re
    import urllib.parse

    wire.requests += 2
    _, headers, page = await http(port, "GET", "/")
    csrf_cookie = _cookie(headers)
    token = re.search(rb'name="csrfmiddlewaretoken" value="([^"]+)"', page).group(1).decode()
    form = urllib.parse.urlencode({"name": "bench", "next": "/room/lobby/", "csrfmiddlewaretoken": token}).encode()
    _, headers, _ = await http(port, "POST", "/login", body=form, headers={
        "Cookie": csrf_cookie, "Content-Type": "application/x-www-form-urlencoded"})
    if "set-cookie" not in headers:
        raise ConnectionError("lesson 05's POST /login set no cookie")
    return f"{csrf_cookie}; {_cookie(headers)}", token


# -- polling (lesson 01's board) ---------------------------------------------------------------

class PollClient(Client):
    async def send(self, text: str) -> None:
        self.transport.wire.requests += 1
        body = json.dumps({"author": "bench", "text": text}).encode()
        await http(self.transport.port, "POST", "/api/messages", body=body,
                   headers={"Content-Type": "application/json"})

    async def loop(self, cursor: int) -> None:
        wire, long = self.transport.wire, self.transport.long
        while not self.closed:
            path = (f"/api/messages/wait?after={cursor}&timeout={LONG_POLL_WAIT}" if long
                    else f"/api/messages?after={cursor}")
            wire.requests += 1
            _, _, body = await http(self.transport.port, "GET", path)
            self.found(body.decode())
            cursor = json.loads(body)["cursor"]
            if not long:
                await asyncio.sleep(SHORT_POLL_INTERVAL)


class Polling(Transport):
    def __init__(self, wire, tally, info: dict, long: bool):
        super().__init__(wire, tally)
        self.port, self.long = info["port"], long

    async def open(self, index: int) -> Client:
        client = PollClient(index, self)
        self.wire.requests += 1
        _, _, body = await http(self.port, "GET", "/api/messages?after=0", timeout=CONNECT_TIMEOUT)
        client.task = asyncio.create_task(client.loop(json.loads(body)["cursor"]))
        return client


# -- Server-Sent Events, POST to send (lesson 02's feed) ----------------------------------------

class SseClient(Client):
    async def send(self, text: str) -> None:
        self.transport.wire.requests += 1
        await http(self.transport.port, "POST", "/api/events", body=json.dumps({"text": text}).encode(),
                   headers={"Content-Type": "application/json"})

    async def read(self, reader, parser: sse_probe.SSEParser, seen: int) -> None:
        while chunk := await reader.read(65536):
            parser.feed(chunk.decode("utf-8", "replace"))
            for event in parser.events[seen:]:
                self.transport.wire.frames_in += 1
                self.found(event.data)
            seen = len(parser.events)

    async def close(self) -> None:
        await super().close()
        self.writer.close()


class Sse(Transport):
    def __init__(self, wire, tally, info: dict):
        super().__init__(wire, tally)
        self.port = info["port"]

    async def open(self, index: int) -> Client:
        client = SseClient(index, self)
        reader, client.writer = await asyncio.wait_for(asyncio.open_connection("127.0.0.1", self.port),
                                                       CONNECT_TIMEOUT)
        self.wire.requests += 1
        client.writer.write(f"GET /events HTTP/1.1\r\nHost: 127.0.0.1:{self.port}\r\n"
                            "Accept: text/event-stream\r\n\r\n".encode())
        head = await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), CONNECT_TIMEOUT)
        if not head.startswith(b"HTTP/1.1 200"):
            raise ConnectionError(f"GET /events answered {head[:40]!r}")
        parser = sse_probe.SSEParser()
        while parser.retry is None:  # the stream's first frame: from now on it waits for news
            parser.feed((await asyncio.wait_for(reader.read(65536), CONNECT_TIMEOUT)).decode("utf-8", "replace"))
        client.task = asyncio.create_task(client.read(reader, parser, len(parser.events)))
        return client


# -- WebSockets --------------------------------------------------------------------------------

class WsClient(Client):
    async def send(self, text: str) -> None:
        if self.transport.post is not None:  # a sidecar: the browser POSTs to Django, never to the socket
            await self.transport.post(text)
            return
        self.transport.wire.frames_out += 1
        await self.ws.send(self.transport.encode(text))

    async def read(self) -> None:
        async for frame in self.ws:
            self.transport.wire.frames_in += 1
            self.found(frame if isinstance(frame, str) else frame.decode("utf-8", "replace"))

    async def close(self) -> None:
        await super().close()
        try:
            await asyncio.wait_for(self.ws.close(), 5)
        except (asyncio.TimeoutError, OSError):
            pass


class WebSocket(Transport):
    """``url(index)`` (a coroutine: some servers want a token fetched first); ``ready``: wait for the
    server's first frame (a history, a ready or a presence frame) before counting the client in;
    ``encode(text)``: the frame a browser of that site would send; ``post(text)``: how a member
    sends when the socket only pushes (a coroutine function), else ``None``; ``joined``: for a server
    that sends no first frame, the log that reports each join (a ``UwsgiLog``), else ``None``."""

    def __init__(self, wire, tally, url, *, ready: bool, encode=lambda text: text, origin=None, cookie=None,
                 post=None, joined=None):
        super().__init__(wire, tally)
        self.url, self.ready, self.encode, self.origin, self.cookie = url, ready, encode, origin, cookie
        self.post, self.joined, self.opened = post, joined, 0

    async def open(self, index: int) -> Client:
        client = WsClient(index, self)
        url = await self.url(index)
        origin = self.origin or "http://" + url.split("/")[2]
        client.ws = await ws_probe.connect(url, timeout=CONNECT_TIMEOUT, origin=origin, cookie=self.cookie,
                                           max_queue=None, compression=None)
        if self.ready:
            self.wire.frames_in += 1
            client.found(await ws_probe.recv(client.ws, timeout=CONNECT_TIMEOUT))
        self.opened += 1
        client.task = asyncio.create_task(client.read())
        return client

    async def all_joined(self) -> None:
        """An open socket is a member only once the server has taken its place in the room; until then a
        message is not its to receive. With no first frame to wait for, the server's log says so: as many
        joins as sockets opened (the log counts from when this transport was made)."""
        if self.joined is not None and not await self.joined.wait_for_joins(self.opened, timeout=CONNECT_TIMEOUT):
            raise ConnectionError(f"the server reported {self.joined.joins()} joins for {self.opened} sockets")


def fixed(url: str):
    async def same(index: int) -> str:
        return url
    return same


def chat_json(text: str) -> str:
    """Lesson 06's frame from the browser."""
    return json.dumps({"type": "message", "text": text})


# -- the transport of each architecture, from what its host printed ------------------------------

async def make(kind: str, info: dict, wire: Wire, tally) -> Transport:
    """The transport for ``kind`` (an architecture's ``client``), logging in first where the site wants it."""
    if kind in ("short-poll", "long-poll"):
        return Polling(wire, tally, info, long=kind == "long-poll")
    if kind == "sse":
        return Sse(wire, tally, info)
    if kind == "ws-text":  # lesson 03, uWSGI's /chat, the websockets peer: the text is the message
        joined = UwsgiLog(info["joins_log"]) if info.get("joins_log") else None
        return WebSocket(wire, tally, fixed(info["url"]), ready=info.get("ready", False), joined=joined)
    if kind == "channels":  # lesson 06: a session cookie, JSON frames, the history first; ports alternate
        async def url(index: int) -> str:
            return info["urls"][index % len(info["urls"])]
        return WebSocket(wire, tally, url, ready=True, encode=chat_json, cookie=f"sessionid={info['session']}")
    if kind == "offload":  # lesson 04: log in on the front (a signed cookie), then the socket it hands off
        wire.requests += 1
        _, headers, _ = await http(info["port"], "POST", "/login", body=b'{"name": "bench"}',
                                   headers={"Content-Type": "application/json"})
        return WebSocket(wire, tally, fixed(info["url"]), ready=True, cookie=_cookie(headers))
    if kind == "sidecar":  # lesson 05: log in on Django, a token per socket, then the sidecar
        cookie, csrf = await _newsroom_login(info["port"], wire)

        async def url(index: int) -> str:
            wire.requests += 1
            _, _, body = await http(info["port"], "GET", "/room/lobby/token", headers={"Cookie": cookie})
            answer = json.loads(body)
            return f"{answer['url']}?token={answer['token']}"
        async def post(text: str) -> None:  # Django stores the message, then publishes it on Redis
            wire.requests += 1
            await http(info["port"], "POST", "/room/lobby/messages", body=f"text={text}".encode(),
                       headers={"Cookie": cookie, "Accept": "application/json", "X-CSRFToken": csrf,
                                "Content-Type": "application/x-www-form-urlencoded"})
        return WebSocket(wire, tally, url, ready=True, origin=info["origin"], post=post)
    raise ValueError(f"no transport called {kind!r}")
