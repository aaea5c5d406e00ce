"""One chat participant talking to the learner's consumer through Channels' communicator (no socket).

``Participant`` turns what the consumer sends into messages for the learner: who waited for
what, what came instead, and which classic error it was. Every wait is ``ctx.timeout(RECV)``.
"""

from __future__ import annotations

import json

from checker.api import CheckFailed, Context
from checker.probes import communicator as comm

from .support import RECV, ROOM


def consumer_app(consumers):
    """The learner's consumer behind a router of our own (the routing is checked separately)."""
    from channels.routing import URLRouter
    from django.urls import re_path

    return URLRouter([re_path(r"^ws/chat/(?P<room>[^/]+)/$", consumers.ChatConsumer.as_asgi())])


def anonymous():
    from django.contrib.auth.models import AnonymousUser

    return AnonymousUser()


async def fresh_layer():
    """This process's (in-memory) channel layer, emptied."""
    from channels.layers import get_channel_layer

    layer = get_channel_layer()
    await layer.flush()
    return layer


class Participant:
    """``who`` connected (or connecting) to ``path`` of ``app``; the communicator is ``.talk``."""

    def __init__(self, ctx: Context, app, who: str, room: str = ROOM, *, user=None, path: str | None = None,
                 **headers):
        self.ctx, self.who = ctx, who
        self.talk = comm.communicator(app, path or f"/ws/chat/{room}/", user=user, **headers)

    def wait(self) -> float:
        return self.ctx.timeout(RECV)

    async def handshake(self) -> tuple[bool, object]:
        """(accepted, close code); fails kindly for a frame before accept or no answer at all."""
        try:
            return await comm.handshake(self.talk, self.wait())
        except comm.NeverAnswered:
            raise CheckFailed(f"{self.who}: connect() never answered: it neither accepted nor refused the connection "
                              f"within {self.wait():g} s. Call `await self.accept()` (or `await self.close(code=...)` "
                              "to refuse).") from None
        except comm.Unexpected as early:
            raise CheckFailed(f"connect() sent {early.args[0]!r:.200} before accepting or refusing the connection: "
                              "call `await self.accept()` first (or `await self.close(...)` to refuse).") from None
        except comm.Ended:
            raise CheckFailed(f"{self.who}: the consumer ended without accepting or refusing (did connect() "
                              "return early?).") from None

    async def connect(self) -> None:
        accepted, code = await self.handshake()
        if not accepted:
            raise CheckFailed(f"{self.who} was refused (close code {code}); a logged-in user in a known room should "
                              "be accepted.")

    async def frame(self, waiting_for: str) -> dict:
        """The next JSON frame the consumer sends."""
        try:
            output = await comm.output(self.talk, self.wait())
        except TimeoutError:
            raise CheckFailed(f"{self.who} waited {self.wait():g} s for {waiting_for}; nothing came.") from None
        except comm.Ended:
            raise CheckFailed(f"the consumer ended while {self.who} waited for {waiting_for} (did a method "
                              "return early?).") from None
        if output["type"] == "websocket.close":
            raise CheckFailed(f"{self.who}'s socket was closed (code {output.get('code')}) while waiting for "
                              f"{waiting_for}.")
        if output["type"] == "websocket.accept":
            raise CheckFailed(f"{self.who}'s connection was accepted twice: call `await self.accept()` once, after "
                              "deciding to let the connection in (a refusal is a close() *before* accept()).")
        if output["type"] != "websocket.send" or output.get("text") is None:
            raise CheckFailed(f"{self.who} got {output!r:.200} while waiting for {waiting_for}; expected a JSON text "
                              "frame (self.send_json).")
        try:
            return json.loads(output["text"])
        except ValueError:
            raise CheckFailed(f"{self.who} got a text frame that is not JSON: {output['text']!r:.120}") from None

    async def history(self) -> list:
        first = await self.frame('the history ({"type": "history", "messages": [...]}) after connecting')
        if not isinstance(first, dict) or first.get("type") != "history" or not isinstance(first.get("messages"), list):
            raise CheckFailed(f"the first frame {self.who} received was {first!r:.200}; expected "
                              '{"type": "history", "messages": [...]} right after accept().')
        return first["messages"]

    async def join(self) -> list:
        """Connect and read the history (what every participant does first)."""
        await self.connect()
        return await self.history()

    async def nothing(self, why: str) -> None:
        """Fail if a frame arrives within a short (scaled) while: ``why`` says why none should."""
        if not await self.talk.receive_nothing(timeout=self.ctx.timeout(RECV / 6)):
            output = await self.talk.receive_output(timeout=self.wait())
            raise CheckFailed(f"{self.who} received {output.get('text') or output!r:.200} but {why}.")

    async def send(self, content=None, *, text: str | None = None, binary: bytes | None = None) -> None:
        if content is not None:
            await self.talk.send_json_to(content)
        else:
            await self.talk.send_to(text_data=text, bytes_data=binary)


async def leave(ctx: Context, *participants: Participant) -> None:
    await comm.close(*(p.talk for p in participants), timeout=ctx.timeout(RECV / 2))
