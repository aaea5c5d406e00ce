"""Lesson 03's sans-I/O WebSocket core (the reference solution), tested without sockets.

RFC 6455's own vectors, every payload-length boundary, masking, fragmentation, the close
handshake, every 1002/1007/1009 rule, and hypothesis properties: the decoder raises only
ProtocolError whatever bytes it is fed, and a valid stream gives the same frames however
it is cut into pieces.
"""

from __future__ import annotations

import base64
import importlib
from pathlib import Path
from types import SimpleNamespace

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from checker.probes import wire
from tests.helpers import modules_from

REPO = Path(__file__).resolve().parent.parent
SLUG = "03-websocket-handshake"
FOLDERS = [REPO / "solutions" / SLUG, REPO / "lessons" / SLUG]
MODULES = ["ws_common", "frames", "handshake", "connection", "ws_server", "ws_limits"]

KEY = wire.MASK_KEY  # RFC 6455 §5.7's masking key
FUZZ = settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])


@pytest.fixture(scope="module")
def ws():
    """The solution's modules, imported from their folders; sys.path/sys.modules restored after."""
    with modules_from(FOLDERS, MODULES):
        mods = {name: importlib.import_module(name) for name in MODULES[:4]}
        for name, module in mods.items():
            assert Path(module.__file__).parent in FOLDERS, f"{name} came from {module.__file__}"
        yield SimpleNamespace(**mods, **{name: getattr(mods["ws_common"], name) for name in dir(mods["ws_common"]) if not name.startswith("_")})


def client_frame(ws, opcode, payload=b"", fin=True):
    """A masked client frame from the independent oracle (``checker.probes.wire``), not from the code under test."""
    return wire.wire(opcode, payload, fin=fin, key=KEY)


def decode_all(ws, data: bytes, *, masked=True, max_payload=1 << 20, chunk=None):
    decoder = ws.frames.FrameDecoder(expect_masked=masked, max_payload=max_payload)
    out = []
    step = chunk or max(len(data), 1)
    for i in range(0, len(data), step):
        decoder.feed(data[i : i + step])
        out += list(decoder)
    return out


def sent_frames(ws, conn):
    """What the server sent, read by the oracle (unmasked frames, §5.1)."""
    return [ws.Frame(opcode, payload, fin) for opcode, fin, payload in wire.read_frames(conn.data_to_send())]


def close_code(frame) -> int | None:
    return wire.close_code(frame.payload)


# ---- handshake ---------------------------------------------------------------------------


def test_accept_key_rfc_vector(ws):
    assert ws.handshake.accept_key("dGhlIHNhbXBsZSBub25jZQ==") == "s3pPLMBiTxaQ9kYGzzhZRbK+xOo="


HEADERS = {
    "Host": "server.example.com",
    "Upgrade": "websocket",
    "Connection": "Upgrade",
    "Sec-WebSocket-Key": "dGhlIHNhbXBsZSBub25jZQ==",
    "Sec-WebSocket-Version": "13",
}


def request(ws, method="GET", version="HTTP/1.1", **changes):
    headers = dict(HEADERS)
    for name, value in changes.items():
        name = name.replace("_", "-")
        if value is None:
            headers.pop(name, None)
        else:
            headers[name] = value
    raw = f"{method} /chat {version}\r\n" + "".join(f"{k}: {v}\r\n" for k, v in headers.items()) + "\r\n"
    return ws.parse_request(raw.encode())


def test_handshake_101_exact_bytes(ws):
    assert ws.handshake.handshake_response(request(ws)) == (
        b"HTTP/1.1 101 Switching Protocols\r\n"
        b"Upgrade: websocket\r\n"
        b"Connection: Upgrade\r\n"
        b"Sec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\r\n\r\n"
    )


@pytest.mark.parametrize("changes", [
    {"Connection": "keep-alive, Upgrade"},
    {"Upgrade": "WebSocket", "Connection": "upgrade"},
    {"Sec_WebSocket_Extensions": "permessage-deflate", "Sec_WebSocket_Protocol": "chat"},
])
def test_handshake_accepts_variants(ws, changes):
    response = ws.parse_response(ws.handshake.handshake_response(request(ws, **changes)))
    assert response.status == 101
    assert response.header("sec-websocket-extensions") is None and response.header("sec-websocket-protocol") is None


