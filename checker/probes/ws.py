"""``websockets`` clients for checks, tests and benchmarks: a client nobody in this room wrote.

Every wait is explicit (``timeout``; checks pass ``ctx.timeout(seconds)``) and the library's
own keep-alive pings are off, so a check sees only the frames it asked for.

    async with connect(url, timeout=3) as ws:
        await ws.send("hi")
        text = await recv(ws, timeout=3)
    closed_with(ws)     # the code in the server's Close frame, or None
"""

from __future__ import annotations

import asyncio


def connect(url: str, *, timeout: float, origin: str | None = None, cookie: str | None = None, **options):
    """An ``async with`` WebSocket client for ``url``; ``origin``/``cookie`` go into the handshake."""
    from websockets.asyncio.client import connect as ws_connect

    headers = [("Cookie", cookie)] if cookie else []
    options.setdefault("ping_interval", None)
    return ws_connect(url, open_timeout=timeout, close_timeout=timeout, origin=origin,
                      additional_headers=headers or None, **options)


async def recv(ws, *, timeout: float):
    """The next message (``str`` or ``bytes``); ``asyncio.TimeoutError`` after ``timeout`` seconds."""
    return await asyncio.wait_for(ws.recv(), timeout)


async def recv_until(ws, predicate, *, timeout: float, limit: int = 20):
    """Messages until one satisfies ``predicate`` (returned); ``None`` after ``limit`` others."""
    for _ in range(limit):
        message = await recv(ws, timeout=timeout)
        if predicate(message):
            return message
    return None


def closed_with(ws) -> int | None:
    """The status code of the Close frame the server sent, or ``None`` if none arrived."""
    received = ws.protocol.close_rcvd
    return None if received is None else received.code


async def collect(ws, count: int, *, timeout: float) -> list:
    """Up to ``count`` messages, each within ``timeout`` seconds of the previous: what did arrive."""
    got: list = []
    try:
        while len(got) < count:
            got.append(await recv(ws, timeout=timeout))
    except (asyncio.TimeoutError, TimeoutError):
        pass
    return got


def handshake_refusal(exc: BaseException, header: str = "X-Workshop-Error") -> str | None:
    """For a refused handshake (``InvalidStatus``): "HTTP 500 instead of 101: <why>"; else ``None``.

    ``why`` is the server's ``header`` when it sent one (the workshop's scaffolding names the
    learner's failing line there), else the start of the body.
    """
    from websockets.exceptions import InvalidStatus

    if not isinstance(exc, InvalidStatus):
        return None
    response = exc.response
    problem = response.headers.get(header) or response.body.decode("utf-8", "replace")[:300]
    return f"the handshake was answered with HTTP {response.status_code} instead of 101: {problem}"


async def raw_open(host: str, port: int, path: str, *, timeout: float, origin: str | None = None,
                   cookie: str | None = None):
    """A WebSocket handshake over a bare asyncio stream: ``(reader, writer)`` once the 101 arrived.

    For clients no library would write: one that never answers the server's Close, one that
    sends frames a library refuses to build. Write frames with ``checker.probes.wire.wire(...)``
    (masked, as a client must); ``ConnectionError`` if the server did not switch protocols.
    """
    import base64
    import os

    reader, writer = await asyncio.wait_for(asyncio.open_connection(host, port), timeout)
    lines = [f"GET {path} HTTP/1.1", f"Host: {host}:{port}", "Upgrade: websocket", "Connection: Upgrade",
             f"Sec-WebSocket-Key: {base64.b64encode(os.urandom(16)).decode()}", "Sec-WebSocket-Version: 13"]
    lines += [f"Origin: {origin}"] if origin else []
    lines += [f"Cookie: {cookie}"] if cookie else []
    writer.write(("\r\n".join(lines) + "\r\n\r\n").encode())
    head = await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), timeout)
    if not head.startswith(b"HTTP/1.1 101"):
        writer.close()
        status = head.split(b"\r\n", 1)[0].decode(errors="replace")
        raise ConnectionError(f"the handshake was answered with {status}")
    return reader, writer
