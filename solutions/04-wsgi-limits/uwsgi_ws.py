"""Lesson 04, part 2: WebSockets on uWSGI, through its own (non-WSGI) API.

WSGI cannot express a WebSocket: the application gets ``environ`` (the request) and returns a
body; it never sees the socket, and ``wsgi.input`` is only the request body. uWSGI works around
this with functions of its ``uwsgi`` module, callable from inside a request:

- ``uwsgi.websocket_handshake(key, origin)`` sends the 101 answer for this request;
- ``uwsgi.websocket_recv()`` blocks until a message arrives and returns its payload as bytes
  (raises OSError when the client closes or the connection breaks);
- ``uwsgi.websocket_recv_nb()`` the same without blocking: ``b""`` when nothing has arrived;
- ``uwsgi.websocket_send(data)`` sends a text message, ``uwsgi.websocket_send_binary(data)``
  a binary one (both raise OSError on a broken connection).

The request, and with it the worker thread, lasts as long as the WebSocket: the function only
returns (an empty body, ``[]``) when the conversation is over.
"""

from __future__ import annotations

try:
    import uwsgi  # exists only inside a process started by the uwsgi binary
except ImportError:
    uwsgi = None

IDLE_WAIT = 0.05  # seconds chat() waits for room news before it looks at its own socket again


def _tokens(value: str) -> list[str]:
    return [token.strip().lower() for token in value.split(",")]


def is_websocket_request(environ: dict) -> bool:
    """True if this WSGI request asks for a WebSocket (RFC 6455 §4.2.1), False otherwise.

    In ``environ`` a header ``Foo-Bar`` is ``environ["HTTP_FOO_BAR"]``. Ask for: method GET,
    ``Upgrade`` containing the token ``websocket``, ``Connection`` containing the token
    ``upgrade`` (both case-insensitive, comma-separated lists), a ``Sec-WebSocket-Key`` and
    ``Sec-WebSocket-Version: 13``.
    """
    return (environ.get("REQUEST_METHOD") == "GET"
            and "websocket" in _tokens(environ.get("HTTP_UPGRADE", ""))
            and "upgrade" in _tokens(environ.get("HTTP_CONNECTION", ""))
            and bool(environ.get("HTTP_SEC_WEBSOCKET_KEY", "").strip())
            and environ.get("HTTP_SEC_WEBSOCKET_VERSION", "").strip() == "13")


def echo(environ: dict, start_response):
    """Handshake, then send every message back until the client leaves; return ``[]``.

    ``websocket_recv()`` does not say whether a message was text or binary, so guess: bytes
    that decode as UTF-8 go back with ``websocket_send``, anything else with
    ``websocket_send_binary``. When recv or send raises OSError, the client is gone: return.
    """
    uwsgi.websocket_handshake(environ["HTTP_SEC_WEBSOCKET_KEY"], environ.get("HTTP_ORIGIN", ""))
    while True:
        try:
            message = uwsgi.websocket_recv()
            try:
                message.decode("utf-8")
            except UnicodeDecodeError:
                uwsgi.websocket_send_binary(message)
            else:
                uwsgi.websocket_send(message)
        except OSError:
            return []


def chat(environ: dict, start_response, room):
    """Handshake, then relay: every text message any member sends reaches every member, in order.

    ``room`` (lesson scaffolding, ``room.py``) is shared by the threads of this process:
    ``room.post(text)`` appends a message and returns its id; ``room.after(cursor)`` lists the
    ``(id, text)`` pairs after ``cursor``; ``room.wait_for_news(cursor, timeout)`` blocks until
    there is something after ``cursor`` or the timeout passes; ``room.last_id()``.

    A member gets the messages posted after it joined (start the cursor at ``room.last_id()``),
    its own included. One loop does everything, because this thread may only use its own
    socket: take a message from the socket without blocking (``websocket_recv_nb``) and post it,
    send whatever is new in the room, and when the socket had nothing, wait for room news for
    at most IDLE_WAIT seconds. Leave (return ``[]``) on OSError.
    """
    uwsgi.websocket_handshake(environ["HTTP_SEC_WEBSOCKET_KEY"], environ.get("HTTP_ORIGIN", ""))
    cursor = room.last_id()
    while True:
        try:
            message = uwsgi.websocket_recv_nb()
            if message:
                room.post(message.decode("utf-8", "replace"))
            for message_id, text in room.after(cursor):
                uwsgi.websocket_send(text.encode("utf-8"))
                cursor = message_id
        except OSError:
            return []
        if not message:
            room.wait_for_news(cursor, IDLE_WAIT)
