"""A tiny round-robin TCP load balancer (scaffolding): one port in front of several backends.

It does what a TCP-mode HAProxy or an nginx ``stream`` block does, in ~100 lines of asyncio:
each new client connection goes to the next backend in turn, and bytes are copied both ways
until either side is done. It never looks inside the bytes, so HTTP requests and WebSocket
upgrades pass alike, and a WebSocket stays on the backend it started on for its whole life.
That is why WebSockets need no "sticky sessions": the connection itself is the stickiness.
What one connection on backend A must tell a connection on backend B travels through the
channel layer (Redis), not through the balancer.

The lesson's front is a real nginx when one is installed (``launch.py``, ``nginx.conf.template``);
this balancer stands in where none is, and shows the one thing nginx hides: a TCP balancer routes
connections, an HTTP proxy routes requests (README, section 10).

Loopback only. Use it from the command line::

    python lessons/08-scaling-and-security/balancer.py --port 8000 8101 8102

or from Python: ``with BalancerThread([8101, 8102]) as lb: lb.port``.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import itertools
import threading

LOOPBACK = "127.0.0.1"
CHUNK = 64 * 1024


class RoundRobinBalancer:
    """Accept on ``host:port`` and hand each connection to the next of ``backends`` (ports)."""

    def __init__(self, backends: list[int], host: str = LOOPBACK, port: int = 0):
        if not backends:
            raise ValueError("at least one backend port")
        self.backends = list(backends)
        self.host = host
        self.port = port
        self._next = itertools.cycle(range(len(self.backends)))
        self._server: asyncio.base_events.Server | None = None
        self._tasks: set[asyncio.Task] = set()
        self.connections = [0] * len(self.backends)  # accepted connections per backend, for the curious
        self.active = 0

    async def start(self) -> "RoundRobinBalancer":
        self._server = await asyncio.start_server(self._handle, self.host, self.port)
        self.port = self._server.sockets[0].getsockname()[1]
        return self

    async def close(self) -> None:
        if self._server is not None:
            self._server.close()
            for task in list(self._tasks):
                task.cancel()
            await asyncio.gather(*self._tasks, return_exceptions=True)
            await self._server.wait_closed()

    async def _handle(self, client_reader, client_writer) -> None:
        with contextlib.suppress(asyncio.CancelledError):  # close() cancels the connections still open
            await self._serve(client_reader, client_writer)

    async def _serve(self, client_reader, client_writer) -> None:
        self._tasks.add(asyncio.current_task())
        index = next(self._next)
        backend_port = self.backends[index]
        try:
            try:
                backend_reader, backend_writer = await asyncio.open_connection(LOOPBACK, backend_port)
            except OSError:
                return  # backend down: the client sees the connection close (a real LB would try the next one)
            self.connections[index] += 1
            self.active += 1
            try:
                await asyncio.gather(_pipe(client_reader, backend_writer), _pipe(backend_reader, client_writer))
            finally:
                self.active -= 1
                backend_writer.close()
                with contextlib.suppress(Exception):
                    await backend_writer.wait_closed()
        finally:
            client_writer.close()
            with contextlib.suppress(Exception):
                await client_writer.wait_closed()
            self._tasks.discard(asyncio.current_task())


async def _pipe(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    """Copy until EOF, then pass the EOF on (half-close), so each side sees the other finish."""
    try:
        while data := await reader.read(CHUNK):
            writer.write(data)
            await writer.drain()
        if writer.can_write_eof():
            writer.write_eof()
    except (ConnectionError, OSError):
        writer.close()  # a reset on one side ends the other side too


class BalancerThread:
    """The balancer on an event loop in a background thread, for synchronous code (demo, checks)."""

    def __init__(self, backends: list[int], host: str = LOOPBACK, port: int = 0):
        self.balancer = RoundRobinBalancer(backends, host, port)
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._loop.run_forever, name="balancer", daemon=True)

    @property
    def port(self) -> int:
        return self.balancer.port

    def start(self) -> "BalancerThread":
        self._thread.start()
        asyncio.run_coroutine_threadsafe(self.balancer.start(), self._loop).result(timeout=5)
        return self

    def stop(self) -> None:
        if self._thread.is_alive():
            asyncio.run_coroutine_threadsafe(self.balancer.close(), self._loop).result(timeout=5)
            self._loop.call_soon_threadsafe(self._loop.stop)
            self._thread.join(timeout=5)
        self._loop.close()

    def __enter__(self) -> "BalancerThread":
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()


async def _main(args) -> None:
    balancer = await RoundRobinBalancer(args.backends, args.host, args.port).start()
    print(f"balancing {args.host}:{balancer.port} -> {', '.join(map(str, args.backends))}", flush=True)
    try:
        await asyncio.Event().wait()
    finally:
        await balancer.close()


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--host", default=LOOPBACK)
    parser.add_argument("--port", type=int, default=8000)
    parser.add_argument("backends", type=int, nargs="+", help="backend ports on 127.0.0.1")
    with contextlib.suppress(KeyboardInterrupt):
        asyncio.run(_main(parser.parse_args()))
