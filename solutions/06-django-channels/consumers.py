"""Lesson 06: the chat room's consumer, one instance per WebSocket connection.

Channels calls the methods below as the connection lives: ``connect`` at the handshake,
``receive`` for each frame from the browser, ``chat_message`` for each event sent to a group
this connection joined, ``disconnect`` when it closes.

What travels over the socket (JSON text frames):

* browser -> server: ``{"type": "message", "text": "hello"}``
* server -> browser, once after connecting: ``{"type": "history", "messages": [message, ...]}``
  (the last ``HISTORY_SIZE`` messages of the room, oldest first)
* server -> everyone in the room: ``{"type": "message", "id": 7, "room": "lobby",
  "author": "ada", "text": "hello", "created": "..."}``
* server -> the sender only, for bad input: ``{"type": "error", "error": "what was wrong"}``

Suggested order: ``group_name`` and ``parse_message`` (plain functions), the two database
functions, then the consumer's methods from top to bottom; then ``routing.py``.
Check your work with ``python -m checker 06``; chat in a browser with ``python -m checker serve 06``.
"""

from __future__ import annotations

import json

from channels.db import database_sync_to_async
from channels.generic.websocket import AsyncJsonWebsocketConsumer

from chat.models import HISTORY_SIZE, Message, known_rooms

MAX_LENGTH = 500  # characters in one chat message, after stripping spaces
MAX_FRAME = 16 * MAX_LENGTH  # characters in one frame, before decoding: 500 emoji escaped as \ud83d\udc4b fit
MAX_DEPTH = 20  # arrays and objects inside each other; a chat message is one object


class InvalidMessage(ValueError):
    """Raised by ``parse_message``; ``str()`` is what the browser is told."""


def group_name(room: str) -> str:
    """The channel-layer group of a room: every connection in the room joins it.

    Group names must be ASCII letters, digits, ``-``, ``_`` or ``.``, shorter than 100
    characters (``chat:lobby`` or ``chat lobby`` raise TypeError). Room names are short slugs.
    """
    return f"chat.{room}"


def parse_message(text_data: str | None) -> str:
    """The chat text in a frame from the browser, or ``InvalidMessage`` saying what is wrong.

    ``text_data`` is the frame's text (``None`` for a binary frame). Valid input is a JSON object
    ``{"type": "message", "text": "..."}`` whose text, once stripped of surrounding spaces, has
    1 to ``MAX_LENGTH`` characters: return that stripped text. Raise ``InvalidMessage("...")``
    for everything else: a binary frame, text that is not JSON, JSON that is not an object,
    another ``type``, a missing ``text``, a ``text`` that is not a string, empty, or too long.

    Hostile input first, **before** ``json.loads``: the frame is untrusted and the decoder's
    cost grows with it. Refuse a frame longer than ``MAX_FRAME`` characters (a valid message is
    far shorter, even with every character escaped), and one whose arrays and objects are nested
    deeper than ``MAX_DEPTH`` (a valid message is one object; ``json.loads`` recurses once per
    level, and ``[[[[...]]]]`` a few thousand deep raises ``RecursionError``, which no
    ``except ValueError`` catches). Brackets *inside strings* do not nest: ``"[[["`` is text.
    """
    if text_data is None:
        raise InvalidMessage("send text frames with JSON, not binary frames")
    if len(text_data) > MAX_FRAME:
        raise InvalidMessage(f"a frame may hold at most {MAX_FRAME} characters")
    if _nesting_depth(text_data) > MAX_DEPTH:
        raise InvalidMessage(f"JSON nested more than {MAX_DEPTH} levels deep")
    try:
        content = json.loads(text_data)
    except ValueError:
        raise InvalidMessage("that is not JSON") from None
    if not isinstance(content, dict):
        raise InvalidMessage('send a JSON object: {"type": "message", "text": "..."}')
    if content.get("type") != "message":
        raise InvalidMessage(f'unknown type {content.get("type")!r}; send {{"type": "message", ...}}')
    text = content.get("text")
    if text is None:
        raise InvalidMessage('"text" is missing')
    if not isinstance(text, str):
        raise InvalidMessage(f'"text" must be a string, not {type(text).__name__}')
    text = text.strip()
    if not text:
        raise InvalidMessage('"text" is empty')
    if len(text) > MAX_LENGTH:
        raise InvalidMessage(f'"text" is longer than {MAX_LENGTH} characters')
    return text


