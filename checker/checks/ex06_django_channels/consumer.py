"""Ring 2, the consumer alone through Channels' communicator: the in-memory channel layer of this
process, ``scope["user"]`` set by the check, one behaviour per check.
"""

from __future__ import annotations

from checker.api import CheckFailed, Context
from checker.expect import see
from checker.probes import db

from .chat import Participant, anonymous, consumer_app, fresh_layer, leave
from .functions import invalid_inputs
from .support import (LONG_SCENARIO, OTHER_ROOM, RECV, REFUSE_ANONYMOUS, REFUSE_UNKNOWN_ROOM, ROOM, UNKNOWN_ROOM,
                      classic, env, expect_message, run, where)

GROUPS = "5. Channels, groups and channel layers"  # the lesson section a group mistake points to

def check_connect_accepts(ctx: Context) -> None:
    consumers, users = env(ctx)
    app = consumer_app(consumers)

    async def scenario():
        layer = await fresh_layer()
        alice = Participant(ctx, app, "alice (logged in) connecting to lobby", user=users["alice"])
        try:
            ctx.step("alice connects to /ws/chat/lobby/")
            history = await alice.join()
            if history:
                raise CheckFailed(f"the history of an empty room should be [], got {history!r:.200}.")
            if not any(members for members in layer.groups.values()):
                raise CheckFailed("alice was accepted but her channel joined no group; expected it in the room's "
                                  "group once connect() lets her in. " + see("06", GROUPS))
        finally:
            await leave(ctx, alice)

    run(ctx, scenario)


def check_connect_refuses(ctx: Context) -> None:
    consumers, users = env(ctx)
    app = consumer_app(consumers)
    cases = [(UNKNOWN_ROOM, users["alice"], "alice connecting to the unknown room 'kitchen'", REFUSE_UNKNOWN_ROOM),
             (ROOM, anonymous(), "an anonymous user connecting to lobby", REFUSE_ANONYMOUS)]

    async def scenario():
        layer = await fresh_layer()
        for room, user, who, code in cases:
            ctx.step(who)
            visitor = Participant(ctx, app, who, room, user=user)
            accepted, detail = await visitor.handshake()
            if accepted:
                closed = await _closed_after_accept(visitor)
                await leave(ctx, visitor)
                later = f" and then closed it with code {closed}" if closed is not None else ""
                raise CheckFailed(f"{who} was accepted{later}; refuse it instead: `await self.close(code={code})` "
                                  "*before* accept(), so the handshake itself fails (the browser gets HTTP 403).")
            if detail != code:
                raise CheckFailed(f"{who} was refused with close code {detail}; the lesson asks for {code} "
                                  f"(`await self.close(code={code})`: {REFUSE_UNKNOWN_ROOM} for an unknown room, "
                                  f"{REFUSE_ANONYMOUS} for a visitor who is not logged in).")
            joined = [g for g, members in layer.groups.items() if members]
            if joined:
                raise CheckFailed(f"{who} was refused but a channel stayed in the group(s) {joined}: check the room "
                                  "and the user before group_add.")
            ctx.step(f"{who}: the socket goes away (disconnect after a refused handshake)")
            try:
                await visitor.talk.disconnect(timeout=ctx.timeout(RECV))
            except NotImplementedError:
                raise
            except Exception as exc:  # noqa: BLE001
                raise CheckFailed(f"disconnect() crashed after a refused connection with {type(exc).__name__}: {exc}. "
                                  "self.group is still None then: only group_discard when you joined."
                                  + where(ctx, exc)) from None

    run(ctx, scenario)


async def _closed_after_accept(visitor: Participant):
    """The close code the consumer sent right after accepting, if it did."""
    from checker.probes import communicator as comm

    for _ in range(3):
        try:
            output = await comm.output(visitor.talk, visitor.wait() / 3)
        except Exception:  # noqa: BLE001 - nothing more came, or the consumer crashed
            return None
        if output["type"] == "websocket.close":
            return output.get("code", 1000)
    return None


