"""Checks for lesson 06 (Django Channels): the consumer, the routing, real Daphne, Chromium, Redis.

Four rings, from the inside out:

1. ``parse_message`` and ``group_name`` as plain functions.
2. The consumer alone, through Channels' ``WebsocketCommunicator`` (no sockets; the in-memory
   channel layer of this process; ``scope["user"]`` set by the check), one behaviour per check.
3. The learner's ``routing.application`` through the communicator: Origin, session, routing.
4. Real servers: Daphne with several ``websockets`` clients, two Chromium pages chatting, and two
   Daphne processes sharing a real Redis (a message sent to one reaches a client of the other).

Every server shares this grading process's SQLite file (``WORKSHOP_CHAT_DB``), so users and
sessions created here are known to all of them.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import threading
import traceback
from concurrent.futures import ThreadPoolExecutor

from checker.checks import register
from checker.api import CheckFailed, Context
from workshop import learner

ROOM = "lobby"
OTHER_ROOM = "python"
UNKNOWN_ROOM = "kitchen"
FOREIGN_ORIGIN = "http://evil.example"
RECV = 1.0  # seconds to wait for a frame the consumer should send

# Errors learners meet in their first Channels app: (what the error text contains, what to say).
CLASSIC_ERRORS = [
    ("SynchronousOnlyOperation",
     "SynchronousOnlyOperation: the ORM was used from async code. Call the database functions through "
     "database_sync_to_async: `await database_sync_to_async(recent_messages)(room)`, and return a list from "
     "them (a QuerySet runs its SQL later, when iterated, back in async code)."),
    ("No handler for message type",
     "\"No handler for message type\": group_send's event {\"type\": \"chat.message\", ...} is delivered by "
     "calling the method chat_message (dots become underscores). Is the method missing, misspelt, or is the "
     "type different?"),
    ("name must be a valid unicode string",
     "invalid group name: group names must be ASCII letters, digits, '-', '_' or '.', under 100 characters "
     "(\"chat.lobby\" works; \"chat:lobby\" or \"chat lobby\" do not). Fix group_name()."),
    ("No route found for path",
     "\"No route found for path\": no pattern in websocket_urlpatterns matched /ws/chat/lobby/. Patterns are "
     "matched without the leading slash: r\"^ws/chat/(?P<room>[^/]+)/$\"."),
    ("can't be used in 'await' expression",
     "a consumer class was routed instead of an ASGI application: write ChatConsumer.as_asgi() in "
     "websocket_urlpatterns (the forgotten .as_asgi())."),
    ("object has no attribute 'group_",
     "the channel layer is None: self.channel_layer is only set when CHANNEL_LAYERS is configured (it is, in "
     "chatsite/settings.py). Use self.channel_layer in the consumer rather than a layer of your own."),
    ("NoneType' object has no attribute 'send'",
     "the channel layer is None: self.channel_layer is only set when CHANNEL_LAYERS is configured."),
    ("is not JSON serializable",
     "something that is not JSON went to send_json: return plain dicts from recent_messages/save_message "
     "(Message.as_dict()), in a list, not model instances or a QuerySet."),
    ("Error 111 connecting",
     "Redis refused the connection: is the Redis server running at WORKSHOP_REDIS_URL?"),
]


# Playwright's sync API leaves an event loop running in this thread, and Django refuses ORM calls
# from a thread with a running loop (SynchronousOnlyOperation). The checks' own database work
# therefore runs on a thread of its own.
_DB_THREAD = ThreadPoolExecutor(max_workers=1, thread_name_prefix="checks-orm")


def _db(function, *args):
    return _DB_THREAD.submit(function, *args).result(timeout=10)


def _classic(text: str) -> str | None:
    for needle, advice in CLASSIC_ERRORS:
        if needle in text:
            return advice
    return None


def _where(ctx: Context, exc: BaseException) -> str:
    frame = learner.learner_frame(exc.__traceback__, ctx.exercise_dir)
    return f"\n{learner.describe_frame(frame)}" if frame else ""


def _run(ctx: Context, coroutine_function, *args, timeout: float = 5.0):
    """``ctx.run_async`` that names the classic Channels errors when the learner's code hits one."""
    try:
        return ctx.run_async(coroutine_function, *args, timeout=timeout)
    except (CheckFailed, NotImplementedError):
        raise
    except Exception as exc:  # noqa: BLE001 - turned into a message for the learner
        named = _classic(f"{type(exc).__name__}: {exc}")
        if named:
            raise CheckFailed(named + _where(ctx, exc)) from None
        if learner.learner_frame(exc.__traceback__, ctx.exercise_dir) is not None:
            raise  # the engine shows the learner's line
        frames = traceback.extract_tb(exc.__traceback__)
        if frames and "site-packages" in frames[-1].filename:  # raised by Channels/Django on the learner's behalf
            raise CheckFailed(f"the connection failed with {type(exc).__name__}: {exc}") from None
        raise  # a bug in the check: the engine reports it as one


