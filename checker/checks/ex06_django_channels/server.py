"""Ring 3, real servers: the learner's ``routing.application`` on Daphne with several ``websockets``
clients, then two Daphne processes sharing a real Redis (a message sent to one reaches a client
of the other).
"""

from __future__ import annotations

import asyncio
import json

from checker.api import CheckFailed, Context
from checker.probes import db
from checker.probes.daphne import log as daphne_log

from .servers import NEVER_ANSWERED, server_says, settings_problem, site, unanswered
from .support import (FOREIGN_ORIGIN, LONG_SCENARIO, RECV, ROOM, UNKNOWN_ROOM, cookies, env, expect_message,
                      run)


def check_daphne_clients(ctx: Context) -> None:
    env(ctx)
    from chat.models import Message

    problem = settings_problem()
    if problem:
        raise CheckFailed(problem)
    db.run(lambda: Message.objects.create(room=ROOM, author="carol", text="before everyone"), timeout=ctx.timeout(10))
    sessions = cookies("alice", "bob")
    server = site(ctx).services["http"]
    daphne = Clients(ctx, server)

    async def scenario():
        try:
            ctx.step("alice (two tabs) and bob connect with the websockets library")
            for name, who in (("alice", "alice, tab 1"), ("alice", "alice, tab 2"), ("bob", "bob")):
                await daphne.join(who, sessions[name])
            (tab1, _), _, (bob, _) = daphne.open
            ctx.step("alice sends a message from tab 1")
            await tab1.send(json.dumps({"type": "message", "text": "over real sockets"}))
            for client, who in daphne.open:
                expect_message(await daphne.recv(client, who, "alice's message"), who, "alice", "over real sockets")
            ctx.step("bob sends text that is not JSON")
            await bob.send("{oops")
            answer = await daphne.recv(bob, "bob", "an error answer")
            if answer.get("type") != "error":
                raise CheckFailed(f"bob sent '{{oops' and got {answer!r:.200}; expected an error answer.")
            await bob.send(json.dumps({"type": "message", "text": "sorry"}))
            for client, who in daphne.open:
                expect_message(await daphne.recv(client, who, "bob's message"), who, "bob", "sorry")
            ctx.step("connections that must be refused at the handshake (HTTP 403)")
            await daphne.refused(ROOM, sessions["alice"], FOREIGN_ORIGIN, f"from Origin {FOREIGN_ORIGIN}",
                                 "ExactOriginValidator must refuse a page of another site (Origin rejection)")
            await daphne.refused(ROOM, None, None, "without a session cookie",
                                 "connect() must refuse a visitor who is not logged in with close(code=4401)")
            await daphne.refused(UNKNOWN_ROOM, sessions["alice"], None, "to the unknown room 'kitchen'",
                                 "connect() must refuse an unknown room with close(code=4404)")
        finally:
            await daphne.close()

    run(ctx, scenario, timeout=LONG_SCENARIO)
    stored = db.run(lambda: list(Message.objects.filter(room=ROOM).values_list("text", flat=True)),
                    timeout=ctx.timeout(10))
    if stored != ["before everyone", "over real sockets", "sorry"]:
        raise CheckFailed(f"the database holds {stored} for lobby: the messages sent through Daphne were not all "
                          "stored (save_message before group_send).")


def check_redis_layer(ctx: Context) -> None:
    env(ctx)
    sessions = cookies("alice", "bob")
    chat = site(ctx, "redis")
    first, second = Clients(ctx, chat.services["http"]), Clients(ctx, chat.services["second"])

    async def scenario():
        try:
            ctx.step("alice connects to Daphne #1, bob to Daphne #2 (same room, same Redis)")
            alice = await first.join("alice (on Daphne #1)", sessions["alice"])
            bob = await second.join("bob (on Daphne #2)", sessions["bob"])
            ctx.step("bob sends through Daphne #2")
            await bob.send(json.dumps({"type": "message", "text": "across processes"}))
            expect_message(await first.recv(alice, "alice (on Daphne #1)", "bob's message from the other process"),
                           "alice (on Daphne #1)", "bob", "across processes")
            expect_message(await second.recv(bob, "bob", "his own message"), "bob", "bob", "across processes")
            ctx.step("alice answers through Daphne #1")
            await alice.send(json.dumps({"type": "message", "text": "received"}))
            expect_message(await second.recv(bob, "bob (on Daphne #2)", "alice's answer"), "bob (on Daphne #2)",
                           "alice", "received")
        finally:
            await first.close()
            await second.close()

    run(ctx, scenario, timeout=LONG_SCENARIO)


