"""The server side of one WebSocket connection, after the handshake, as a state machine.

Bytes in, events and bytes out: ``receive_data(data)`` takes whatever the socket read and
returns the events it completed (``Message``, ``Ping``, ``Pong``, ``CloseReceived``);
``data_to_send()`` returns the bytes the server must write (pongs, close frames, messages).
Nothing here touches a socket, so every rule below is tested by feeding bytes.

The rules it enforces (RFC 6455):

* messages may arrive in fragments (§5.4); control frames may come between them;
* a Ping is answered with a Pong carrying the same payload (§5.5.2, §5.5.3);
* a Close is answered with a Close, then the connection is closed (§5.5.1, §7);
* a peer that breaks the protocol gets a Close with a code saying why (§7.1.7, §7.4.1):
  1002 (protocol error), 1007 (text that is not UTF-8), 1009 (message too big: too many
  bytes, or too many fragments).

Why a bound on fragments and not only on bytes: every fragment kept costs memory of its own (a
list slot and a ``bytes`` object, 8 to 40 bytes) even when it carries no byte at all. An
attacker who sends a text frame with FIN=0 and then millions of empty continuation frames
never reaches a byte limit, yet grows the server by 30 MiB per 4 million frames, for ever
(the README's section "Security: what an attacker tried").

Given to you: everything in ``__init__``, the sending methods and ``_fail``. Yours:
``close``, ``receive_data``, ``_handle_frame`` and ``_handle_data_frame``.
``ws_common`` gives you the events, ``State`` (OPEN, CLOSING, CLOSED),
``encode_close_payload(code, reason)`` and ``parse_close_payload(payload)``.
"""

from __future__ import annotations

from frames import FrameDecoder, encode_frame
from ws_common import (  # noqa: F401 - you will need these
    CLOSE_INVALID_DATA,
    CLOSE_NO_STATUS,
    CLOSE_NORMAL,
    CLOSE_PROTOCOL_ERROR,
    CLOSE_TOO_BIG,
    OPCODE_BINARY,
    OPCODE_CLOSE,
    OPCODE_CONTINUATION,
    OPCODE_PING,
    OPCODE_PONG,
    OPCODE_TEXT,
    CloseReceived,
    Event,
    Frame,
    Message,
    Ping,
    Pong,
    ProtocolError,
    State,
    encode_close_payload,
    parse_close_payload,
)