# -- Django, the database, the in-memory layer -----------------------------------------------
@contextlib.contextmanager
def _django_setup():
    from django.conf import settings

    from chatsite.setup import ensure_schema

    _db(ensure_schema)
    if "InMemory" not in settings.CHANNEL_LAYERS["default"]["BACKEND"]:
        # WORKSHOP_REDIS_URL was set in this shell: the communicator checks use the in-memory layer.
        from channels.layers import channel_layers

        settings.CHANNEL_LAYERS = {"default": {"BACKEND": "channels.layers.InMemoryChannelLayer"}}
        channel_layers._reset_backends("CHANNEL_LAYERS")
    from chat.accounts import get_or_create_user

    users = {name: _db(get_or_create_user, name) for name in ("alice", "bob", "carol")}
    yield {"users": users, "db": str(settings.DATABASES["default"]["NAME"])}


def _env(ctx: Context):
    """(consumers, users): the learner's module and three users, with an empty message table."""
    env = ctx.resource("django", _django_setup)
    consumers = ctx.import_learner("consumers")
    from chat.models import Message

    _db(lambda: Message.objects.all().delete())
    return consumers, env["users"]


def _anonymous():
    from django.contrib.auth.models import AnonymousUser

    return AnonymousUser()


def _consumer_app(consumers):
    """The learner's consumer behind a router of our own (the routing is checked separately)."""
    from channels.routing import URLRouter
    from django.urls import re_path

    consumer = consumers.ChatConsumer
    return URLRouter([re_path(r"^ws/chat/(?P<room>[^/]+)/$", consumer.as_asgi())])


def _communicator(app, room: str, user):
    from channels.testing import WebsocketCommunicator

    communicator = WebsocketCommunicator(app, f"/ws/chat/{room}/")
    communicator.scope["user"] = user
    return communicator


async def _layer():
    from channels.layers import get_channel_layer

    layer = get_channel_layer()
    await layer.flush()
    return layer


async def _output(communicator, timeout: float = RECV) -> dict:
    """The consumer's next ASGI message, like ``receive_output`` but without waiting out the timeout
    when the consumer has already crashed: its exception is raised at once."""
    app = communicator.future
    if not communicator.output_queue.empty():
        return communicator.output_queue.get_nowait()
    getter = asyncio.ensure_future(communicator.output_queue.get())
    done, _ = await asyncio.wait({getter, app}, timeout=timeout, return_when=asyncio.FIRST_COMPLETED)
    if getter in done:
        return getter.result()
    getter.cancel()
    if app in done:
        if not communicator.output_queue.empty():
            return communicator.output_queue.get_nowait()
        app.result()  # the consumer's exception, with its traceback
        raise CheckFailed("the consumer ended without sending anything (did a method return early?).")
    raise TimeoutError


async def _handshake(communicator) -> tuple[bool, object]:
    """(accepted, close code): ``WebsocketCommunicator.connect`` with a fast failure."""
    await communicator.send_input({"type": "websocket.connect"})
    response = await _output(communicator)
    if response["type"] == "websocket.close":
        return False, response.get("code", 1000)
    if response["type"] != "websocket.accept":
        raise CheckFailed(f"connect() sent {response!r:.200} before accepting or refusing the connection: "
                          "call `await self.accept()` first (or `await self.close(...)` to refuse).")
    return True, response.get("subprotocol")


async def _connect(communicator, who: str) -> None:
    try:
        accepted, detail = await _handshake(communicator)
    except (asyncio.TimeoutError, TimeoutError):
        raise CheckFailed(f"{who}: connect() neither accepted nor refused the connection within {RECV:g} s. "
                          "Call `await self.accept()` (or `await self.close(...)` to refuse).") from None
    if not accepted:
        raise CheckFailed(f"{who} was refused (close code {detail}); a logged-in user in a known room should be "
                          "accepted.")


async def _frame(communicator, who: str, waiting_for: str) -> dict:
    """The next JSON frame the consumer sends to ``who``."""
    try:
        output = await _output(communicator)
    except (asyncio.TimeoutError, TimeoutError):
        raise CheckFailed(f"{who} waited {RECV:g} s for {waiting_for}; nothing came.") from None
    if output["type"] == "websocket.close":
        raise CheckFailed(f"{who}'s socket was closed (code {output.get('code')}) while waiting for {waiting_for}.")
    if output["type"] != "websocket.send" or output.get("text") is None:
        raise CheckFailed(f"{who} got {output!r:.200} while waiting for {waiting_for}; expected a JSON text frame "
                          "(self.send_json).")
    try:
        return json.loads(output["text"])
    except ValueError:
        raise CheckFailed(f"{who} got a text frame that is not JSON: {output['text']!r:.120}") from None


async def _history(communicator, who: str) -> list:
    first = await _frame(communicator, who, 'the history ({"type": "history", "messages": [...]}) after connecting')
    if not isinstance(first, dict) or first.get("type") != "history" or not isinstance(first.get("messages"), list):
        raise CheckFailed(f"the first frame {who} received was {first!r:.200}; expected "
                          '{"type": "history", "messages": [...]} right after accept().')
    return first["messages"]


async def _nothing(communicator, who: str, why: str) -> None:
    if not await communicator.receive_nothing(timeout=0.15):
        output = await communicator.receive_output(0.1)
        raise CheckFailed(f"{who} received {output.get('text') or output!r:.200} but {why}.")


