"""What every ring of lesson 06 shares: the classic Channels errors and how to name them, Django and
the database of this grading process, and the shape of a chat message.
"""

from __future__ import annotations

import contextlib
import gc
import inspect
import re
import traceback
import warnings

from checker.api import CheckFailed, Context
from checker.expect import see
from checker.probes import db
from workshop import learner

ROOM = "lobby"
OTHER_ROOM = "python"
UNKNOWN_ROOM = "kitchen"
FOREIGN_ORIGIN = "http://evil.example"
RECV = 1.0  # seconds (scaled by the context) to wait for a frame the consumer should send
SCENARIO = 5.0  # seconds (scaled by ctx.run_async) for one conversation over the communicator or sockets
LONG_SCENARIO = 8.0  # the same, for the conversations with many frames or several servers
REFUSE_UNKNOWN_ROOM, REFUSE_ANONYMOUS = 4404, 4401  # the lesson's close codes, sent before accept()

# Errors learners meet in their first Channels app: (what the error text contains, what to say).
CLASSIC_ERRORS = [
    ("SynchronousOnlyOperation",
     "SynchronousOnlyOperation: the ORM was used from async code, on the event loop. Expected the database "
     "functions to run off the loop and to return lists (a QuerySet runs its SQL later, when iterated, back in "
     "async code). " + see("06", "7. The ORM from an async consumer: `database_sync_to_async`")),
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
    ("KeyError: 'room'",
     "scope[\"url_route\"][\"kwargs\"] has no 'room': the route in websocket_urlpatterns must capture the room as a "
     "named group called room: r\"^ws/chat/(?P<room>[^/]+)/$\"."),
    ("can't be used in 'await' expression",
     "a consumer class was routed instead of an ASGI application: write ChatConsumer.as_asgi() in "
     "websocket_urlpatterns (the forgotten .as_asgi())."),
    ("takes 1 positional argument but 4 were given",
     "a consumer class was routed instead of an ASGI application: write ChatConsumer.as_asgi() in "
     "websocket_urlpatterns (the forgotten .as_asgi())."),
    ("object has no attribute 'group_",
     "the channel layer is None: self.channel_layer is only set when CHANNEL_LAYERS is configured (it is, in "
     "chatsite/settings.py). Use self.channel_layer in the consumer rather than a layer of your own."),
    ("NoneType' object has no attribute 'send'",
     "the channel layer is None: self.channel_layer is only set when CHANNEL_LAYERS is configured."),
    ("You cannot use AsyncToSync in the same thread as an async event loop",
     "group_send from sync code, in async code: async_to_sync(...) is for synchronous code (a view, a task); "
     "inside the async consumer write `await self.channel_layer.group_send(...)`."),
    ("has no attribute 'handshake_deferred'",
     "accept() was called twice (Daphne fails on the second one): accept once, after deciding to let the "
     "connection in; a refusal is a close() before accept()."),
    ("is not JSON serializable",
     "something that is not JSON went to send_json: return plain dicts from recent_messages/save_message "
     "(Message.as_dict()), in a list, not model instances or a QuerySet."),
    ("Error 111 connecting",
     "Redis refused the connection: is the Redis server running at WORKSHOP_REDIS_URL?"),
]
NEVER_AWAITED = "{call}(...) was called without `await`, so it never ran: it is a coroutine; write `await {call}(...)`."
LAYER_NEVER_AWAITED = (
    "{call}(...) was called without `await`, so it never ran: a channel-layer method is a coroutine. In the "
    "async consumer write `await self.channel_layer.{call}(...)`; group_send from sync code (a view, a "
    "database function) needs async_to_sync(channel_layer.{call})(...).")


def classic(text: str) -> str | None:
    """The advice for the first classic error named in ``text``, or ``None``."""
    for needle, advice in CLASSIC_ERRORS:
        if needle in text:
            return advice
    return None


def where(ctx: Context, exc: BaseException) -> str:
    """"\\n<file, line, code>" of the learner's line that raised ``exc`` ('' if none).

    For ``SynchronousOnlyOperation`` that is the *async* learner function that made the ORM call
    (``connect`` calling ``recent_messages`` directly), not the correct synchronous helper whose
    query raised: the mistake is the caller's.
    """
    frame = learner.learner_frame(exc.__traceback__, ctx.exercise_dir)
    if type(exc).__name__ == "SynchronousOnlyOperation":
        frame = _async_caller(ctx, exc) or frame
    return f"\n{learner.describe_frame(frame)}" if frame else ""