@pytest.mark.parametrize("method, version, changes, status", [
    ("POST", "HTTP/1.1", {}, 405),
    ("GET", "HTTP/1.0", {}, 400),
    ("GET", "HTTP/1.1", {"Host": None}, 400),
    ("GET", "HTTP/1.1", {"Upgrade": None}, 400),
    ("GET", "HTTP/1.1", {"Upgrade": "h2c"}, 400),
    ("GET", "HTTP/1.1", {"Connection": None}, 400),
    ("GET", "HTTP/1.1", {"Connection": "keep-alive"}, 400),
    ("GET", "HTTP/1.1", {"Sec_WebSocket_Key": None}, 400),
    ("GET", "HTTP/1.1", {"Sec_WebSocket_Key": "!!not base64!!"}, 400),
    ("GET", "HTTP/1.1", {"Sec_WebSocket_Key": base64.b64encode(b"short").decode()}, 400),
    ("GET", "HTTP/1.1", {"Sec_WebSocket_Version": "8"}, 426),
    ("GET", "HTTP/1.1", {"Sec_WebSocket_Version": None}, 426),
])
def test_handshake_rejects(ws, method, version, changes, status):
    response = ws.parse_response(ws.handshake.handshake_response(request(ws, method, version, **changes)))
    assert response.status == status
    assert response.header("connection") == "close"
    if status == 426:
        assert response.header("sec-websocket-version") == "13"  # §4.4
    if status == 405:
        assert response.header("allow") == "GET"


# ---- frames ------------------------------------------------------------------------------


def test_rfc_5_7_examples(ws):
    Frame, enc = ws.Frame, ws.frames.encode_frame
    assert enc(Frame(ws.OPCODE_TEXT, b"Hello")) == bytes.fromhex("810548656c6c6f")
    assert enc(Frame(ws.OPCODE_TEXT, b"Hello"), KEY) == bytes.fromhex("818537fa213d7f9f4d5158")
    assert enc(Frame(ws.OPCODE_TEXT, b"Hel", fin=False)) == bytes.fromhex("010348656c")
    assert enc(Frame(ws.OPCODE_CONTINUATION, b"lo")) == bytes.fromhex("80026c6f")
    assert enc(Frame(ws.OPCODE_PING, b"Hello")) == bytes.fromhex("890548656c6c6f")
    assert enc(Frame(ws.OPCODE_PONG, b"Hello"), KEY) == bytes.fromhex("8a8537fa213d7f9f4d5158")
    assert enc(Frame(ws.OPCODE_BINARY, bytes(256)))[:4] == bytes.fromhex("827e0100")
    assert enc(Frame(ws.OPCODE_BINARY, bytes(65536)))[:10] == bytes.fromhex("827f0000000000010000")
    assert decode_all(ws, bytes.fromhex("818537fa213d7f9f4d5158")) == [Frame(ws.OPCODE_TEXT, b"Hello")]
    assert decode_all(ws, bytes.fromhex("010348656c80026c6f"), masked=False) == [
        Frame(ws.OPCODE_TEXT, b"Hel", fin=False), Frame(ws.OPCODE_CONTINUATION, b"lo")]


@pytest.mark.parametrize("length, header_size", [
    (0, 2), (1, 2), (125, 2), (126, 4), (127, 4), (65535, 4), (65536, 10), (65537, 10), (1 << 20, 10)])
@pytest.mark.parametrize("masked", [False, True])
def test_length_boundaries(ws, length, header_size, masked):
    payload = bytes(i % 251 for i in range(length))
    frame = ws.Frame(ws.OPCODE_BINARY, payload)
    data = ws.frames.encode_frame(frame, KEY if masked else None)
    assert len(data) == header_size + (4 if masked else 0) + length
    seven = data[1] & 0x7F
    assert seven == (length if length <= 125 else 126 if length <= 0xFFFF else 127)
    assert bool(data[1] & 0x80) == masked
    assert decode_all(ws, data, masked=masked, max_payload=1 << 20) == [frame]
    assert decode_all(ws, data, masked=masked, chunk=4093) == [frame]