async def _close(*communicators) -> None:
    for communicator in communicators:
        future = getattr(communicator, "_future", None)
        if future is None or future.done():
            continue  # never started, or already ended (re-raising its exception would hide where it came from)
        with contextlib.suppress(BaseException):
            await communicator.disconnect(timeout=0.5)


def _expect_message(frame: dict, who: str, author: str, text: str, room: str = ROOM) -> None:
    if not isinstance(frame, dict) or frame.get("type") != "message":
        raise CheckFailed(f"{who} received {frame!r:.200}; expected {{\"type\": \"message\", ...}} "
                          "(chat_message forwards {\"type\": \"message\", **event[\"message\"]}).")
    wrong = {k: frame.get(k) for k, v in (("author", author), ("text", text), ("room", room)) if frame.get(k) != v}
    if wrong or not isinstance(frame.get("id"), int):
        raise CheckFailed(f"{who} received {frame!r:.200}; expected author {author!r}, text {text!r}, room {room!r} "
                          "and the stored message's id (the dict from save_message).")


# -- 1. plain functions -------------------------------------------------------------------------
VALID = [
    ('{"type": "message", "text": "hello"}', "hello"),
    ('{"type": "message", "text": "  padded  "}', "padded"),
    ('{"text": "ünïcode 👋", "type": "message", "extra": 1}', "ünïcode 👋"),
]


def _invalid_inputs(limit: int) -> list[tuple[object, str]]:
    return [
        (None, "a binary frame (text_data is None)"),
        ("hello", "text that is not JSON"),
        ("[1, 2, 3]", "a JSON array"),
        ('"hello"', "a JSON string"),
        ('{"text": "hi"}', "no type"),
        ('{"type": "shout", "text": "hi"}', "another type"),
        ('{"type": "message"}', "no text"),
        ('{"type": "message", "text": 42}', "a number as text"),
        ('{"type": "message", "text": null}', "null as text"),
        ('{"type": "message", "text": "   "}', "only spaces"),
        (json.dumps({"type": "message", "text": "x" * (limit + 1)}), f"{limit + 1} characters"),
    ]


def check_plain_functions(ctx: Context) -> None:
    consumers = ctx.import_learner("consumers")
    from channels.layers import InMemoryChannelLayer

    ctx.step("group_name('lobby') and group_name('python')")
    names = {room: consumers.group_name(room) for room in ("lobby", "python", "django")}
    for room, name in names.items():
        try:
            InMemoryChannelLayer().require_valid_group_name(name)
        except TypeError:
            raise CheckFailed(f"group_name({room!r}) returned {name!r}: {_classic('name must be a valid unicode string')}"
                              ) from None
    if len(set(names.values())) != len(names):
        raise CheckFailed(f"group_name gave {names}; each room needs a group of its own.")
    limit = consumers.MAX_LENGTH
    for raw, expected in VALID + [(json.dumps({"type": "message", "text": "y" * limit}), "y" * limit)]:
        ctx.step(f"parse_message({raw!r:.60})")
        got = consumers.parse_message(raw)
        if got != expected:
            raise CheckFailed(f"parse_message({raw!r:.80}) returned {got!r:.80}; expected {expected!r:.80} "
                              "(the text, stripped of surrounding spaces).")
    for raw, what in _invalid_inputs(limit):
        ctx.step(f"parse_message({raw!r:.60}) ({what})")
        try:
            got = consumers.parse_message(raw)
        except consumers.InvalidMessage as problem:
            if not str(problem).strip():
                raise CheckFailed(f"parse_message raised InvalidMessage() without a message for {what}; say what is "
                                  "wrong (the browser shows it): InvalidMessage('\"text\" is missing').") from None
            continue
        except Exception as exc:  # noqa: BLE001 - the learner's function raised the wrong thing
            raise CheckFailed(f"parse_message({raw!r:.80}) ({what}) raised {type(exc).__name__}: {exc}; it should raise "
                              f"InvalidMessage with a reason, so the consumer can answer with an error instead of "
                              f"crashing.{_where(ctx, exc)}") from None
        raise CheckFailed(f"parse_message({raw!r:.80}) returned {got!r:.60}, but that is {what}: raise "
                          "InvalidMessage(\"...\") instead.")


# -- 2. the consumer through WebsocketCommunicator -------------------------------------------------
def check_connect_accepts(ctx: Context) -> None:
    consumers, users = _env(ctx)
    app = _consumer_app(consumers)

    async def scenario():
        layer = await _layer()
        alice = _communicator(app, ROOM, users["alice"])
        try:
            ctx.step("alice connects to /ws/chat/lobby/")
            await _connect(alice, "alice (logged in) connecting to lobby")
            history = await _history(alice, "alice")
            if history:
                raise CheckFailed(f"the history of an empty room should be [], got {history!r:.200}.")
            members = [channel for group in layer.groups.values() for channel in group]
            if not members:
                raise CheckFailed("alice was accepted but her channel joined no group: call "
                                  "`await self.channel_layer.group_add(self.group, self.channel_name)` in connect().")
        finally:
            await _close(alice)

    _run(ctx, scenario)


