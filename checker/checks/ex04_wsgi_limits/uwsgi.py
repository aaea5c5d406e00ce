"""Ring 2: the learner's ``echo`` and ``chat`` on the real uWSGI, talked to with ``websockets`` clients.

Before the checker sends to a new chat member, it waits for the member to *join* the room: uWSGI's
log says so (``[workshop:room] joined ...``) when that connection's ``chat()`` first reads the
room, i.e. holds its cursor. Sending earlier would post the message before the cursor exists.
"""

from __future__ import annotations

import asyncio

from checker.api import Context
from checker.probes import ws as ws_probe
from checker.probes.uwsgi_log import UwsgiLog

from .support import talk, uwsgi

TEXT_SIZES = [0, 1, 125, 126, 65535, 65536, 200_000]
BINARY_SIZES = [1, 2, 125, 126, 65536, 200_000]

ECHO_SESSION = 10  # seconds for a whole client session (scaled by ctx.run_async)
CHAT_SESSION = 12  # seconds for a whole client session (scaled by ctx.run_async)

def check_uwsgi_echo(ctx: Context) -> None:
    ctx.import_learner("uwsgi_ws")
    log, base = uwsgi(ctx, threads=1)
    ctx.step(f"the websockets client sends text and binary messages to {base}/echo, closes, and comes back twice")
    talk(ctx, log, "talking to /echo on uWSGI with the websockets client", _echo_session, base, ctx.timeout(3),
         timeout=ECHO_SESSION)


def check_uwsgi_chat(ctx: Context) -> None:
    ctx.import_learner("uwsgi_ws")
    log, base = uwsgi(ctx, threads=3)
    ctx.step(f"three websockets clients chat through {base}/chat")
    talk(ctx, log, "chatting through /chat on uWSGI with websockets clients", _chat_session, base, log,
         ctx.timeout(1.5), timeout=CHAT_SESSION)


# -- echo ------------------------------------------------------------------------------------------------
def _text(n: int) -> str:
    return ("é✓a" * (n // 3 + 1))[:n]


def _binary(n: int) -> bytes:
    return bytes([0xFF]) + bytes((i * 7 + 0x80) & 0xFF for i in range(n - 1))  # never valid UTF-8


async def _echo_session(base: str, wait: float) -> list[str]:
    async with ws_probe.connect(f"{base}/echo", timeout=wait, max_size=None) as ws:
        for n in TEXT_SIZES:
            await ws.send(_text(n))
            back = await ws_probe.recv(ws, timeout=wait)
            if back != _text(n):
                kind = f"text of {len(back)} characters" if isinstance(back, str) else f"binary ({len(back)} bytes)"
                return [f"a {n}-character text message came back as {kind}"]
        for n in BINARY_SIZES:
            await ws.send(_binary(n))
            back = await ws_probe.recv(ws, timeout=wait)
            if back != _binary(n):
                kind = "text" if isinstance(back, str) else f"{len(back)} other bytes"
                return [f"a {n}-byte binary message (not valid UTF-8) came back as {kind}; send bytes that do not "
                        "decode as UTF-8 with websocket_send_binary"]
    # The worker must be free again: uWSGI here has ONE thread, so a second conversation only
    # starts if the first one's request really ended.
    for attempt in (1, 2):
        try:
            async with ws_probe.connect(f"{base}/echo", timeout=wait) as ws:
                await ws.send(f"again {attempt}")
                if await ws_probe.recv(ws, timeout=wait) != f"again {attempt}":
                    return [f"conversation {attempt + 1} got a wrong echo"]
        except (TimeoutError, asyncio.TimeoutError):
            return [f"after the client closed, conversation {attempt + 1} got no handshake within {wait:g} s: uWSGI "
                    "runs ONE thread here, so the first conversation still holds it. Does echo() return when "
                    "websocket_recv() raises OSError?"]
    return []


# -- chat ------------------------------------------------------------------------------------------------
async def _expect(ws, who: str, wanted: list[str], wait: float) -> str | None:
    got = await ws_probe.collect(ws, len(wanted), timeout=wait)
    if got != wanted:
        return f"{who} received {got!r}; expected {wanted!r} (every message, in order, within {wait:g} s)"
    return None


async def _join(base: str, log: UwsgiLog, count: int, wait: float) -> list:
    """``count`` members, connected, and (as far as uWSGI reports it) each holding its cursor in the room."""
    joined = log.joins()
    members = [await ws_probe.connect(f"{base}/chat", timeout=wait) for _ in range(count)]
    await log.wait_for_joins(joined + count, timeout=wait)  # if they never join, the expectations below say so
    return members


async def _blocked_recv(ada, bob, wait: float) -> str | None:
    """Bob got nothing although Ada, the author, got her message: is Bob's loop stuck in a blocking recv?"""
    await bob.send("poke")
    got = await ws_probe.collect(bob, 2, timeout=wait)
    if "hello from Ada" not in got:
        return None
    await ws_probe.collect(ada, 1, timeout=wait)  # Ada's copy of "poke"
    return ("Bob received nothing while Ada (the author) got 'hello from Ada' at once; only when Bob sent a message "
            "himself did Ada's message reach him. Bob's loop waits in websocket_recv(), which blocks until *his* "
            "client sends something. Use websocket_recv_nb() (b'' when nothing came), send what is new in the "
            "room, and wait_for_news(cursor, IDLE_WAIT) between rounds.")


async def _chat_session(base: str, log: UwsgiLog, wait: float) -> list[str]:
    ada, bob = await _join(base, log, 2, wait)
    try:
        await ada.send("hello from Ada")
        if problem := await _expect(ada, "Ada (the author)", ["hello from Ada"], wait):
            return [problem]
        if problem := await _expect(bob, "Bob", ["hello from Ada"], wait):
            return [await _blocked_recv(ada, bob, wait) or problem]
        burst = [f"Bob {i}" for i in range(4)] + ["!"]  # a one-character message too
        for text in burst:
            await bob.send(text)
        for ws, who in ((ada, "Ada"), (bob, "Bob (the author)")):
            if problem := await _expect(ws, who, burst, wait):
                return [problem]
        (cyd,) = await _join(base, log, 1, wait)
        try:
            await cyd.send("Cyd joined late")
            for ws, who in ((ada, "Ada"), (bob, "Bob"), (cyd, "Cyd (who joined after the first messages)")):
                if problem := await _expect(ws, who, ["Cyd joined late"], wait):
                    return [problem + ("; a newcomer gets only the messages posted after it joined: start the "
                                       "cursor at room.last_id()" if ws is cyd else "")]
        finally:
            await cyd.close()
        await bob.close()
        await ada.send("Bob left")
        if problem := await _expect(ada, "Ada, after Bob left", ["Bob left"], wait):
            return [problem]
    finally:
        await ada.close()
        await bob.close()
    # uWSGI runs 3 threads here: a new pair can only talk if the old conversations ended.
    try:
        dee, eve = await _join(base, log, 2, wait)
    except (TimeoutError, asyncio.TimeoutError):
        return [f"after Ada, Bob and Cyd closed, a new member got no handshake within {wait:g} s: uWSGI runs 3 "
                "threads here and the old conversations still hold them. Does chat() return on OSError?"]
    try:
        await dee.send("fresh start")
        if problem := await _expect(eve, "a member of a new conversation", ["fresh start"], wait):
            return [problem]
    finally:
        await dee.close()
        await eve.close()
    return []