def test_decoder_byte_by_byte_and_several_per_chunk(ws):
    frames = [ws.Frame(ws.OPCODE_TEXT, b"a" * 200, fin=False), ws.Frame(ws.OPCODE_PING, b"x"),
              ws.Frame(ws.OPCODE_CONTINUATION, b"b"), ws.Frame(ws.OPCODE_BINARY, b"")]
    data = b"".join(ws.frames.encode_frame(f, KEY) for f in frames)
    assert decode_all(ws, data, chunk=1) == frames
    assert decode_all(ws, data) == frames
    decoder = ws.frames.FrameDecoder(expect_masked=True)
    decoder.feed(data[:-1])
    assert decoder.next_frame() == frames[0]
    assert list(decoder) == frames[1:3]
    assert decoder.next_frame() is None
    decoder.feed(data[-1:])
    assert decoder.next_frame() == frames[3]


def test_mask_rfc_and_involution(ws):
    assert ws.frames.mask(b"Hello", KEY) == bytes.fromhex("7f9f4d5158")
    assert ws.frames.mask(b"", KEY) == b""
    with pytest.raises(ValueError):
        ws.frames.mask(b"abc", b"123")


@FUZZ
@given(data=st.binary(max_size=2000), key=st.binary(min_size=4, max_size=4))
def test_mask_matches_definition_and_undoes_itself(ws, data, key):
    masked = ws.frames.mask(data, key)
    assert masked == bytes(b ^ key[i % 4] for i, b in enumerate(data))  # §5.3's definition
    assert ws.frames.mask(masked, key) == data


DECODER_1002 = {
    "unmasked client frame": bytes.fromhex("810548656c6c6f"),
    "RSV1": bytes([0xC1, 0x80]) + KEY,
    "RSV2": bytes([0xA1, 0x80]) + KEY,
    "RSV3": bytes([0x91, 0x80]) + KEY,
    "opcode 0x3": bytes([0x83, 0x80]) + KEY,
    "opcode 0x7": bytes([0x87, 0x80]) + KEY,
    "opcode 0xB": bytes([0x8B, 0x80]) + KEY,
    "opcode 0xF": bytes([0x8F, 0x80]) + KEY,
    "fragmented ping": bytes([0x09, 0x80]) + KEY,
    "fragmented close": bytes([0x08, 0x80]) + KEY,
    "ping of 126 bytes": bytes([0x89, 0xFE, 0x00, 0x7E]) + KEY + bytes(126),
    "close of 126 bytes": bytes([0x88, 0xFE, 0x00, 0x7E]) + KEY + bytes(126),
    "64-bit length with the top bit set": wire.header(wire.BINARY, 1 << 63, masked=True) + KEY,
}


@pytest.mark.parametrize("name", list(DECODER_1002))
def test_decoder_protocol_errors(ws, name):
    data = DECODER_1002[name]
    for cut in range(1, len(data) + 1):  # the error shows up as soon as the telling bytes are in
        decoder = ws.frames.FrameDecoder(expect_masked=True)
        decoder.feed(data[:cut])
        try:
            assert decoder.next_frame() is None
        except ws.ProtocolError as error:
            assert error.code == ws.CLOSE_PROTOCOL_ERROR
            break
    else:
        pytest.fail(f"{name}: no ProtocolError")


def test_decoder_masked_server_frame_is_an_error_for_a_client(ws):
    with pytest.raises(ws.ProtocolError) as info:
        decode_all(ws, bytes.fromhex("818537fa213d7f9f4d5158"), masked=False)
    assert info.value.code == ws.CLOSE_PROTOCOL_ERROR


def test_decoder_refuses_big_frame_from_header_alone(ws):
    decoder = ws.frames.FrameDecoder(expect_masked=True, max_payload=1000)
    decoder.feed(wire.header(wire.BINARY, 1 << 40, masked=True))  # no key, no payload yet
    with pytest.raises(ws.ProtocolError) as info:
        decoder.next_frame()
    assert info.value.code == ws.CLOSE_TOO_BIG
    ok = ws.frames.FrameDecoder(expect_masked=True, max_payload=1000)
    ok.feed(client_frame(ws, ws.OPCODE_BINARY, bytes(1000)))
    assert ok.next_frame() == ws.Frame(ws.OPCODE_BINARY, bytes(1000))


# ---- the connection ----------------------------------------------------------------------