def check_connect_refuses(ctx: Context) -> None:
    consumers, users = _env(ctx)
    app = _consumer_app(consumers)

    async def scenario():
        layer = await _layer()
        for room, user, who, code in [(UNKNOWN_ROOM, users["alice"], "alice connecting to the unknown room 'kitchen'",
                                       4404),
                                      (ROOM, _anonymous(), "an anonymous user connecting to lobby", 4401)]:
            ctx.step(who)
            communicator = _communicator(app, room, user)
            try:
                accepted, detail = await _handshake(communicator)
            except (asyncio.TimeoutError, TimeoutError):
                raise CheckFailed(f"{who}: connect() neither accepted nor refused within {RECV:g} s; refuse with "
                                  f"`await self.close(code={code})`.") from None
            if accepted:
                await _close(communicator)
                raise CheckFailed(f"{who} was accepted; it should be refused with `await self.close(code={code})` "
                                  "before accept().")
            joined = [g for g, members in layer.groups.items() if members]
            if joined:
                raise CheckFailed(f"{who} was refused but a channel stayed in the group(s) {joined}: check the room "
                                  "and the user before group_add.")
            ctx.step(f"{who}: the socket goes away (disconnect after a refused handshake)")
            try:
                await communicator.disconnect(timeout=RECV)
            except NotImplementedError:
                raise
            except Exception as exc:  # noqa: BLE001
                raise CheckFailed(f"disconnect() crashed after a refused connection with {type(exc).__name__}: {exc}. "
                                  "self.group is still None then: only group_discard when you joined."
                                  + _where(ctx, exc)) from None

    _run(ctx, scenario)


def check_history(ctx: Context) -> None:
    consumers, users = _env(ctx)
    from chat.models import HISTORY_SIZE, Message

    ctx.step(f"storing {HISTORY_SIZE + 5} messages in lobby and 3 in python with the ORM")

    def store():
        Message.objects.bulk_create([Message(room=ROOM, author="bob", text=f"old {i}") for i in range(HISTORY_SIZE + 5)])
        Message.objects.bulk_create([Message(room=OTHER_ROOM, author="carol", text=f"elsewhere {i}") for i in range(3)])
        return [m.as_dict() for m in Message.objects.filter(room=ROOM).order_by("id")][-HISTORY_SIZE:]

    expected = _db(store)
    app = _consumer_app(consumers)

    async def scenario():
        await _layer()
        alice = _communicator(app, ROOM, users["alice"])
        try:
            ctx.step("alice connects to lobby and waits for the history")
            await _connect(alice, "alice connecting to lobby")
            return await _history(alice, "alice")
        finally:
            await _close(alice)

    got = _run(ctx, scenario)
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
    consumers, users = _env(ctx)
    app = _consumer_app(consumers)

    async def scenario():
        await _layer()
        alice = _communicator(app, ROOM, users["alice"])
        bob = _communicator(app, ROOM, users["bob"])
        carol = _communicator(app, OTHER_ROOM, users["carol"])
        try:
            for communicator, who in ((alice, "alice"), (bob, "bob"), (carol, "carol (in python)")):
                ctx.step(f"{who} connects")
                await _connect(communicator, who)
                await _history(communicator, who)
            ctx.step('alice sends {"type": "message", "text": " hello lobby "}')
            await alice.send_json_to({"type": "message", "text": " hello lobby "})
            _expect_message(await _frame(alice, "alice (the sender)", "her message back from the group"),
                            "alice (the sender)", "alice", "hello lobby")
            try:
                frame = await _frame(bob, "bob", "alice's message to lobby")
            except CheckFailed:
                raise CheckFailed("alice got her message back but bob, in the same room, got nothing: send it to the "
                                  "room's group (`await self.channel_layer.group_send(self.group, {\"type\": "
                                  "\"chat.message\", \"message\": ...})`), not to this socket.") from None
            _expect_message(frame, "bob", "alice", "hello lobby")
            await _nothing(carol, "carol (in the room python)", "alice wrote to lobby: only the room's group hears it")
            ctx.step('bob sends {"type": "message", "text": "hi", "author": "mallory"}')
            await bob.send_json_to({"type": "message", "text": "hi", "author": "mallory"})
            for communicator, who in ((alice, "alice"), (bob, "bob")):
                frame = await _frame(communicator, who, "bob's message")
                if isinstance(frame, dict) and frame.get("author") == "mallory":
                    raise CheckFailed("bob sent \"author\": \"mallory\" and the room saw mallory: the author must be "
                                      "self.scope[\"user\"].username, never what the browser sends.")
                _expect_message(frame, who, "bob", "hi")
        finally:
            await _close(alice, bob, carol)

    _run(ctx, scenario)
    from chat.models import Message

    stored = _db(lambda: list(Message.objects.filter(room=ROOM).values_list("author", "text")))
    if stored != [("alice", "hello lobby"), ("bob", "hi")]:
        raise CheckFailed(f"the database holds {stored} for lobby; expected [('alice', 'hello lobby'), ('bob', 'hi')]: "
                          "store each message with save_message before broadcasting it.")