class Clients:
    """``websockets`` clients of one Daphne process; failures quote what its log says."""

    def __init__(self, ctx: Context, server):
        self.ctx, self.server = ctx, server
        self.open: list = []  # (client, who)

    async def connect(self, room: str, session: str | None, origin: str | None = None):
        from websockets.asyncio.client import connect

        headers = {"Cookie": f"sessionid={session}"} if session else {}
        return await connect(f"ws://127.0.0.1:{self.server.port}/ws/chat/{room}/",
                             origin=origin or f"http://127.0.0.1:{self.server.port}", additional_headers=headers,
                             open_timeout=self.ctx.timeout(RECV * 3))

    async def join(self, who: str, session: str | None):
        """Connect ``who`` to the lobby and read the history."""
        from websockets.exceptions import InvalidStatus

        try:
            client = await self.connect(ROOM, session)
        except InvalidStatus as refused:
            says = server_says(self.server)
            note = "" if "Lesson 06:" in daphne_log(self.server) else self._status_note(refused.response.status_code)
            raise CheckFailed(f"Daphne refused {who} with HTTP {refused.response.status_code}.{note}{says}") from None
        except Exception as exc:  # noqa: BLE001 - no HTTP answer at all (a timeout, a dropped connection)
            if unanswered(self.server) or isinstance(exc, TimeoutError):
                raise CheckFailed(f"{who}: {NEVER_ANSWERED}") from None
            raise CheckFailed(f"{who} could not connect to Daphne ({type(exc).__name__}: {exc})."
                              f"{server_says(self.server)}") from None
        self.open.append((client, who))
        history = await self.recv(client, who, "the history")
        if history.get("type") != "history":
            raise CheckFailed(f"{who}'s first frame was {history!r:.200}; expected the history.")
        return client

    @staticmethod
    def _status_note(status: int) -> str:
        if status == 404:
            return ("\nA 404 for /ws/ means a WSGI server answered: daphne missing from INSTALLED_APPS "
                    "(runserver is then Django's).")
        if status == 403:
            return ("\n403 is a refused handshake: a close() before accept() in connect(), or the Origin check "
                    "(ExactOriginValidator: the Origin must be the site's own, scheme, host and port).")
        return ""

    async def recv(self, client, who: str, waiting_for: str) -> dict:
        from websockets.exceptions import ConnectionClosed

        wait = self.ctx.timeout(RECV * 2)
        try:
            text = await asyncio.wait_for(client.recv(), wait)
        except TimeoutError:
            raise CheckFailed(f"{who} waited {wait:g} s for {waiting_for}; nothing came."
                              f"{server_says(self.server)}") from None
        except ConnectionClosed as closed:
            raise CheckFailed(f"{who}'s connection closed ({closed}) while waiting for {waiting_for}."
                              f"{server_says(self.server)}") from None
        try:
            return json.loads(text)
        except (TypeError, ValueError):
            raise CheckFailed(f"{who} got a frame that is not JSON text: {text!r:.120}") from None

    async def refused(self, room: str, session: str | None, origin: str | None, why: str, rule: str) -> None:
        """A handshake that must be refused: HTTP 403 (a close before accept), no WebSocket at all."""
        from websockets.exceptions import ConnectionClosed, InvalidStatus

        try:
            client = await self.connect(room, session, origin)
        except InvalidStatus as refused:
            if refused.response.status_code != 403:
                raise CheckFailed(f"a connection {why} was answered HTTP {refused.response.status_code}; expected "
                                  f"403 (refused at the handshake).{server_says(self.server)}") from None
            return
        except TimeoutError:
            raise CheckFailed(f"a connection {why}: {NEVER_ANSWERED}") from None
        code = None
        try:
            await asyncio.wait_for(client.recv(), self.ctx.timeout(RECV / 2))
        except ConnectionClosed as closed:
            code = closed.rcvd.code if closed.rcvd else None
        except TimeoutError:
            pass
        await client.close()
        later = f" and then closed it with code {code}" if code else ""
        raise CheckFailed(f"Daphne accepted a connection {why}{later}; it must be refused at the handshake, "
                          f"before accept() (the client then gets HTTP 403): {rule}.")

    async def close(self) -> None:
        for client, _ in self.open:
            await client.close()