def test_fragments_with_control_frames_between(ws):
    conn = ws.connection.Connection()
    data = (client_frame(ws, ws.OPCODE_TEXT, b"Hel", fin=False) + client_frame(ws, ws.OPCODE_PING, b"p1")
            + client_frame(ws, ws.OPCODE_CONTINUATION, b"lo, w", fin=False) + client_frame(ws, ws.OPCODE_PONG, b"p2")
            + client_frame(ws, ws.OPCODE_CONTINUATION, "örld".encode()[:2], fin=False)
            + client_frame(ws, ws.OPCODE_CONTINUATION, "örld".encode()[2:]))
    events = []
    for i in range(len(data)):
        events += conn.receive_data(data[i : i + 1])
    assert events == [ws.Ping(b"p1"), ws.Pong(b"p2"), ws.Message("Hello, wörld")]
    assert sent_frames(ws, conn) == [ws.Frame(ws.OPCODE_PONG, b"p1")]
    assert conn.state is ws.State.OPEN
    assert conn.receive_data(client_frame(ws, ws.OPCODE_BINARY, b"\x00\xff")) == [ws.Message(b"\x00\xff")]


def test_ping_gets_pong_with_same_payload(ws):
    conn = ws.connection.Connection()
    assert conn.receive_data(client_frame(ws, ws.OPCODE_PING, bytes(125))) == [ws.Ping(bytes(125))]
    assert sent_frames(ws, conn) == [ws.Frame(ws.OPCODE_PONG, bytes(125))]


def test_client_initiated_close(ws):
    conn = ws.connection.Connection()
    events = conn.receive_data(client_frame(ws, ws.OPCODE_CLOSE, wire.close_body(1000, "bye"))
                               + client_frame(ws, ws.OPCODE_TEXT, b"after close"))
    assert events == [ws.CloseReceived(1000, "bye")]
    assert [close_code(f) for f in sent_frames(ws, conn)] == [1000]
    assert conn.state is ws.State.CLOSED
    assert conn.receive_data(client_frame(ws, ws.OPCODE_TEXT, b"late")) == []
    assert conn.data_to_send() == b""


def test_empty_close_is_1005_and_answered_empty(ws):
    conn = ws.connection.Connection()
    assert conn.receive_data(client_frame(ws, ws.OPCODE_CLOSE)) == [ws.CloseReceived(1005, "")]
    assert sent_frames(ws, conn) == [ws.Frame(ws.OPCODE_CLOSE, b"")]


def test_server_initiated_close(ws):
    conn = ws.connection.Connection()
    conn.close(1001, "going away")
    assert sent_frames(ws, conn) == [ws.Frame(ws.OPCODE_CLOSE, wire.close_body(1001, "going away"))]
    assert conn.state is ws.State.CLOSING
    conn.send_text("not after a close")  # §5.5.1: no data frames after our Close
    assert conn.data_to_send() == b""
    assert conn.receive_data(client_frame(ws, ws.OPCODE_TEXT, b"still in flight")) == [ws.Message("still in flight")]
    assert conn.receive_data(client_frame(ws, ws.OPCODE_CLOSE, wire.close_body(1001))) == [ws.CloseReceived(1001, "")]
    assert conn.data_to_send() == b""  # never two Close frames
    assert conn.state is ws.State.CLOSED


