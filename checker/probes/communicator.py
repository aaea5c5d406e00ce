"""Channels' ``WebsocketCommunicator``, with the headers a real browser sends, and fast answers.

The communicator runs an ASGI application in this process, without a socket: the checks of the
Channels lessons (06, 07, 08) use it to talk to a learner's consumer or ``routing.application``
in milliseconds. Two things are added here:

* ``communicator(app, path, origin=..., host=..., session=..., user=...)``: the ``Origin``,
  ``Host`` and session cookie that ``AllowedHostsOriginValidator`` and ``AuthMiddlewareStack``
  read (a browser always sends them; the bare communicator sends none), or a ``scope["user"]``
  set directly when the consumer is tested without the middleware.
* ``output(...)`` returns the application's next message, or raises the consumer's own
  exception *at once* when it crashed, where ``receive_output`` would wait out its timeout and
  then raise the exception without saying so. ``handshake(...)`` tells accepted, refused (with
  the close code) and never answered apart.

All of these are coroutines or take explicit timeouts: a check passes ``ctx.timeout(...)``.
"""

from __future__ import annotations

import asyncio
import contextlib


class NeverAnswered(TimeoutError):
    """The application neither accepted nor refused the handshake in time."""


class Ended(Exception):
    """The application returned without sending anything."""


class Unexpected(Exception):
    """The application sent something else than what the protocol allows here (``args[0]``)."""


def communicator(app, path: str, *, user=None, origin: str | None = None, host: str | None = None,
                 session: str | None = None, cookie_name: str = "sessionid"):
    """A ``WebsocketCommunicator`` for ``path`` with an ``Origin``, a ``Host`` and a session cookie.

    ``user`` (a Django user or ``AnonymousUser``) goes straight into ``scope["user"]``, for an
    application without ``AuthMiddlewareStack``.
    """
    from channels.testing import WebsocketCommunicator

    headers = []
    if host:
        headers.append((b"host", host.encode()))
    if origin:
        headers.append((b"origin", origin.encode()))
    if session:
        headers.append((b"cookie", f"{cookie_name}={session}".encode()))
    talk = WebsocketCommunicator(app, path, headers=headers)
    if user is not None:
        talk.scope["user"] = user
    return talk


async def output(talk, timeout: float) -> dict:
    """The application's next ASGI message; its exception (with its traceback) if it crashed first.

    ``TimeoutError`` when nothing came within ``timeout`` seconds, ``Ended`` when the
    application returned without sending anything.
    """
    app = talk.future
    if not talk.output_queue.empty():
        return talk.output_queue.get_nowait()
    getter = asyncio.ensure_future(talk.output_queue.get())
    done, _ = await asyncio.wait({getter, app}, timeout=timeout, return_when=asyncio.FIRST_COMPLETED)
    if getter in done:
        return getter.result()
    getter.cancel()
    if app in done:
        if not talk.output_queue.empty():
            return talk.output_queue.get_nowait()
        app.result()  # the application's exception, with its traceback
        raise Ended("the application ended without sending anything")
    raise TimeoutError


async def handshake(talk, timeout: float) -> tuple[bool, object]:
    """Send ``websocket.connect``: ``(True, subprotocol)`` if accepted, ``(False, close code)`` if refused.

    A refusal is a ``websocket.close`` *before* any accept (Daphne turns it into HTTP 403 and the
    client never sees the code). ``NeverAnswered`` if neither came within ``timeout``; ``Unexpected``
    if something else came first (a frame sent before accepting).
    """
    await talk.send_input({"type": "websocket.connect"})
    try:
        response = await output(talk, timeout)
    except TimeoutError:
        raise NeverAnswered from None
    if response["type"] == "websocket.close":
        return False, response.get("code", 1000)
    if response["type"] != "websocket.accept":
        raise Unexpected(response)
    return True, response.get("subprotocol")


async def close(*talks, timeout: float) -> None:
    """Disconnect each communicator that still runs (one that crashed is left as it is)."""
    for talk in talks:
        future = getattr(talk, "_future", None)
        if future is None or future.done():
            continue  # never started, or already ended (re-raising its exception would hide its origin)
        with contextlib.suppress(BaseException):
            await talk.disconnect(timeout=timeout)
