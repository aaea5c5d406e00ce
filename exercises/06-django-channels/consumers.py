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

import json  # noqa: F401 - parse_message needs it

from channels.db import database_sync_to_async  # noqa: F401 - the consumer needs it
from channels.generic.websocket import AsyncJsonWebsocketConsumer

from chat.models import HISTORY_SIZE, Message, known_rooms  # noqa: F401

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
    # TODO: return something like "chat." + room
    raise NotImplementedError


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
    # TODO: refuse None, then frames over MAX_FRAME and nesting over MAX_DEPTH (before json.loads);
    # then json.loads inside try/except ValueError, then check the type of each part.
    raise NotImplementedError


# The ORM is synchronous: call these two from the consumer through database_sync_to_async,
# e.g. ``await database_sync_to_async(recent_messages)(room)``. Called directly from an
# ``async def``, Django raises SynchronousOnlyOperation.
def recent_messages(room: str) -> list[dict]:
    """The room's last ``HISTORY_SIZE`` messages, oldest first, as dicts (``Message.as_dict()``).

    Return a list, not a QuerySet: a QuerySet runs its SQL later, when iterated, and "later"
    would be back in the async consumer.
    """
    # TODO: Message.objects.filter(room=...).order_by("-id")[:HISTORY_SIZE], reversed, as dicts.
    raise NotImplementedError


def save_message(room: str, author: str, text: str) -> dict:
    """Store one message and return it as a dict (``Message.as_dict()``)."""
    # TODO: Message.objects.create(...)
    raise NotImplementedError


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
        # TODO
        raise NotImplementedError

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
        # TODO
        raise NotImplementedError

    async def chat_message(self, event: dict) -> None:
        """An event sent to the group (``event["message"]`` is the stored message's dict).

        Forward it to this browser: ``{"type": "message", **event["message"]}``.
        """
        # TODO
        raise NotImplementedError

    async def disconnect(self, code: int) -> None:
        """The socket closed (also after a refused handshake, when ``self.group`` is still None).

        Leave the room's group (``group_discard``), or the layer keeps sending to a dead channel.
        """
        # TODO
        raise NotImplementedError