def _nesting_depth(text: str) -> int:
    """How deep ``[`` and ``{`` nest in ``text``, skipping strings; one pass, no recursion."""
    depth = deepest = 0
    in_string = escaped = False
    for char in text:
        if in_string:
            if escaped:
                escaped = False
            elif char == "\\":
                escaped = True
            elif char == '"':
                in_string = False
        elif char == '"':
            in_string = True
        elif char in "[{":
            depth += 1
            deepest = max(deepest, depth)
        elif char in "]}":
            depth -= 1
    return deepest


def recent_messages(room: str) -> list[dict]:
    """The room's last ``HISTORY_SIZE`` messages, oldest first, as dicts (``Message.as_dict()``).

    Return a list, not a QuerySet: a QuerySet runs its SQL later, when iterated, and "later"
    would be back in the async consumer.
    """
    newest_first = Message.objects.filter(room=room).order_by("-id")[:HISTORY_SIZE]
    return [message.as_dict() for message in reversed(newest_first)]


def save_message(room: str, author: str, text: str) -> dict:
    """Store one message and return it as a dict (``Message.as_dict()``)."""
    return Message.objects.create(room=room, author=author, text=text).as_dict()


class ChatConsumer(AsyncJsonWebsocketConsumer):
    """One chat connection. ``self.scope`` describes it (like ``request`` in a view):
    ``self.scope["url_route"]["kwargs"]["room"]`` is the room from the URL and
    ``self.scope["user"]`` the logged-in user (AuthMiddlewareStack put it there).
    ``self.channel_layer`` and ``self.channel_name`` are this connection's layer and address.
    """

    async def connect(self) -> None:
        """The handshake: refuse, or join the room's group, accept, and send the history.

        1. Remember the room (``self.room``) and set ``self.group = None``.
        2. A room not in ``known_rooms()``: ``await self.close(code=4404)`` and return.
           A user that is not authenticated (``user.is_authenticated``): close with 4401, return.
           Closing before ``accept()`` refuses the handshake (the client gets HTTP 403).
        3. Set ``self.group = group_name(room)``, ``await self.channel_layer.group_add(group, channel name)``,
           ``await self.accept()``.
        4. Send ``{"type": "history", "messages": [...]}`` with ``recent_messages(room)``
           (through ``database_sync_to_async``) using ``await self.send_json(...)``.
        """
        self.room = self.scope["url_route"]["kwargs"]["room"]
        self.group = None
        user = self.scope.get("user")
        if self.room not in known_rooms():
            await self.close(code=4404)
            return
        if user is None or not user.is_authenticated:
            await self.close(code=4401)
            return
        self.group = group_name(self.room)
        await self.channel_layer.group_add(self.group, self.channel_name)
        await self.accept()
        history = await database_sync_to_async(recent_messages)(self.room)
        await self.send_json({"type": "history", "messages": history})

    async def receive(self, text_data=None, bytes_data=None, **kwargs) -> None:
        """A frame from the browser. (We override ``receive`` rather than ``receive_json``:
        the base class would call ``json.loads`` itself and crash on bad input.)

        * ``parse_message(text_data)``; on ``InvalidMessage`` answer this socket only with
          ``{"type": "error", "error": str(problem)}`` and return (the socket stays open).
        * Otherwise store it with ``save_message(room, author, text)`` (through
          ``database_sync_to_async``); the author is ``self.scope["user"].username``, never
          something the browser sent.
        * Then ``group_send`` to the room's group: ``{"type": "chat.message", "message": <the dict>}``.
          Channels delivers it to every member by calling its ``chat_message`` method
          (the dot in the type becomes an underscore).
        """
        try:
            text = parse_message(text_data)
        except InvalidMessage as problem:
            await self.send_json({"type": "error", "error": str(problem)})
            return
        author = self.scope["user"].username
        message = await database_sync_to_async(save_message)(self.room, author, text)
        await self.channel_layer.group_send(self.group, {"type": "chat.message", "message": message})

    async def chat_message(self, event: dict) -> None:
        """An event sent to the group (``event["message"]`` is the stored message's dict).

        Forward it to this browser: ``{"type": "message", **event["message"]}``.
        """
        await self.send_json({"type": "message", **event["message"]})

    async def disconnect(self, code: int) -> None:
        """The socket closed (also after a refused handshake, when ``self.group`` is still None).

        Leave the room's group (``group_discard``), or the layer keeps sending to a dead channel.
        """
        if getattr(self, "group", None):
            await self.channel_layer.group_discard(self.group, self.channel_name)