def check_bad_input(ctx: Context) -> None:
    consumers, users = _env(ctx)
    app = _consumer_app(consumers)
    limit = consumers.MAX_LENGTH
    bad = [(raw, what) for raw, what in _invalid_inputs(limit) if raw is not None]

    async def scenario():
        await _layer()
        alice = _communicator(app, ROOM, users["alice"])
        bob = _communicator(app, ROOM, users["bob"])
        try:
            for communicator, who in ((alice, "alice"), (bob, "bob")):
                await _connect(communicator, who)
                await _history(communicator, who)
            inputs = [(None, "a binary frame")] + bad
            for raw, what in inputs:
                ctx.step(f"alice sends {what}")
                if raw is None:
                    await alice.send_to(bytes_data=b"\x00\x01binary")
                else:
                    await alice.send_to(text_data=raw)
                try:
                    frame = await _frame(alice, "alice", f"an error answer to {what}")
                except CheckFailed:
                    raise
                except NotImplementedError:
                    raise
                except Exception as exc:  # noqa: BLE001 - the consumer crashed on bad input
                    named = _classic(f"{type(exc).__name__}: {exc}")
                    raise CheckFailed(named + _where(ctx, exc) if named else
                                      f"the consumer crashed on {what} ({raw!r:.60}) with {type(exc).__name__}: {exc}. "
                                      "Answer {\"type\": \"error\", \"error\": \"...\"} and keep the socket open."
                                      + _where(ctx, exc)) from None
                if not isinstance(frame, dict) or frame.get("type") != "error" or not str(frame.get("error", "")).strip():
                    raise CheckFailed(f"alice sent {what} ({raw!r:.60}) and got {frame!r:.200}; expected "
                                      "{\"type\": \"error\", \"error\": \"<what was wrong>\"}.")
            await _nothing(bob, "bob", "every frame alice sent was invalid: errors go to the sender only")
            ctx.step("alice sends a valid message after all that")
            await alice.send_json_to({"type": "message", "text": "still here"})
            _expect_message(await _frame(bob, "bob", "alice's valid message after her bad ones"), "bob", "alice",
                            "still here")
        finally:
            await _close(alice, bob)

    _run(ctx, scenario, timeout=8)


def check_disconnect(ctx: Context) -> None:
    consumers, users = _env(ctx)
    app = _consumer_app(consumers)

    async def scenario():
        layer = await _layer()
        alice = _communicator(app, ROOM, users["alice"])
        bob = _communicator(app, ROOM, users["bob"])
        try:
            ctx.step("alice connects")
            await _connect(alice, "alice")
            await _history(alice, "alice")
            alice_groups = {g: set(members) for g, members in layer.groups.items() if members}
            if not alice_groups:
                raise CheckFailed("alice's channel joined no group in connect(): call group_add.")
            ((group, channels),) = list(alice_groups.items())[:1]
            alice_channel = next(iter(channels))
            ctx.step("bob connects")
            await _connect(bob, "bob")
            await _history(bob, "bob")
            ctx.step("alice disconnects")
            try:
                await alice.disconnect(timeout=RECV)
            except NotImplementedError:
                raise
            except (asyncio.TimeoutError, TimeoutError):
                raise CheckFailed(f"disconnect() did not return within {RECV:g} s.") from None
            still = [g for g, members in layer.groups.items() if alice_channel in members]
            if still:
                raise CheckFailed(f"after alice disconnected her channel is still in the group(s) {still}: call "
                                  "`await self.channel_layer.group_discard(self.group, self.channel_name)` in "
                                  "disconnect().")
            ctx.step("group_send to the room after alice left")
            await layer.group_send(group, {"type": "chat.message", "message": {
                "id": 0, "room": ROOM, "author": "checker", "text": "after alice left", "created": ""}})
            _expect_message(await _frame(bob, "bob", "a message to the room after alice left"), "bob", "checker",
                            "after alice left")
            if layer.channels.get(alice_channel):
                raise CheckFailed("a message to the room was queued for alice's channel after she left.")
        finally:
            await _close(alice, bob)

    _run(ctx, scenario)


# -- 3. the learner's application: Origin, session, routing -------------------------------------------
def _application(ctx: Context):
    routing = ctx.import_learner("routing")
    patterns = getattr(routing, "websocket_urlpatterns", None)
    if not patterns:
        raise CheckFailed("routing.websocket_urlpatterns is empty: add re_path(r\"^ws/chat/(?P<room>[^/]+)/$\", "
                          "ChatConsumer.as_asgi()). (routing.py is not written yet.)")
    for pattern in patterns:
        callback = getattr(pattern, "callback", None)
        if isinstance(callback, type):
            raise CheckFailed(f"websocket_urlpatterns routes {pattern.pattern} to the class {callback.__name__}: "
                              + _classic("can't be used in 'await' expression"))
    app = getattr(routing, "application", None)
    if app is None:
        raise CheckFailed("routing.application is still None: build the ProtocolTypeRouter (not written yet). "
                          "Until then the server refuses every WebSocket.")
    mapping = getattr(app, "application_mapping", None)
    if isinstance(mapping, dict):
        missing = [kind for kind in ("http", "websocket") if kind not in mapping]
        if missing:
            raise CheckFailed(f"routing.application has no {' and no '.join(repr(m) for m in missing)} entry: "
                              "ProtocolTypeRouter({\"http\": get_asgi_application(), \"websocket\": ...}).")
    return app


