"""The rooms' history, kept in Redis beside the pub/sub channels (scaffolding).

Pub/sub keeps nothing: a message published while a subscriber is away is gone for it. So Django
stores every message first (``save_message``: an id from ``INCR``, the JSON in a capped list) and
only then publishes it. A page loads the history from Django; the socket only brings what is new;
the ids let the page drop a message it got both ways.
"""

from __future__ import annotations

import json
import time

HISTORY_SIZE = 50


def _history_key(room: str) -> str:
    return f"newsroom:history:{room}"


def _last_id_key(room: str) -> str:
    return f"newsroom:last-id:{room}"


def save_message(client, room: str, author: str, text: str) -> dict:
    """Store a message and return it as the dict that is published and shown."""
    message_id = int(client.incr(_last_id_key(room)))
    message = {"id": message_id, "room": room, "author": author, "text": text, "sent_at": time.time()}
    with client.pipeline() as pipe:  # MULTI/EXEC: push and trim together
        pipe.rpush(_history_key(room), json.dumps(message))
        pipe.ltrim(_history_key(room), -HISTORY_SIZE, -1)
        pipe.execute()
    return message


def recent_messages(client, room: str, after: int = 0) -> list[dict]:
    """The stored messages of ``room`` with an id above ``after``, oldest first."""
    messages = [json.loads(raw) for raw in client.lrange(_history_key(room), 0, -1)]
    return sorted((m for m in messages if m["id"] > after), key=lambda m: m["id"])


def clear(client, room: str) -> None:
    client.delete(_history_key(room), _last_id_key(room))
