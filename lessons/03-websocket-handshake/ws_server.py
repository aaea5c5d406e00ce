"""The thin I/O layer: an asyncio TCP server that drives YOUR sans-I/O code.

This file only moves bytes. It reads an HTTP request head from a plain TCP socket, asks
``handshake.handshake_response()`` what to answer, and from then on hands every chunk the
socket reads to ``Connection.receive_data()`` and writes back ``Connection.data_to_send()``.
Every WebSocket rule lives in your three files; none lives here.

Routes:

* ``GET /``      the chat page (``chat.html``), plain HTTP;
* ``/echo``      WebSocket: every message comes back to its sender, same type, same bytes;
* ``/chat``      WebSocket: every text message goes to everyone in the room (sender included),
                 and the room hears ``{"type": "presence", "online": N}`` when someone joins or leaves.

``ServerThread`` runs a ``WebSocketServer`` in a background thread; ``launch.py`` starts one on
the port it is given, for the demo, the checks and the benchmark (the notebook starts its own).

What keeps it up when a client is hostile rather than buggy (a slow request head, a silent
socket, a client that never reads, thousands of connections) is in ``ws_limits.py``: every wait
here has a limit, every queue a bound, and the log says what was dropped and why, once.
"""

from __future__ import annotations

import asyncio
import json
import logging
import threading
import traceback
from dataclasses import dataclass
from pathlib import Path

from ws_limits import MAX_HEAD, Limits, Listener, QuietLog

from ws_common import (
    CLOSE_GOING_AWAY,
    CLOSE_POLICY,
    BadRequest,
    CloseReceived,
    Message,
    State,
    header_tokens,
    http_response,
    parse_request,
)

HERE = Path(__file__).resolve().parent
PAGE = HERE / "chat.html"
LOOPBACK = "127.0.0.1"
READ_SIZE = 64 * 1024  # bytes asked from the socket per read()
CLOSE_TIMEOUT = 2.0  # seconds to wait for the peer's Close after we sent ours

log = logging.getLogger("ws03")


@dataclass(eq=False)
class Client:
    connection: object  # the learner's Connection
    writer: asyncio.StreamWriter
    peer: str
    dropped: bool = False  # closed as a slow reader: nothing more is queued for it

    def flush(self) -> int:
        """Write what the connection wants sent; return the bytes still queued for this client."""
        data = self.connection.data_to_send()
        if data and not self.writer.is_closing():
            self.writer.write(data)
        return self.writer.transport.get_write_buffer_size()