def check_routing(ctx: Context) -> None:
    _, users = _env(ctx)
    app = _application(ctx)
    from chat.accounts import session_cookie_for

    cookie = _db(session_cookie_for, "alice")
    host = b"127.0.0.1:8006"
    own_origin = b"http://127.0.0.1:8006"

    def communicator(origin: bytes | None, with_cookie: bool, room: str = ROOM):
        from channels.testing import WebsocketCommunicator

        headers = [(b"host", host)]
        if origin:
            headers.append((b"origin", origin))
        if with_cookie:
            headers.append((b"cookie", f"sessionid={cookie}".encode()))
        return WebsocketCommunicator(app, f"/ws/chat/{room}/", headers=headers)

    async def scenario():
        await _layer()
        ctx.step("alice (session cookie, Origin http://127.0.0.1:8006) connects through routing.application")
        alice = communicator(own_origin, True)
        try:
            accepted, code = await _handshake(alice)
            if not accepted:
                raise CheckFailed(f"a logged-in user from the site's own Origin was refused (close code {code}). Is "
                                  "the URLRouter wrapped in AuthMiddlewareStack (it fills scope[\"user\"] from the "
                                  "session cookie)?")
            await _history(alice, "alice")
            await alice.send_json_to({"type": "message", "text": "via routing"})
            frame = await _frame(alice, "alice", "her own message back")
            _expect_message(frame, "alice", "alice", "via routing")
        finally:
            await _close(alice)
        for origin, with_cookie, why, fix in [
            (FOREIGN_ORIGIN.encode(), True, f"from a page of another site (Origin {FOREIGN_ORIGIN})",
             "wrap everything in AllowedHostsOriginValidator(...)"),
            (None, True, "without any Origin header", "wrap everything in AllowedHostsOriginValidator(...)"),
            (own_origin, False, "without a session cookie (an anonymous visitor)",
             "refuse users that are not authenticated in connect()"),
        ]:
            ctx.step(f"a connection {why}")
            other = communicator(origin, with_cookie)
            try:
                accepted, _ = await _handshake(other)
            finally:
                await _close(other)
            if accepted:
                raise CheckFailed(f"a connection {why} was accepted; it must be refused: {fix}.")

    _run(ctx, scenario)


# -- 4. real servers ----------------------------------------------------------------------------------
class _Daphnes:
    """The Daphne processes of this grading worker, by name, started on demand and in parallel.

    ``memory``: the in-memory channel layer. ``redis-1`` and ``redis-2``: the Redis layer, one
    Redis server. All share this process's database file. Each takes ~0.5 s to import Twisted and
    Django, so the checks ask for every server they will need at once. Stopped when grading ends.
    """

    def __init__(self, ctx: Context):
        self.ctx = ctx
        self.servers: dict = {}
        self.redis_problem = ""

    def get(self, *names: str) -> dict:
        from chatsite.launch import daphne_argv, daphne_env
        from workshop import procs

        db = self.ctx.resource("django", _django_setup)["db"]
        wanted = {}
        for name in names:
            if name in self.servers:
                continue
            redis_url = None
            if name.startswith("redis"):
                try:
                    redis_url = self.ctx.redis().url
                except RuntimeError as exc:  # no redis-server on this machine: the Redis check says so
                    self.redis_problem = str(exc)
                    continue
            port = self.ctx.free_port()
            wanted[name] = procs.ServerProcess(daphne_argv(port), port,
                                               env=daphne_env(self.ctx.exercise_dir, redis_url=redis_url, db_path=db))
        if wanted:
            self.ctx.step(f"starting Daphne (`daphne chatsite.asgi:application`): {', '.join(wanted)}")
            self.servers.update(wanted)
            with ThreadPoolExecutor(max_workers=len(wanted)) as pool:
                failures = [f for f in pool.map(_start_one, wanted.values()) if f]
            if failures:
                raise CheckFailed("Daphne did not start: " + failures[0])
        return self.servers

    def __enter__(self) -> "_Daphnes":
        return self

    def __exit__(self, *exc) -> None:
        if self.servers:
            with ThreadPoolExecutor(max_workers=len(self.servers)) as pool:
                list(pool.map(_stop_one, self.servers.values()))


def _start_one(server) -> str:
    try:
        server.start()
    except RuntimeError as exc:
        return str(exc)
    return ""


def _stop_one(server) -> None:
    server.stop()
    if server.log_path:
        server.log_path.unlink(missing_ok=True)


def _daphne(ctx: Context, name: str, *also: str):
    """The Daphne process ``name`` (starting ``also`` at the same time, for later checks)."""
    daphnes = ctx.resource("daphnes", lambda: _Daphnes(ctx))
    servers = daphnes.get(name, *also)
    if name not in servers:
        raise CheckFailed(f"no Redis server to test with: {daphnes.redis_problem}")
    return servers[name]