def _async_caller(ctx: Context, exc: BaseException):
    """The innermost learner frame running a coroutine, as a ``traceback.FrameSummary``."""
    root = str(ctx.exercise_dir.resolve())
    found = None
    tb = exc.__traceback__
    while tb is not None:
        code = tb.tb_frame.f_code
        if code.co_filename.startswith(root) and code.co_flags & (inspect.CO_COROUTINE | inspect.CO_ASYNC_GENERATOR):
            found = traceback.FrameSummary(code.co_filename, tb.tb_lineno, code.co_name)
        tb = tb.tb_next
    return found


@contextlib.contextmanager
def never_awaited():
    """Fail naming a coroutine (a channel-layer call, send_json) that was created but never awaited."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", RuntimeWarning)
        try:
            yield
        except BaseException:
            _name_never_awaited(caught)
            raise
        _name_never_awaited(caught)


def _name_never_awaited(caught) -> None:
    gc.collect()  # the warning is issued when the forgotten coroutine is collected
    for warning in caught:
        found = re.search(r"coroutine '(\w+)\.(\w+)' was never awaited", str(warning.message))
        if found:
            owner, call = found.groups()
            if "Layer" in owner:
                raise CheckFailed(LAYER_NEVER_AWAITED.format(call=call))
            raise CheckFailed(NEVER_AWAITED.format(call=f"self.{call}" if "Consumer" in owner else call))


def run(ctx: Context, coroutine_function, *args, timeout: float = SCENARIO):
    """``ctx.run_async`` that names the classic Channels errors when the learner's code hits one."""
    try:
        with never_awaited():
            return ctx.run_async(coroutine_function, *args, timeout=timeout)
    except (CheckFailed, NotImplementedError):
        raise
    except Exception as exc:  # noqa: BLE001 - turned into a message for the learner
        named = classic(f"{type(exc).__name__}: {exc}")
        if named:
            raise CheckFailed(named + where(ctx, exc)) from None
        if learner.learner_frame(exc.__traceback__, ctx.exercise_dir) is not None:
            raise  # the engine shows the learner's line
        frames = traceback.extract_tb(exc.__traceback__)
        if frames and "site-packages" in frames[-1].filename:  # raised by Channels/Django on the learner's behalf
            raise CheckFailed(f"the connection failed with {type(exc).__name__}: {exc}") from None
        raise  # a bug in the check: the engine reports it as one


# -- Django, the database, the in-memory layer -----------------------------------------------
@contextlib.contextmanager
def django_setup():
    from django.conf import settings

    from workshop.channels_support import ensure_schema

    db.run(ensure_schema, "chatsite.settings")
    if "InMemory" not in settings.CHANNEL_LAYERS["default"]["BACKEND"]:
        # WORKSHOP_REDIS_URL was set in this shell: the communicator checks use the in-memory layer.
        from channels.layers import channel_layers

        settings.CHANNEL_LAYERS = {"default": {"BACKEND": "channels.layers.InMemoryChannelLayer"}}
        channel_layers._reset_backends("CHANNEL_LAYERS")
    from chat.accounts import get_or_create_user

    users = {name: db.run(get_or_create_user, name) for name in ("alice", "bob", "carol")}
    yield {"users": users, "db": str(settings.DATABASES["default"]["NAME"])}


def env(ctx: Context):
    """(consumers, users): the learner's module and three users, with an empty message table."""
    setup = ctx.resource("django", django_setup)
    consumers = ctx.import_learner("consumers")
    from chat.models import Message

    db.run(lambda: Message.objects.all().delete())
    return consumers, setup["users"]


def cookies(*names: str) -> dict[str, str]:
    """A session cookie for each user name (the users exist in this process's database)."""
    from chat.accounts import session_cookie_for

    return {name: db.run(session_cookie_for, name) for name in names}


def expect_message(frame: dict, who: str, author: str, text: str, room: str = ROOM) -> None:
    if not isinstance(frame, dict) or frame.get("type") != "message":
        raise CheckFailed(f"{who} received {frame!r:.200}; expected {{\"type\": \"message\", ...}} "
                          "(chat_message forwards {\"type\": \"message\", **event[\"message\"]}).")
    wrong = {k: frame.get(k) for k, v in (("author", author), ("text", text), ("room", room)) if frame.get(k) != v}
    if wrong or not isinstance(frame.get("id"), int):
        raise CheckFailed(f"{who} received {frame!r:.200}; expected author {author!r}, text {text!r}, room {room!r} "
                          "and the stored message's id (the dict from save_message).")
