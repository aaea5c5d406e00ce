"""Watching Redis from a check: subscriptions, connections, and a proxy that slows one side down.

Redis itself says what a server did with it, whatever its code looks like:

- ``subscribers(client, channel)``: ``PUBSUB NUMSUB``, the live subscriptions to a channel;
- ``connections(client)``: ``CLIENT LIST`` minus the asking connection;
- ``connections_received(client)``: ``INFO stats`` ``total_connections_received``, which only
  grows: a server that connects even briefly (and disconnects) still moves it;
- ``Subscriber``: a real redis-py subscriber on every channel (``PSUBSCRIBE *``).

``RedisProxy`` sits between a server under test and Redis. With ``delay`` > 0 it holds every
command for that long before Redis sees it, and it notes when it passed Redis's ``subscribe``
confirmation back: a server that claims to be subscribed *before* that moment did not wait for
Redis to confirm.

    with RedisProxy(redis_url) as proxy:          # proxy.url goes to the server under test
        proxy.delay = 0.3
        ... proxy.confirmed_since(started)         # confirmation times after `started`
"""

from __future__ import annotations

import asyncio
import threading
import time
from urllib.parse import urlsplit

from workshop import net

CONFIRMATION = b"\r\nsubscribe\r\n"  # RESP: the bulk string "subscribe" heading Redis's confirmation


def subscribers(client, channel: str) -> int:
    return dict(client.pubsub_numsub(channel)).get(channel, 0)


def connections(client) -> int:
    return len(client.client_list()) - 1  # minus the connection asking


def connections_received(client) -> int:
    return int(client.info("stats")["total_connections_received"])


class Subscriber:
    """A redis-py subscriber to every channel: ``next(timeout)`` is the next published message or ``None``."""

    def __init__(self, url: str, *, timeout: float):
        import redis

        self.client = redis.Redis.from_url(url, decode_responses=True)
        self.pubsub = self.client.pubsub()
        self.pubsub.psubscribe("*")  # every channel: a message on the wrong one is seen, and named
        self.pubsub.get_message(timeout=timeout)  # the psubscribe confirmation

    def next(self, *, timeout: float) -> dict | None:
        end = time.monotonic() + timeout
        while (left := end - time.monotonic()) > 0:
            got = self.pubsub.get_message(timeout=left)
            if got is not None and got["type"] == "pmessage":
                return got
        return None

    def stop(self, *, timeout: float) -> None:
        self.pubsub.punsubscribe("*")
        self.pubsub.get_message(timeout=timeout)

    def close(self) -> None:
        self.pubsub.close()
        self.client.close()


class RedisProxy:
    """A TCP proxy to Redis on a loopback port, on an event loop of its own (a thread)."""

    def __init__(self, redis_url: str, *, ready_timeout: float = 5.0):
        target = urlsplit(redis_url)
        self.target = (target.hostname, target.port)
        self.port = net.free_port()
        self.url = f"redis://{net.LOOPBACK}:{self.port}{target.path or '/0'}"
        self.delay = 0.0  # seconds every command waits before Redis sees it
        self.confirmations: list[float] = []  # monotonic times a subscribe confirmation was passed back
        self.ready_timeout = ready_timeout
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._loop.run_forever, name="redis-proxy", daemon=True)
        self._server = None
        self._writers: set = set()

    def confirmed_since(self, moment: float) -> list[float]:
        return [t for t in self.confirmations if t >= moment]

    async def _pipe(self, reader, writer, *, commands: bool) -> None:
        try:
            while data := await reader.read(65536):
                if commands and self.delay:
                    await asyncio.sleep(self.delay)
                if not commands and CONFIRMATION in data:
                    self.confirmations.append(time.monotonic())
                writer.write(data)
                await writer.drain()
        except (ConnectionError, OSError):
            pass
        finally:
            writer.close()

    async def _connection(self, reader, writer) -> None:
        try:
            up_reader, up_writer = await asyncio.open_connection(*self.target)
        except OSError:
            writer.close()
            return
        self._writers.update((writer, up_writer))
        await asyncio.gather(self._pipe(reader, up_writer, commands=True),
                             self._pipe(up_reader, writer, commands=False))
        self._writers.difference_update((writer, up_writer))

    async def _start(self) -> None:
        self._server = await asyncio.start_server(self._connection, net.LOOPBACK, self.port)

    async def _stop(self) -> None:
        self._server.close()
        for writer in list(self._writers):
            writer.close()

    def __enter__(self) -> "RedisProxy":
        self._thread.start()
        asyncio.run_coroutine_threadsafe(self._start(), self._loop).result(self.ready_timeout)
        return self

    def __exit__(self, *exc) -> None:
        asyncio.run_coroutine_threadsafe(self._stop(), self._loop).result(self.ready_timeout)
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(self.ready_timeout)
        self._loop.close()