FAILURES = [
    # (name, bytes builder, code, max_message_size)
    ("unmasked client frame", lambda ws: bytes.fromhex("810548656c6c6f"), 1002, None),
    ("RSV bits", lambda ws: bytes([0xF1, 0x80]) + KEY, 1002, None),
    ("unknown opcode", lambda ws: bytes([0x84, 0x80]) + KEY, 1002, None),
    ("64-bit length with its top bit set", lambda ws: wire.header(wire.BINARY, (1 << 63) | 5, masked=True) + KEY + bytes(5), 1002, None),
    ("fragmented ping", lambda ws: client_frame(ws, ws.OPCODE_PING, b"x", fin=False), 1002, None),
    ("oversized ping", lambda ws: client_frame(ws, ws.OPCODE_PING, bytes(126)), 1002, None),
    ("orphan continuation", lambda ws: client_frame(ws, ws.OPCODE_CONTINUATION, b"x"), 1002, None),
    ("interleaved message", lambda ws: client_frame(ws, ws.OPCODE_TEXT, b"a", fin=False) + client_frame(ws, ws.OPCODE_BINARY, b"b"), 1002, None),
    ("1-byte close body", lambda ws: client_frame(ws, ws.OPCODE_CLOSE, b"\x03"), 1002, None),
    ("close code 1006", lambda ws: client_frame(ws, ws.OPCODE_CLOSE, wire.close_body(1006)), 1002, None),
    ("close code 2999", lambda ws: client_frame(ws, ws.OPCODE_CLOSE, wire.close_body(2999)), 1002, None),
    ("close code 5000", lambda ws: client_frame(ws, ws.OPCODE_CLOSE, wire.close_body(5000)), 1002, None),
    ("invalid UTF-8", lambda ws: client_frame(ws, ws.OPCODE_TEXT, b"\xff"), 1007, None),
    ("surrogate in UTF-8", lambda ws: client_frame(ws, ws.OPCODE_TEXT, b"\xed\xa0\x80"), 1007, None),
    ("overlong UTF-8", lambda ws: client_frame(ws, ws.OPCODE_TEXT, b"\xc0\xaf"), 1007, None),
    ("truncated UTF-8 across fragments", lambda ws: client_frame(ws, ws.OPCODE_TEXT, b"\xe2\x82", fin=False) + client_frame(ws, ws.OPCODE_CONTINUATION, b""), 1007, None),
    ("close reason not UTF-8", lambda ws: client_frame(ws, ws.OPCODE_CLOSE, wire.close_body(1000) + b"\xff"), 1007, None),
    ("single frame over the limit", lambda ws: client_frame(ws, ws.OPCODE_BINARY, bytes(101)), 1009, 100),
    ("header of a huge frame", lambda ws: wire.header(wire.BINARY, 1 << 50, masked=True), 1009, 100),
    ("fragments over the limit", lambda ws: client_frame(ws, ws.OPCODE_TEXT, b"a" * 60, fin=False) + client_frame(ws, ws.OPCODE_CONTINUATION, b"a" * 60), 1009, 100),
]


@pytest.mark.parametrize("name, build, code, limit", FAILURES, ids=[f[0] for f in FAILURES])
def test_connection_failures(ws, name, build, code, limit):
    conn = ws.connection.Connection(**({"max_message_size": limit} if limit else {}))
    events = conn.receive_data(client_frame(ws, ws.OPCODE_TEXT, b"before") + build(ws))
    assert events == [ws.Message("before")]
    sent = sent_frames(ws, conn)
    assert [f.opcode for f in sent] == [ws.OPCODE_CLOSE] and close_code(sent[0]) == code
    assert conn.state is ws.State.CLOSED and conn.failure.code == code
    assert conn.receive_data(client_frame(ws, ws.OPCODE_TEXT, b"ignored")) == [] and conn.data_to_send() == b""


def test_limit_is_per_message(ws):
    """The size counter starts again at 0 for each message (§10.4's limit is on one message)."""
    conn = ws.connection.Connection(max_message_size=100)
    one = client_frame(ws, ws.OPCODE_TEXT, b"a" * 40, fin=False) + client_frame(ws, ws.OPCODE_CONTINUATION, b"a" * 40)
    assert conn.receive_data(one * 3) == [ws.Message("a" * 80)] * 3
    assert conn.state is ws.State.OPEN


def test_limit_is_inclusive(ws):
    conn = ws.connection.Connection(max_message_size=100)
    data = client_frame(ws, ws.OPCODE_BINARY, bytes(50), fin=False) + client_frame(ws, ws.OPCODE_CONTINUATION, bytes(50))
    assert conn.receive_data(data) == [ws.Message(bytes(100))]
    assert conn.state is ws.State.OPEN


@pytest.mark.parametrize("payload", [b"", b"x"], ids=["empty", "one-byte"])
def test_fragment_count_is_bounded_not_only_bytes(ws, payload):
    """Issue 16: FIN=0 then endless tiny continuations must end in 1009, not in unbounded memory."""
    conn = ws.connection.Connection(max_fragments=4)
    ping = client_frame(ws, ws.OPCODE_PING, b"?")  # control frames between fragments do not count
    fine = client_frame(ws, ws.OPCODE_TEXT, payload, fin=False) + ping + b"".join(
        client_frame(ws, ws.OPCODE_CONTINUATION, payload, fin=i == 2) for i in range(3))
    assert conn.receive_data(fine * 2) == [ws.Ping(b"?"), ws.Message((payload * 4).decode()),
                                           ws.Ping(b"?"), ws.Message((payload * 4).decode())]
    flood = client_frame(ws, ws.OPCODE_TEXT, payload, fin=False) + client_frame(ws, ws.OPCODE_CONTINUATION, payload, fin=False) * 10
    conn.receive_data(flood)
    assert [close_code(f) for f in sent_frames(ws, conn) if f.opcode == ws.OPCODE_CLOSE] == [1009]
    assert conn.state is ws.State.CLOSED and len(conn._fragments) == 4


