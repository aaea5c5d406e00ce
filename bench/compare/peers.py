"""The peer a user would pick instead of the workshop's servers: the ``websockets`` library's own.

A whole broadcast chat in a few lines: every member gets a ``ready`` frame when it joins, and
every text a member sends goes to every member (itself included) through ``broadcast()``,
which writes to each socket without waiting for any of them. There is no Django here, no
login and no history: it is the floor the other architectures are measured against.
"""

from __future__ import annotations

import asyncio
import contextlib
import threading


async def _chat(host: str, port: int, started: threading.Event, stop: asyncio.Event, box: dict) -> None:
    from websockets import broadcast
    from websockets.asyncio.server import serve

    members: set = set()

    async def member(ws) -> None:
        members.add(ws)
        try:
            await ws.send('{"type": "ready"}')
            async for message in ws:
                broadcast(members, message)
        finally:
            members.discard(ws)

    async with serve(member, host, port, ping_interval=None, compression=None, max_queue=None) as server:
        box["port"] = server.sockets[0].getsockname()[1]
        started.set()
        await stop.wait()


@contextlib.contextmanager
def broadcast_chat(host: str = "127.0.0.1"):
    """``with broadcast_chat() as url:`` the chat runs on a thread of this process, on a free port."""
    loop = asyncio.new_event_loop()
    started, stop, box = threading.Event(), asyncio.Event(), {}
    thread = threading.Thread(target=loop.run_until_complete, args=(_chat(host, 0, started, stop, box),),
                              name="websockets-chat", daemon=True)
    thread.start()
    if not started.wait(30):
        raise RuntimeError("the websockets chat did not start within 30 s")
    try:
        yield f"ws://{host}:{box['port']}/"
    finally:
        loop.call_soon_threadsafe(stop.set)
        thread.join(10)
