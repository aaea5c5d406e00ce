"""One Redis pub/sub connection for the whole sidecar process (scaffolding).

The first version of this lesson gave every socket a Redis connection of its own. An attack run
opened 1,000 sockets with one token: 1,001 Redis connections, 2,007 file descriptors and 100 MB
that stayed. A ``Hub`` caps that: one connection in subscriber mode (``pubsub``) shared by every
socket, plus a small pool for ordinary commands (``client``: the learner's ``spend_nonce`` runs
``SET NX`` there; a connection in subscriber mode can run nothing but (UN)SUBSCRIBE and PING).

The hub owns the plumbing; the learner's ``sidecar.py`` owns the bookkeeping:

* ``hub.rooms``: the fan-out table, ``{"lobby": {websocket, ...}}``, kept by ``join``/``leave``;
* ``await hub.subscribe(channel)``: SUBSCRIBE once per channel, and wait until Redis confirmed it
  (a second caller for the same channel just waits for the same confirmation);
* ``await hub.unsubscribe(channel)``: UNSUBSCRIBE (call it when the last socket of a room left);
* a reader task that hands every published message to ``dispatch(hub, room, data)``;
* ``hub.close_later(websocket, code, reason)``: close a socket without waiting for it here.

When Redis goes away the reader closes every socket with ``CLOSE_REDIS_GONE``; pages reconnect.
"""

from __future__ import annotations

import asyncio
import contextlib
from typing import Callable

from newsroom.protocol import CLOSE_REDIS_GONE

CONTROL_CHANNEL = "newsroom:sidecar"  # subscribed at start, so the shared connection exists before any socket
CONFIRM_TIMEOUT = 5.0  # seconds Redis may take to confirm a SUBSCRIBE
COMMAND_CONNECTIONS = 4  # the pool for SET NX: sockets wait for a connection rather than open one each


class Hub:
    def __init__(self, redis_url: str, dispatch: Callable[["Hub", str, str], None]):
        import redis.asyncio as aioredis

        pool = aioredis.BlockingConnectionPool.from_url(redis_url, decode_responses=True,
                                                        max_connections=COMMAND_CONNECTIONS, timeout=CONFIRM_TIMEOUT)
        self.client = aioredis.Redis(connection_pool=pool)
        self.pubsub = self.client.pubsub()
        self.rooms: dict[str, set] = {}
        self._dispatch = dispatch
        self._confirmed: dict[str, asyncio.Event] = {}
        self._order = asyncio.Lock()  # SUBSCRIBE and UNSUBSCRIBE go out in the order they were asked for
        self._reader: asyncio.Task | None = None
        self._closing: set[asyncio.Task] = set()

    async def start(self) -> "Hub":
        await self.pubsub.subscribe(CONTROL_CHANNEL)
        await self.pubsub.get_message(timeout=CONFIRM_TIMEOUT)  # the confirmation: the connection is live
        await self.client.ping()  # and the pool's first command connection, before any socket arrives
        self._reader = asyncio.create_task(self._read(), name="hub-reader")
        return self

    async def subscribe(self, channel: str) -> None:
        async with self._order:
            confirmed = self._confirmed.get(channel)
            if confirmed is None:
                confirmed = self._confirmed[channel] = asyncio.Event()
                await self.pubsub.subscribe(channel)
        await asyncio.wait_for(confirmed.wait(), CONFIRM_TIMEOUT)

    async def unsubscribe(self, channel: str) -> None:
        async with self._order:
            if self._confirmed.pop(channel, None) is not None:
                await self.pubsub.unsubscribe(channel)

    def close_later(self, websocket, code: int, reason: str) -> None:
        task = asyncio.get_running_loop().create_task(websocket.close(code, reason))
        self._closing.add(task)
        task.add_done_callback(self._closing.discard)

    async def _read(self) -> None:
        try:
            while True:
                message = await self.pubsub.get_message(timeout=None)
                if message is None:
                    continue
                channel = message.get("channel")
                if message["type"] == "subscribe" and channel in self._confirmed:
                    self._confirmed[channel].set()
                elif message["type"] == "message" and channel.startswith("room:"):
                    try:
                        self._dispatch(self, channel.split(":", 1)[1], message["data"])
                    except Exception as exc:  # noqa: BLE001 - one bad dispatch must not end the reader
                        print(f"Lesson 05: dispatch() raised {type(exc).__name__}: {exc}", flush=True)
        except asyncio.CancelledError:
            raise
        except Exception as exc:  # noqa: BLE001 - Redis is gone: tell every page, which will reconnect
            print(f"Lesson 05: the sidecar lost Redis ({type(exc).__name__}: {exc}); closing every socket", flush=True)
            for sockets in list(self.rooms.values()):
                for websocket in list(sockets):
                    self.close_later(websocket, CLOSE_REDIS_GONE, "the sidecar lost Redis")

    async def aclose(self) -> None:
        if self._reader is not None:
            self._reader.cancel()
            with contextlib.suppress(BaseException):
                await self._reader
        with contextlib.suppress(Exception):
            await self.pubsub.aclose()
        with contextlib.suppress(Exception):
            await self.client.aclose()