# ---- properties --------------------------------------------------------------------------


def frame_strategy(ws_common):
    data = st.builds(lambda op, p, fin: ws_common.Frame(op, p, fin),
                     st.sampled_from([0x0, 0x1, 0x2]), st.binary(max_size=70_000) | st.binary(max_size=200), st.booleans())
    control = st.builds(lambda op, p: ws_common.Frame(op, p, True), st.sampled_from([0x8, 0x9, 0xA]), st.binary(max_size=125))
    return data | control


# Random bytes, often starting with a plausible header (a known opcode; a 125/126/127 length), cut
# often within the first dozen bytes, where the extended length and the masking key live.
FIRST_BYTE = st.sampled_from([0x00, 0x01, 0x02, 0x80, 0x81, 0x82, 0x88, 0x89, 0x8A])
SECOND_BYTE = st.sampled_from([0x7D, 0x7E, 0x7F, 0xFD, 0xFE, 0xFF])
STREAMS = st.builds(lambda b0, b1, rest: bytes([b0, b1]) + rest, FIRST_BYTE, SECOND_BYTE, st.binary(max_size=400)) | st.binary(max_size=400)
CUTS = st.lists(st.integers(0, 12) | st.integers(0, 402), max_size=8)


@FUZZ
@given(data=STREAMS, cuts=CUTS, masked=st.booleans())
def test_decoder_raises_only_protocol_errors(ws, data, cuts, masked):
    decoder = ws.frames.FrameDecoder(expect_masked=masked, max_payload=300)
    points = sorted({c for c in cuts if c <= len(data)} | {0, len(data)})
    try:
        for a, b in zip(points, points[1:]):
            decoder.feed(data[a:b])
            for frame in decoder:
                assert isinstance(frame, ws.Frame)
    except ws.ProtocolError as error:
        assert error.code in (ws.CLOSE_PROTOCOL_ERROR, ws.CLOSE_TOO_BIG)


@FUZZ
@given(st.data())
def test_split_valid_stream_gives_same_frames(ws, data):
    frames = data.draw(st.lists(frame_strategy(ws), min_size=1, max_size=6))
    masked = data.draw(st.booleans())
    keys = data.draw(st.lists(st.binary(min_size=4, max_size=4), min_size=len(frames), max_size=len(frames)))
    stream = b"".join(ws.frames.encode_frame(f, k if masked else None) for f, k in zip(frames, keys))
    cuts = data.draw(st.lists(st.integers(0, len(stream)), max_size=10))
    points = sorted(set(cuts) | {0, len(stream)})
    decoder = ws.frames.FrameDecoder(expect_masked=masked, max_payload=1 << 20)
    got = []
    for a, b in zip(points, points[1:]):
        decoder.feed(stream[a:b])
        got += list(decoder)
    assert got == frames
    assert decoder.next_frame() is None


@FUZZ
@given(chunks=st.lists(st.one_of(
    st.binary(max_size=60),
    st.builds(lambda op, p, fin: (op, p, fin), st.integers(0, 15), st.binary(max_size=130), st.booleans()),
), max_size=12))
def test_connection_never_raises(ws, chunks):
    """Whatever arrives (garbage, or frames valid and invalid), receive_data returns events or fails with a Close."""
    conn = ws.connection.Connection(max_message_size=500)
    for chunk in chunks:
        data = chunk if isinstance(chunk, bytes) else client_frame(ws, chunk[0], chunk[1], fin=chunk[2])
        before = conn.state
        events = conn.receive_data(data)
        assert all(isinstance(e, (ws.Message, ws.Ping, ws.Pong, ws.CloseReceived)) for e in events)
        sent = sent_frames(ws, conn)
        if conn.failure is not None and before is ws.State.OPEN:
            assert sent[-1].opcode == ws.OPCODE_CLOSE and close_code(sent[-1]) == conn.failure.code
            assert conn.state is ws.State.CLOSED