class WebSocketServer:
    """Serves the page, ``/echo`` and ``/chat`` with the learner's ``handshake`` and ``connection`` modules."""

    def __init__(self, handshake, connection, *, max_message_size: int = 1 << 20, limits: Limits | None = None) -> None:
        self.handshake = handshake
        self.connection = connection
        self.max_message_size = max_message_size
        self.limits = limits or Limits()
        self.quiet = QuietLog(self.limits.log_interval)
        self.room: set[Client] = set()
        self.clients: set[Client] = set()
        self.errors: list[BaseException] = []  # exceptions raised by the learner's code, for the checks
        self._listener: Listener | None = None

    # ---- lifecycle ---------------------------------------------------------------------

    async def start(self, host: str = LOOPBACK, port: int = 0) -> int:
        """Listen on ``host:port`` (0 = any free port); return the port."""
        self._listener = Listener(self._on_connect, self.limits, self.quiet)
        return await self._listener.start(host, port)

    async def shutdown(self) -> None:
        """Stop accepting, send every WebSocket client a Close 1001 (going away), wait a little."""
        if self._listener is None:
            return
        self._listener.close()
        for client in list(self.clients):
            try:
                client.connection.close(CLOSE_GOING_AWAY, "server shutting down")
                client.flush()
            except Exception as exc:  # noqa: BLE001 - learner code; shutting down anyway
                self._record(exc)
        tasks = set(self._listener.tasks)
        if tasks:
            _, pending = await asyncio.wait(tasks, timeout=CLOSE_TIMEOUT)
            for task in pending:
                task.cancel()
            if pending:
                await asyncio.wait(pending, timeout=1)

    def _record(self, exc: BaseException) -> None:
        self.errors.append(exc)
        log.error("error in the exercise's code:\n%s", "".join(traceback.format_exception(exc)).rstrip())

    # ---- HTTP ----------------------------------------------------------------------------

    async def _on_connect(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            await self._serve(reader, writer)
        except (ConnectionError, asyncio.IncompleteReadError, asyncio.CancelledError):
            pass
        except Exception as exc:  # noqa: BLE001 - keep serving the other clients
            self._record(exc)
        finally:
            writer.close()
            try:  # a peer that reads nothing would keep the bytes still queued (and us) waiting for ever
                await asyncio.wait_for(writer.wait_closed(), CLOSE_TIMEOUT)
            except (ConnectionError, asyncio.CancelledError, asyncio.TimeoutError):
                writer.transport.abort()

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:  # slowloris: one byte a second would hold this socket for ever without the timeout
            head = await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), self.limits.handshake_timeout)
        except asyncio.LimitOverrunError:
            writer.write(http_response(431, body="request head too large\n"))
            return
        except asyncio.TimeoutError:
            self.quiet.warn("head", "%s sent no complete request head within %g s: answered 408 and hung up",
                            _peer(writer), self.limits.handshake_timeout)
            writer.write(http_response(408, body="request head too slow\n"))
            return
        try:
            request = parse_request(head)
        except BadRequest as exc:
            writer.write(http_response(400, body=f"{exc}\n"))
            return
        wants_upgrade = "websocket" in header_tokens(request.header("upgrade"))
        if request.path in ("/echo", "/chat"):
            await self._websocket(request, reader, writer)
        elif request.path in ("/", "/index.html") and not wants_upgrade:
            if request.method not in ("GET", "HEAD"):
                writer.write(http_response(405, [("Allow", "GET, HEAD")], "GET this page\n"))
                return
            page = PAGE.read_bytes()
            response = http_response(200, [("Content-Type", "text/html; charset=utf-8"), ("Cache-Control", "no-store")], page)
            writer.write(response if request.method == "GET" else response[: len(response) - len(page)])
        else:
            writer.write(http_response(404, body=f"nothing at {request.path}; try / (the page), /echo or /chat\n"))
        await writer.drain()

    # ---- WebSocket ---------------------------------------------------------------------

    async def _websocket(self, request, reader, writer) -> None:
        try:
            response = self.handshake.handshake_response(request)
        except Exception as exc:  # noqa: BLE001 - learner code
            self._record(exc)
            writer.write(http_response(500, body=f"handshake_response raised {type(exc).__name__}; see the server log\n"))
            return
        if not isinstance(response, (bytes, bytearray)):
            self._record(TypeError(f"handshake_response() returned a {type(response).__name__}; it must return bytes"))
            writer.write(http_response(500, body="handshake_response did not return bytes; see the server log\n"))
            return
        writer.write(response)
        await writer.drain()
        if not bytes(response).startswith(b"HTTP/1.1 101 "):
            return  # an HTTP error answer: hang up after it
        self._listener.settled(asyncio.current_task())  # a WebSocket now: no longer dropped to make room
        client = Client(self.connection.Connection(max_message_size=self.max_message_size), writer, _peer(writer))
        self.clients.add(client)
        chat = request.path == "/chat"
        log.info("%s opened a WebSocket on %s", client.peer, request.path)
        try:
            if chat:
                self.room.add(client)
                self._presence()
            await self._pump(client, reader, chat)
        finally:
            self.clients.discard(client)
            if chat and client in self.room:
                self.room.discard(client)
                self._presence()

    async def _pump(self, client: Client, reader: asyncio.StreamReader, chat: bool) -> None:
        """Socket bytes -> receive_data -> events; data_to_send -> socket, until CLOSED.

        A client silent for ``idle_timeout`` gets a Ping (browsers answer on their own); silent
        for as long again, it is gone (a dead laptop, a NAT that forgot us, or an attacker
        holding a socket) and the server hangs up.
        """
        conn = client.connection
        pinged = False
        while conn.state is not State.CLOSED:
            timeout = CLOSE_TIMEOUT if conn.state is State.CLOSING else self.limits.idle_timeout
            try:
                data = await asyncio.wait_for(reader.read(READ_SIZE), timeout)
            except asyncio.TimeoutError:
                if conn.state is State.CLOSING:
                    log.info("%s never answered our Close; dropping the connection", client.peer)
                    return
                if pinged:
                    self.quiet.warn("idle", "%s sent nothing for %g s, not even a Pong: hung up",
                                    client.peer, 2 * self.limits.idle_timeout)
                    return
                conn.send_ping(b"still there?")
                pinged = True
                await self._send(client)
                continue
            pinged = False
            if not data:
                return  # the TCP connection ended without a Close frame (what the RFC calls 1006)
            try:
                events = conn.receive_data(data)
            except Exception as exc:  # noqa: BLE001 - learner code must not raise; report and hang up
                self._record(exc)
                return
            if not isinstance(events, (list, tuple)):
                self._record(TypeError(f"Connection.receive_data() returned {events!r:.60}; it must return a list of events"))
                return
            for event in events:
                if isinstance(event, Message):
                    if not chat:
                        (conn.send_text if isinstance(event.data, str) else conn.send_binary)(event.data)
                    elif isinstance(event.data, str):
                        self._broadcast(event.data)
                elif isinstance(event, CloseReceived):
                    log.info("%s closed: %s %s", client.peer, event.code, event.reason)
            await self._send(client)
        failure = getattr(conn, "failure", None)
        if failure is not None:
            log.info("%s failed the protocol: close %s (%s)", client.peer, failure.code, failure.reason)
        # §7.1.1: once the close handshake is done, the server closes the TCP connection first.

    async def _send(self, client: Client) -> None:
        """Write what ``client``'s connection queued, and wait (a bounded time) until it reads it.

        ``drain()`` waits while more than 64 KiB are queued: that is what slows an echo client
        that sends without reading down to its own reading speed, instead of queueing in memory.
        """
        if client.flush() > self.limits.max_buffer:
            self._drop_slow_reader(client)
            return
        try:
            await asyncio.wait_for(client.writer.drain(), self.limits.send_timeout)
        except asyncio.TimeoutError:
            self._drop_slow_reader(client)

    def _broadcast(self, text: str) -> None:
        """Queue ``text`` for every member of the room, without waiting for any of them.

        One member that never reads must not stall the room, so nobody is awaited here; instead
        a member with more than ``max_buffer`` bytes queued is dropped as a slow reader.
        """
        for member in list(self.room):
            if member.dropped:
                continue
            try:
                member.connection.send_text(text)
                queued = member.flush()
            except Exception as exc:  # noqa: BLE001 - learner code
                self._record(exc)
                continue
            if queued > self.limits.max_buffer:
                self._drop_slow_reader(member)

    def _drop_slow_reader(self, client: Client) -> None:
        """Close a client that does not read with 1008 (policy violation), and hang up soon after.

        The Close frame joins the end of the queue; a client that is merely slow reads it and
        learns why. One that reads nothing is cut off ``CLOSE_TIMEOUT`` seconds later, which
        frees everything queued for it.
        """
        if client.dropped:
            return
        client.dropped = True
        queued = client.writer.transport.get_write_buffer_size()
        self.quiet.warn("slow", "%s reads too slowly (%d bytes queued for it, limit %d): closing it with 1008",
                        client.peer, queued, self.limits.max_buffer)
        try:
            client.connection.close(CLOSE_POLICY, "reading too slowly")
            client.flush()
        except Exception as exc:  # noqa: BLE001 - learner code; hang up anyway
            self._record(exc)
        asyncio.get_running_loop().call_later(CLOSE_TIMEOUT, client.writer.transport.abort)

    def _presence(self) -> None:
        self._broadcast(json.dumps({"type": "presence", "online": len(self.room)}))