def _server_says(server) -> str:
    """The server's log, reduced to what helps: a named classic error, the lesson's own notice, a traceback."""
    log = server.log_tail(60)
    named = _classic(log)
    notice = [line for line in log.splitlines() if "Lesson 06:" in line or "WebSocket REJECT" in line]
    parts = []
    if named:
        parts.append(named)
    if notice:
        parts.append("The server says: " + notice[-1].split("Lesson 06: ", 1)[-1])
    if not parts:
        errors = [line for line in log.splitlines() if "Error" in line or "Exception" in line]
        if errors:
            parts.append("The server log shows: " + " | ".join(errors[-3:]))
    return ("\n" + "\n".join(parts)) if parts else ""


async def _client(port: int, room: str, cookie: str | None, origin: str | None = None):
    from websockets.asyncio.client import connect

    headers = {"Cookie": f"sessionid={cookie}"} if cookie else {}
    return await connect(f"ws://127.0.0.1:{port}/ws/chat/{room}/", origin=origin or f"http://127.0.0.1:{port}",
                         additional_headers=headers, open_timeout=3)


async def _recv(client, who: str, waiting_for: str, server) -> dict:
    from websockets.exceptions import ConnectionClosed

    try:
        text = await asyncio.wait_for(client.recv(), RECV * 2)
    except (asyncio.TimeoutError, TimeoutError):
        raise CheckFailed(f"{who} waited {RECV * 2:g} s for {waiting_for}; nothing came.{_server_says(server)}") from None
    except ConnectionClosed as closed:
        raise CheckFailed(f"{who}'s connection closed ({closed}) while waiting for {waiting_for}."
                          f"{_server_says(server)}") from None
    return json.loads(text)


async def _ws_open(port: int, room: str, cookie: str | None, who: str, server, origin: str | None = None):
    from websockets.exceptions import InvalidStatus

    try:
        client = await _client(port, room, cookie, origin)
    except InvalidStatus as refused:
        raise CheckFailed(f"Daphne refused {who} with HTTP {refused.response.status_code}."
                          f"{_server_says(server)}") from None
    history = await _recv(client, who, "the history", server)
    if history.get("type") != "history":
        raise CheckFailed(f"{who}'s first frame was {history!r:.200}; expected the history.")
    return client


async def _refused(port: int, room: str, cookie: str | None, origin: str | None, why: str) -> None:
    from websockets.exceptions import InvalidStatus

    try:
        client = await _client(port, room, cookie, origin)
    except InvalidStatus as refused:
        if refused.response.status_code != 403:
            raise CheckFailed(f"a connection {why} was answered HTTP {refused.response.status_code}; expected 403.")
        return
    await client.close()
    raise CheckFailed(f"Daphne accepted a connection {why}; it must be refused.")


def check_daphne_clients(ctx: Context) -> None:
    _env(ctx)
    from chat.accounts import session_cookie_for
    from chat.models import Message

    _db(lambda: Message.objects.create(room=ROOM, author="carol", text="before everyone"))
    cookies = {name: _db(session_cookie_for, name) for name in ("alice", "bob")}
    server = _daphne(ctx, "memory", "redis-1", "redis-2")  # the Redis check's servers start meanwhile
    port = server.port

    async def scenario():
        clients = []
        try:
            ctx.step("alice (two tabs) and bob connect with the websockets library")
            for name, who in (("alice", "alice, tab 1"), ("alice", "alice, tab 2"), ("bob", "bob")):
                clients.append((await _ws_open(port, ROOM, cookies[name], who, server), who))
            tab1 = clients[0][0]
            ctx.step("alice sends a message from tab 1")
            await tab1.send(json.dumps({"type": "message", "text": "over real sockets"}))
            for client, who in clients:
                _expect_message(await _recv(client, who, "alice's message", server), who, "alice", "over real sockets")
            ctx.step("bob sends text that is not JSON")
            bob = clients[2][0]
            await bob.send("{oops")
            answer = await _recv(bob, "bob", "an error answer", server)
            if answer.get("type") != "error":
                raise CheckFailed(f"bob sent '{{oops' and got {answer!r:.200}; expected an error answer.")
            await bob.send(json.dumps({"type": "message", "text": "sorry"}))
            for client, who in clients:
                _expect_message(await _recv(client, who, "bob's message", server), who, "bob", "sorry")
            ctx.step("connections that must be refused")
            await _refused(port, ROOM, cookies["alice"], FOREIGN_ORIGIN, f"from Origin {FOREIGN_ORIGIN}")
            await _refused(port, ROOM, None, None, "without a session cookie")
            await _refused(port, UNKNOWN_ROOM, cookies["alice"], None, "to the unknown room 'kitchen'")
        finally:
            for client, _ in clients:
                await client.close()

    _run(ctx, scenario, timeout=8)
    if _db(lambda: list(Message.objects.filter(room=ROOM).values_list("text", flat=True))) != [
            "before everyone", "over real sockets", "sorry"]:
        raise CheckFailed("the messages sent through Daphne were not all stored in the database.")