class Connection:
    """One WebSocket connection, server side. Start it after a successful handshake."""

    def __init__(self, max_message_size: int = 1 << 20, max_fragments: int = 1024) -> None:
        self.state = State.OPEN
        self.max_message_size = max_message_size
        # Data frames one message may take (§5.4 sets no limit; §10.4 lets an endpoint set one).
        # Browsers send a message in one frame, or in a few big ones: 1024 is generous.
        self.max_fragments = max_fragments
        # A frame can never be bigger than the biggest message, so the decoder refuses
        # oversized frames as soon as their header arrives.
        self._decoder = FrameDecoder(expect_masked=True, max_payload=max_message_size)
        self._outgoing = bytearray()
        # The message being reassembled from fragments (§5.4): its opcode and its pieces.
        self._message_opcode: int | None = None
        self._fragments: list[bytes] = []
        self._message_size = 0
        #: The ProtocolError that made us fail the connection, if one did.
        self.failure: ProtocolError | None = None

    # ---- sending (given) --------------------------------------------------------------

    def data_to_send(self) -> bytes:
        """The bytes to write to the socket now (and forget them)."""
        data = bytes(self._outgoing)
        self._outgoing.clear()
        return data

    def _send_frame(self, frame: Frame) -> None:
        self._outgoing += encode_frame(frame)  # §5.1: a server never masks

    def send_text(self, text: str) -> None:
        if self.state is State.OPEN:
            self._send_frame(Frame(OPCODE_TEXT, text.encode("utf-8")))

    def send_binary(self, data: bytes) -> None:
        if self.state is State.OPEN:
            self._send_frame(Frame(OPCODE_BINARY, bytes(data)))

    def send_ping(self, payload: bytes = b"") -> None:
        if self.state is State.OPEN:
            self._send_frame(Frame(OPCODE_PING, payload))

    def _fail(self, error: ProtocolError) -> None:
        """_Fail the WebSocket Connection_ (§7.1.7): send a Close with the error's code, stop."""
        self.failure = error
        if self.state is State.OPEN:
            self._send_frame(Frame(OPCODE_CLOSE, encode_close_payload(error.code, error.reason)))
        self.state = State.CLOSED

    # ---- the state machine (yours) ----------------------------------------------------

    def close(self, code: int = CLOSE_NORMAL, reason: str = "") -> None:
        """Start the closing handshake (§7.1.2): send a Close frame and wait for the peer's.

        Only when OPEN (otherwise do nothing): send a Close frame whose payload is
        ``encode_close_payload(code, reason)`` and move to ``State.CLOSING``. The peer's
        Close will arrive later through ``receive_data``.
        """
        # TODO
        raise NotImplementedError("Connection.close")

    def receive_data(self, data: bytes) -> list[Event]:
        """Feed bytes read from the socket; return the events they completed.

        1. If the state is CLOSED, return ``[]`` (§7.1.1: nothing more to do).
        2. Feed the bytes to ``self._decoder``; for every complete frame (``for frame in
           self._decoder``) call ``self._handle_frame(frame)`` and collect the events it
           returns (skip None). Stop early if the state became CLOSED.
        3. Never let a ``ProtocolError`` escape: catch it (from the decoder or your
           handlers) and call ``self._fail(error)``, which queues a Close frame carrying
           ``error.code``. Still return the events collected before the error.
        """
        # TODO: steps 1-3
        raise NotImplementedError("Connection.receive_data")

    def _handle_frame(self, frame: Frame) -> Event | None:
        """Apply one frame to the state machine; return the event it completes, if any.

        * PING  -> queue ``Frame(OPCODE_PONG, frame.payload)`` if OPEN (§5.5.2: "MUST send
                   a Pong ... with identical Application data"); return ``Ping(payload)``.
        * PONG  -> return ``Pong(payload)`` (nothing to send, §5.5.3).
        * CLOSE -> ``code, reason = parse_close_payload(frame.payload)`` (it raises the
                   right ProtocolError for a bad body). If OPEN, answer with one Close frame
                   echoing the code (§5.5.1), or an empty body if the code is
                   CLOSE_NO_STATUS (1005 is never sent). If CLOSING, our Close is already
                   out: send nothing. Either way, the state becomes CLOSED;
                   return ``CloseReceived(code, reason)``.
        * data frames (TEXT, BINARY, CONTINUATION) -> ``return self._handle_data_frame(frame)``.
        """
        # TODO
        raise NotImplementedError("Connection._handle_frame")

    def _handle_data_frame(self, frame: Frame) -> Message | None:
        """Text, binary and continuation frames: reassemble fragments into messages (§5.4).

        * CONTINUATION while no message is in progress (``self._message_opcode is None``)
          -> raise ProtocolError(CLOSE_PROTOCOL_ERROR)
        * TEXT or BINARY while a message is in progress -> raise ProtocolError(CLOSE_PROTOCOL_ERROR)
          (fragments of one message are never interleaved with another)
        * TEXT or BINARY otherwise: a new message starts; remember its opcode.
        * Add the payload's length to ``self._message_size``; over ``self.max_message_size``
          -> raise ProtocolError(CLOSE_TOO_BIG).
        * If ``self._fragments`` already holds ``self.max_fragments`` fragments, this one is
          one too many -> raise ProtocolError(CLOSE_TOO_BIG), however small it is (even
          empty). Control frames between fragments are not fragments and do not count.
          Append the payload to ``self._fragments``.
        * If ``frame.fin`` is False, return None (more fragments to come). Otherwise join
          the fragments, reset the three ``_message``/``_fragments`` attributes, and return
          ``Message(bytes)`` for binary or ``Message(str)`` for text, decoding UTF-8 on the
          whole message (a character may be split between fragments); if it does not decode,
          raise ProtocolError(CLOSE_INVALID_DATA) (§8.1).
        """
        # TODO
        raise NotImplementedError("Connection._handle_data_frame")