def _peer(writer: asyncio.StreamWriter) -> str:
    peer = writer.get_extra_info("peername")
    return f"{peer[0]}:{peer[1]}" if peer else "?"


class ServerThread:
    """Run a ``WebSocketServer`` in a background thread on a free loopback port.

    ``with ServerThread(handshake, connection) as server: ... server.url ...``
    """

    def __init__(self, handshake, connection, *, host: str = LOOPBACK, port: int = 0, max_message_size: int = 1 << 20,
                 limits: Limits | None = None):
        self.server = WebSocketServer(handshake, connection, max_message_size=max_message_size, limits=limits)
        self.host, self.port = host, port
        self._loop: asyncio.AbstractEventLoop | None = None
        self._thread: threading.Thread | None = None
        self._started = threading.Event()
        self._stop: asyncio.Event | None = None
        self._startup_error: BaseException | None = None

    @property
    def errors(self) -> list[BaseException]:
        return self.server.errors

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}/"

    def ws_url(self, path: str) -> str:
        return f"ws://{self.host}:{self.port}{path}"

    def start(self, ready_timeout: float = 10.0) -> "ServerThread":
        """Start the thread; return once the server listens (it is *ready when* its socket is open)."""
        self._thread = threading.Thread(target=self._run, name="ws03-server", daemon=True)
        self._thread.start()
        if not self._started.wait(ready_timeout):
            raise RuntimeError(f"the lesson 03 server did not listen within {ready_timeout:g} s")
        if self._startup_error is not None:
            raise self._startup_error
        return self

    def alive(self) -> bool:
        return self._thread is not None and self._thread.is_alive()

    def _run(self) -> None:
        asyncio.run(self._main())

    async def _main(self) -> None:
        self._loop = asyncio.get_running_loop()
        self._stop = asyncio.Event()
        try:
            self.port = await self.server.start(self.host, self.port)
        except BaseException as exc:  # noqa: BLE001 - reported to start()
            self._startup_error = exc
            self._started.set()
            return
        self._started.set()
        await self._stop.wait()
        await self.server.shutdown()

    def stop(self) -> None:
        if self._loop is not None and self._stop is not None and self._thread and self._thread.is_alive():
            self._loop.call_soon_threadsafe(self._stop.set)
        if self._thread is not None:
            self._thread.join(10)

    def __enter__(self) -> "ServerThread":
        return self.start()

    def __exit__(self, *exc_info) -> None:
        self.stop()
