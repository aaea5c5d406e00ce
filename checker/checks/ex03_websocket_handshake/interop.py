"""Ring "server", interoperability: the lesson's server running the learner's code, and a client
nobody here wrote (the ``websockets`` library).

- ``websockets_client``: echo of every length boundary (text and binary), a fragmented message,
  ping/pong, the close handshake with 4001 and 1000, and two clients chatting on /chat.

The server comes from the lesson's launcher (``lessons/03-websocket-handshake/launch.py``) once
per grading process; ``raise_server_error`` reports an exception the learner's code raised in it.
"""

from __future__ import annotations

import asyncio
import importlib.util
import os

from checker.api import CheckFailed, Context
from checker.probes import ws
from workshop import learner as learner_support
from workshop.launch import Ports

from .support import learner_line

LENGTHS = [0, 1, 125, 126, 127, 1000, 65535, 65536, 70000, 300_000]
WAIT = 3  # seconds for one answer (scaled)
SESSION = 8  # seconds for the whole session (scaled by ctx.run_async)
READY = 10  # seconds for the server to listen (scaled)


# ---- the check -------------------------------------------------------------------------


def check_websockets_client(ctx: Context) -> None:
    server = lesson_server(ctx)
    ctx.step(f"the websockets library's client talks to {server.ws_url('/echo')} and /chat")
    during = "the websockets client talked to your server"
    try:
        problems = ctx.run_async(_session, server.ws_url(""), ctx.timeout(WAIT), timeout=SESSION)
    except CheckFailed:
        raise_server_error(ctx, server, during)
        raise
    except Exception as exc:  # noqa: BLE001 - the client reports what went wrong
        raise_server_error(ctx, server, during)
        raise CheckFailed(
            f"The websockets library's client failed against your server: {type(exc).__name__}: {exc}\n"
            "Run `python -m checker serve 03` and connect with `python -m websockets ws://127.0.0.1:8000/echo` to watch it."
        ) from None
    raise_server_error(ctx, server, during)
    if problems:
        raise CheckFailed("Talking to your server with the websockets library (a client nobody here wrote):\n- " + "\n- ".join(problems))


# ---- the server, shared by this ring and the browser ring -------------------------------


def lesson_server(ctx: Context):
    """The lesson's ``ServerThread`` for the code being graded (started once, by the launcher)."""
    spec = importlib.util.spec_from_file_location("lesson03_launch", ctx.lesson_dir / "launch.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    site = ctx.resource("ex03-server", lambda: module.launch(ctx.exercise_dir, Ports.free(*module.PORTS),
                                                             ready_timeout=ctx.timeout(READY)))
    return site.extras["server"]


def raise_server_error(ctx: Context, server, during: str) -> None:
    """If the learner's code raised inside the server, report that (first) error."""
    if not server.errors:
        return
    exc = server.errors[0]
    server.errors.clear()
    if isinstance(exc, NotImplementedError):
        raise exc  # the checker says which function is still a stub
    if learner_support.learner_frame(exc.__traceback__, ctx.exercise_dir) is None:
        raise CheckFailed(f"While {during}, the server could not use what your code returned: {type(exc).__name__}: {exc}\n"
                          "The server dropped that connection. `python -m checker serve 03` prints the whole traceback.")
    raise CheckFailed(f"While {during}, your code raised {type(exc).__name__}: {exc}{learner_line(ctx, exc)}\n"
                      "The server dropped that connection. Fix that line and run the checker again.")


# ---- the client's session --------------------------------------------------------------


async def _session(base: str, wait: float) -> list[str]:
    from websockets.exceptions import ConnectionClosed

    problems: list[str] = []
    doing = ["opening a WebSocket to /echo"]
    try:
        async with ws.connect(base + "/echo", timeout=wait, max_size=None) as client:
            await _echo(client, wait, problems, doing)
            doing[0] = "closing with code 4001"
            await client.close(4001, "done here")
        if ws.closed_with(client) != 4001:
            problems.append(f"after the client sent Close 4001, the server answered {client.protocol.close_rcvd} (expected a Close echoing 4001)")
        doing[0] = "closing with code 1000"
        async with ws.connect(base + "/echo", timeout=wait) as client:
            await client.close()
        if ws.closed_with(client) != 1000:
            problems.append(f"after the client sent Close 1000, the server answered {client.protocol.close_rcvd} (expected 1000)")
        doing[0] = "chatting between two clients on /chat"
        async with ws.connect(base + "/chat", timeout=wait) as alice, ws.connect(base + "/chat", timeout=wait) as bob:
            await alice.send('{"type": "message", "name": "alice", "text": "hi bob"}')
            if await ws.recv_until(bob, lambda text: "hi bob" in text, timeout=wait, limit=4) is None:
                problems.append("on /chat, bob never received alice's message")
    except asyncio.TimeoutError:
        problems.append(f"no answer within {wait:g} s while {doing[0]}")
    except ConnectionClosed as exc:
        problems.append(f"the connection closed while {doing[0]}: {exc}")
    return problems


async def _echo(client, wait: float, problems: list[str], doing: list[str]) -> None:
    for n in LENGTHS:
        doing[0] = f"echoing a {n}-character text message"
        text = ("héllo wörld ✓ " * (n // 10 + 1))[:n]
        await client.send(text)
        got = await ws.recv(client, timeout=wait)
        if got != text:
            problems.append(f"echo of a {n}-character text message came back as {type(got).__name__} of length {len(got)} (first {got[:30]!r})")
            return
        doing[0] = f"echoing a {n}-byte binary message"
        data = os.urandom(n)
        await client.send(data)
        got = await ws.recv(client, timeout=wait)
        if got != data:
            problems.append(f"echo of a {n}-byte binary message came back as {type(got).__name__} of length {len(got)}")
            return
    doing[0] = "echoing a text message the library sent in 3 fragments"
    await client.send(["frag", "mented ", "with the library"])
    got = await ws.recv(client, timeout=wait)
    if got != "fragmented with the library":
        problems.append(f"a 3-fragment message came back as {got!r}")
    doing[0] = "waiting for the pong to a ping"
    waiter = await client.ping(b"are you alive?")
    try:
        await asyncio.wait_for(waiter, wait)
    except asyncio.TimeoutError:
        problems.append(f"a ping got no pong within {wait:g} s")