def check_browser_two_tabs(ctx: Context) -> None:
    _env(ctx)
    from chat.models import Message

    _db(lambda: Message.objects.create(room=ROOM, author="carol", text="welcome to the lobby"))
    box: dict = {}

    def start_daphne() -> None:
        try:
            box["server"] = _daphne(ctx, "memory")
        except BaseException as exc:  # noqa: BLE001 - re-raised below, in the check's own thread
            box["error"] = exc

    starter = threading.Thread(target=start_daphne, daemon=True)
    starter.start()
    ctx.browser()  # Chromium launches while Daphne imports Django: both take most of a second
    starter.join(30)
    if "error" in box:
        raise box["error"]
    if "server" not in box:
        raise CheckFailed("Daphne did not start within 30 s.")
    server = box["server"]
    url = server.url

    def open_room(name: str):
        page = ctx.new_page()
        ctx.step(f"{name} logs in and opens {url}/room/{ROOM}/")
        page.goto(f"{url}/login/?next=/room/{ROOM}/")
        page.fill("input[name=username]", name)
        page.click("#login button")
        page.wait_for_url(f"**/room/{ROOM}/")
        try:
            page.wait_for_function("document.body.dataset.state === 'open' || document.body.dataset.state === 'closed'")
            page.wait_for_function("document.body.dataset.history !== undefined || document.body.dataset.state === 'closed'")
        except Exception:  # noqa: BLE001 - Playwright's TimeoutError
            pass
        state = page.evaluate("document.body.dataset.state")
        if state != "open" or page.evaluate("document.body.dataset.history") is None:
            problem = page.evaluate("document.body.dataset.problem") or ""
            routing = page.evaluate("document.getElementById('routing-problem')?.textContent") or ""
            raise CheckFailed(f"{name}'s page: the WebSocket is {state or 'not open'} and no history arrived. "
                              f"{routing or problem}{_server_says(server)}")
        return page

    def wait_for(page, name: str, author: str, text: str) -> None:
        ctx.step(f"waiting for {author}'s {text!r} on {name}'s page")
        selector = f"#messages li[data-author='{author}']"
        try:
            page.wait_for_function(
                f"[...document.querySelectorAll(\"{selector}\")].some(li => li.textContent.includes({json.dumps(text)}))",
                timeout=3000)
        except Exception:  # noqa: BLE001
            shown = page.eval_on_selector_all("#messages li", "items => items.map(li => li.textContent)")
            raise CheckFailed(f"{name}'s page shows {shown}; expected \"{author}: {text}\".{_server_says(server)}"
                              ) from None

    ada = open_room("ada")
    grace = open_room("grace")
    wait_for(grace, "grace", "carol", "welcome to the lobby")
    ctx.step("ada types a message and presses Send")
    ada.fill("#send input[name=text]", "Hello Grace!")
    ada.click("#send button")
    wait_for(grace, "grace", "ada", "Hello Grace!")
    wait_for(ada, "ada", "ada", "Hello Grace!")
    grace.fill("#send input[name=text]", "Hi Ada, loud and clear")
    grace.press("#send input[name=text]", "Enter")
    wait_for(ada, "ada", "grace", "Hi Ada, loud and clear")
    ctx.step("ada sends 5,000 characters (the page's bad-input button)")
    ada.click("[data-bad=too-long]")
    try:
        ada.wait_for_selector("#errors li", timeout=3000)
    except Exception:  # noqa: BLE001
        raise CheckFailed("ada's page sent a 5,000-character message and no error answer came back.") from None
    if grace.eval_on_selector_all("#errors li", "items => items.length"):
        raise CheckFailed("grace's page shows an error for ada's bad input: errors go to the sender only.")
    if ada.evaluate("document.body.dataset.state") != "open":
        raise CheckFailed("ada's socket closed after bad input; answer with an error and keep it open.")


def check_redis_layer(ctx: Context) -> None:
    _env(ctx)
    from chat.accounts import session_cookie_for

    cookies = {name: _db(session_cookie_for, name) for name in ("alice", "bob")}
    first = _daphne(ctx, "redis-1", "redis-2")
    second = _daphne(ctx, "redis-2")

    async def scenario():
        ctx.step("alice connects to Daphne #1, bob to Daphne #2 (same room, same Redis)")
        alice = await _ws_open(first.port, ROOM, cookies["alice"], "alice (on Daphne #1)", first)
        bob = await _ws_open(second.port, ROOM, cookies["bob"], "bob (on Daphne #2)", second)
        try:
            ctx.step("bob sends through Daphne #2")
            await bob.send(json.dumps({"type": "message", "text": "across processes"}))
            _expect_message(await _recv(alice, "alice (on Daphne #1)", "bob's message from the other process", first),
                            "alice (on Daphne #1)", "bob", "across processes")
            _expect_message(await _recv(bob, "bob", "his own message", second), "bob", "bob", "across processes")
            ctx.step("alice answers through Daphne #1")
            await alice.send(json.dumps({"type": "message", "text": "received"}))
            _expect_message(await _recv(bob, "bob (on Daphne #2)", "alice's answer", second), "bob (on Daphne #2)",
                            "alice", "received")
        finally:
            await alice.close()
            await bob.close()

    _run(ctx, scenario, timeout=8)


CHECKS = register(
    check_plain_functions, check_connect_accepts, check_connect_refuses, check_history,
    check_broadcast, check_bad_input, check_disconnect, check_routing, check_daphne_clients,
    check_browser_two_tabs, check_redis_layer,
)