def check_history(ctx: Context) -> None:
    consumers, users = env(ctx)
    from chat.models import HISTORY_SIZE, Message

    ctx.step(f"storing {HISTORY_SIZE + 5} messages in lobby and 3 in python with the ORM")

    def store():
        Message.objects.bulk_create([Message(room=ROOM, author="bob", text=f"old {i}") for i in range(HISTORY_SIZE + 5)])
        Message.objects.bulk_create([Message(room=OTHER_ROOM, author="carol", text=f"elsewhere {i}") for i in range(3)])
        return [m.as_dict() for m in Message.objects.filter(room=ROOM).order_by("id")][-HISTORY_SIZE:]

    expected = db.run(store, timeout=ctx.timeout(10))
    app = consumer_app(consumers)

    async def scenario():
        await fresh_layer()
        alice = Participant(ctx, app, "alice connecting to lobby", user=users["alice"])
        try:
            ctx.step("alice connects to lobby and waits for the history")
            return await alice.join()
        finally:
            await leave(ctx, alice)

    got = run(ctx, scenario)
    texts = [m.get("text") if isinstance(m, dict) else m for m in got]
    want = [m["text"] for m in expected]
    if texts != want:
        rooms = {m.get("room") for m in got if isinstance(m, dict)}
        why = (" (messages of another room slipped in: filter by room)" if OTHER_ROOM in rooms else
               " (they look newest first: reverse them)" if texts == want[::-1] else
               f" (send the last HISTORY_SIZE={HISTORY_SIZE}, oldest first)" if len(texts) != len(want) else "")
        raise CheckFailed(f"the history had texts {texts[:4]}...{texts[-2:]} ({len(texts)} messages); expected "
                          f"{want[:2]}...{want[-2:]} ({len(want)}){why}.")
    if got[0] != expected[0]:
        raise CheckFailed(f"a history entry was {got[0]!r:.200}; expected Message.as_dict(): {expected[0]!r:.200}.")


def check_broadcast(ctx: Context) -> None:
    consumers, users = env(ctx)
    app = consumer_app(consumers)

    async def scenario():
        await fresh_layer()
        alice = Participant(ctx, app, "alice", user=users["alice"])
        bob = Participant(ctx, app, "bob", user=users["bob"])
        carol = Participant(ctx, app, "carol (in the room python)", OTHER_ROOM, user=users["carol"])
        try:
            for member in (alice, bob, carol):
                ctx.step(f"{member.who} connects")
                await member.join()
            ctx.step('alice sends {"type": "message", "text": " hello lobby "}')
            await alice.send({"type": "message", "text": " hello lobby "})
            expect_message(await alice.frame("her message back from the group"), "alice (the sender)", "alice",
                           "hello lobby")
            try:
                frame = await bob.frame("alice's message to lobby")
            except CheckFailed:
                raise CheckFailed("alice got her message back but bob, in the same room, got nothing; expected "
                                  "everyone in the room to get it. Who does your receive() send it to? "
                                  + see("06", GROUPS)) from None
            expect_message(frame, "bob", "alice", "hello lobby")
            await carol.nothing("alice wrote to lobby: only the room's group hears it")
            ctx.step('bob sends {"type": "message", "text": "hi", "author": "mallory"}')
            await bob.send({"type": "message", "text": "hi", "author": "mallory"})
            for member in (alice, bob):
                frame = await member.frame("bob's message")
                if isinstance(frame, dict) and frame.get("author") == "mallory":
                    raise CheckFailed("bob sent \"author\": \"mallory\" and the room saw mallory: the author must be "
                                      "self.scope[\"user\"].username, never what the browser sends.")
                expect_message(frame, member.who, "bob", "hi")
        finally:
            await leave(ctx, alice, bob, carol)

    run(ctx, scenario)
    from chat.models import Message

    stored = db.run(lambda: list(Message.objects.filter(room=ROOM).values_list("author", "text")), timeout=ctx.timeout(10))
    if stored != [("alice", "hello lobby"), ("bob", "hi")]:
        raise CheckFailed(f"the database holds {stored} for lobby; expected [('alice', 'hello lobby'), ('bob', 'hi')]: "
                          "store each message with save_message before broadcasting it.")


