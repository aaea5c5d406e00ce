"""Lesson 04, part 3: offloading, as uWSGI documents it ("Offloading Websockets and Server-Sent Events").

Two uWSGI instances share the work. The *front* runs Django in plain workers (a fixed pool of 4)
with ``--offload-threads``. For ``/events/<room>`` and ``/ws/<room>`` Django only decides *who*
may open the stream and *what* it carries: ``handoff()`` returns an empty response whose header
``X-Offload`` holds that decision. uWSGI collects the header into the request variable
``X_OFFLOAD`` (``--collect-header``), drops Django's response (``disableheaders:``) and hands
the connection to the *held* instance (the ``uwsgi:`` routing action), through an offload thread:
the Django worker is free again at once.

The held instance runs gevent (``--gevent 1000``): one process holds hundreds of open streams,
each a greenlet waiting on Redis. It trusts ``X_OFFLOAD`` because only the front can reach it;
the browser never could set that variable (a request header ``X-Offload`` would arrive as
``HTTP_X_OFFLOAD``). Its functions here, ``sse()`` and ``websocket()``, get the decision back
as a dict, the *mark*.

Messages travel through Redis: room ``R`` is the channel ``room:R``; a message is the JSON text
``{"user": ..., "text": ...}``. The front's ``POST /rooms/<room>/messages`` publishes one.
"""

from __future__ import annotations

import json

try:
    import uwsgi  # exists only inside a process started by the uwsgi binary
except ImportError:
    uwsgi = None

COOKIE = "workshop_user"  # the front's POST /login sets it: request.set_signed_cookie(COOKIE, name, salt=SALT)
SALT = "lesson04.login"
HEADER = "X-Offload"  # collected into the request variable X_OFFLOAD (--collect-header "X-Offload X_OFFLOAD")
KEEPALIVE = 15.0  # seconds of silence before the held side writes something anyway
SUBSCRIBED_WAIT = 5.0  # seconds to wait for Redis to confirm a subscription


def channel(room: str) -> str:
    """The Redis channel of a room."""
    return f"room:{room}"


def handoff(request, kind: str, room: str):
    """Django's side: authenticate, then mark the response so that uWSGI hands the connection off.

    ``request`` is Django's HttpRequest for ``/events/<room>`` (``kind`` ``"sse"``) or
    ``/ws/<room>`` (``kind`` ``"ws"``). Return a ``django.http.HttpResponse``:

    - 403 (and no ``X-Offload`` header) when the signed cookie is missing or forged:
      ``request.get_signed_cookie(COOKIE, default=None, salt=SALT)`` is the user's name or None;
    - 403 for a WebSocket whose ``Origin`` header names another host than the request's
      ``Host`` (the browser sends the cookie along with *any* page's WebSocket: without this
      check, a page elsewhere could open a socket as your user); no ``Origin`` at all is fine
      (not a browser);
    - otherwise an *empty* 200 with the header ``X-Offload`` set to the JSON text of
      ``{"kind": kind, "user": <name from the cookie>, "room": room}``. Never take the user from
      the query string or another header: the mark is the only thing the held instance trusts.
    """
    # TODO: read the signed cookie; 403 without a user, 403 for a WebSocket from a foreign Origin;
    # else an empty response whose X-Offload header is the JSON mark {"kind", "user", "room"}.
    raise NotImplementedError("handoff")




def sse(mark: dict, redis):
    """The held instance's Server-Sent Events stream: a generator of bytes, one frame at a time.

    ``mark`` is the dict ``handoff()`` put in ``X-Offload``; ``redis`` a redis-py client (its
    sockets cooperate with gevent). Subscribe a pubsub of your own to the room's channel and
    wait until Redis confirms it (``get_message`` returns the ``"subscribe"`` message), so that
    nothing published after the first frame is missed. Then yield:

    - first ``event: ready`` with ``data:`` the JSON of ``{"user": ..., "room": ...}``;
    - a ``data: <message>`` frame for each message published on the channel (the JSON text as
      published, unchanged);
    - a comment line ``: keepalive`` when KEEPALIVE seconds pass without one.

    Each frame ends with an empty line (``\\n\\n``). When the client leaves, uWSGI closes the
    generator (``GeneratorExit`` at the ``yield``): close the pubsub in a ``finally``, so its
    Redis connection goes at once instead of whenever the garbage collector gets to it.
    """
    # TODO: subscribe (and wait for the confirmation), yield the ready event, then one frame per
    # message or a keepalive comment; close the pubsub in a finally.
    raise NotImplementedError("sse")



def websocket(mark: dict, redis):
    """The held instance's WebSocket: relay between this socket and the room, until the client leaves.

    ``uwsgi.websocket_handshake()`` (no arguments: it reads the request's headers) answers 101
    through the offload thread. Subscribe as ``sse()`` does, then send a first text message, the
    JSON of ``{"ready": true, "user": ..., "room": ...}``. Then one loop waits on *both* file
    descriptors with ``select.select`` (gevent makes it cooperative): ``uwsgi.connection_fd()``
    and the pubsub's socket (``pubsub.connection._sock.fileno()``), at most KEEPALIVE seconds.

    - the client's socket is readable: ``uwsgi.websocket_recv_nb()`` (``b""`` if it was only a
      ping or a partial frame); a message becomes ``redis.publish(channel(room), json.dumps(
      {"user": mark["user"], "text": <the text>}))``: the name from the mark, never from the client;
    - the pubsub is readable: ``get_message()`` until it returns None (redis-py may have read
      several messages at once), sending each ``"message"``'s data with ``uwsgi.websocket_send``;
    - neither (a timeout): call ``websocket_recv_nb()`` anyway, so uWSGI pings the client and
      notices a dead one.

    ``OSError`` from ``websocket_recv_nb``/``websocket_send`` means the client left: close the
    pubsub (``finally``) and return ``[]``.
    """
    # TODO: handshake, subscribe, send the ready message, then select() on the client's fd and the
    # pubsub's: publish what the client sends (as mark["user"]), send what Redis brings; [] on OSError.
    raise NotImplementedError("websocket")