def check_bad_input(ctx: Context) -> None:
    consumers, users = env(ctx)
    app = consumer_app(consumers)
    inputs = [(b"\x00\x01binary", "a binary frame")] + [(raw, what) for raw, what in invalid_inputs(consumers.MAX_LENGTH)
                                                          if raw is not None]

    async def scenario():
        await fresh_layer()
        alice = Participant(ctx, app, "alice", user=users["alice"])
        bob = Participant(ctx, app, "bob", user=users["bob"])
        try:
            for member in (alice, bob):
                await member.join()
            for raw, what in inputs:
                ctx.step(f"alice sends {what}")
                await (alice.send(binary=raw) if isinstance(raw, bytes) else alice.send(text=raw))
                try:
                    frame = await alice.frame(f"an error answer to {what}")
                except (CheckFailed, NotImplementedError):
                    raise
                except Exception as exc:  # noqa: BLE001 - the consumer crashed on bad input
                    named = classic(f"{type(exc).__name__}: {exc}")
                    raise CheckFailed(named + where(ctx, exc) if named else
                                      f"the consumer crashed on {what} ({raw!r:.60}) with {type(exc).__name__}: {exc}. "
                                      "Answer {\"type\": \"error\", \"error\": \"...\"} and keep the socket open."
                                      + where(ctx, exc)) from None
                if not isinstance(frame, dict) or frame.get("type") != "error" or not str(frame.get("error", "")).strip():
                    raise CheckFailed(f"alice sent {what} ({raw!r:.60}) and got {frame!r:.200}; expected "
                                      "{\"type\": \"error\", \"error\": \"<what was wrong>\"}.")
            await bob.nothing("every frame alice sent was invalid: errors go to the sender only")
            ctx.step("alice sends a valid message after all that")
            await alice.send({"type": "message", "text": "still here"})
            expect_message(await bob.frame("alice's valid message after her bad ones"), "bob", "alice", "still here")
        finally:
            await leave(ctx, alice, bob)

    run(ctx, scenario, timeout=LONG_SCENARIO)


def check_disconnect(ctx: Context) -> None:
    consumers, users = env(ctx)
    app = consumer_app(consumers)

    async def scenario():
        layer = await fresh_layer()
        alice = Participant(ctx, app, "alice", user=users["alice"])
        bob = Participant(ctx, app, "bob", user=users["bob"])
        try:
            ctx.step("alice connects")
            await alice.join()
            joined = {g: set(members) for g, members in layer.groups.items() if members}
            if not joined:
                raise CheckFailed("alice's channel joined no group in connect(): call group_add.")
            group, channels = next(iter(joined.items()))
            alice_channel = next(iter(channels))
            ctx.step("bob connects")
            await bob.join()
            ctx.step("alice disconnects")
            try:
                await alice.talk.disconnect(timeout=ctx.timeout(RECV))
            except NotImplementedError:
                raise
            except TimeoutError:
                raise CheckFailed(f"disconnect() did not return within {ctx.timeout(RECV):g} s.") from None
            still = [g for g, members in layer.groups.items() if alice_channel in members]
            if still:
                raise CheckFailed(f"after alice disconnected her channel is still in the group(s) {still}; expected "
                                  "disconnect() to take it out, or the room keeps sending to a channel nobody reads. "
                                  + see("06", GROUPS))
            ctx.step("group_send to the room after alice left")
            await layer.group_send(group, {"type": "chat.message", "message": {
                "id": 0, "room": ROOM, "author": "checker", "text": "after alice left", "created": ""}})
            expect_message(await bob.frame("a message to the room after alice left"), "bob", "checker",
                           "after alice left")
            if layer.channels.get(alice_channel):
                raise CheckFailed("a message to the room was queued for alice's channel after she left.")
        finally:
            await leave(ctx, alice, bob)

    run(ctx, scenario)
