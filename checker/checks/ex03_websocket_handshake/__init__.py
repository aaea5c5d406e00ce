"""Checks for lesson 03: a WebSocket server from a raw socket (RFC 6455), by ring.

- **functions** (sans-I/O: bytes in, events and bytes out; no socket, no clock):
  ``opening`` (handshake.py), ``framing`` (frames.py), ``state_machine`` and ``violations``
  (connection.py), ``fuzzing`` (hypothesis on the decoder).
- **server**: ``interop``, the lesson's asyncio server (started by ``lessons/03-.../launch.py``)
  running the learner's code, with the ``websockets`` library's client.
- **browser**: ``browser``, headless Chromium's WebSocket: echo, and two tabs chatting.

The frames these checks send are built by ``checker.probes.wire``, an oracle independent of the
learner's ``encode_frame``, so a bug in one function fails one check, not all of them.
"""

from __future__ import annotations

from checker.checks import register

from .browser import check_browser_chat, check_browser_echo
from .framing import check_decode_frame, check_encode_frame, check_masking
from .fuzzing import check_fuzz_decoder
from .interop import check_websockets_client
from .opening import check_accept_key, check_handshake_accepts, check_handshake_rejects
from .state_machine import check_close_handshake, check_fragmentation, check_ping_pong
from .violations import check_fragment_flood, check_invalid_utf8, check_message_too_big, check_protocol_errors

# Imported by the zygote of `checker watch` (checker/zygote.py, held for the session) before it forks
# a grading. fuzz_decoder replays its examples from a file and runs Hypothesis (0.3 s to import) only
# to shrink a failing one, which a learner working on the decoder meets save after save. It starts no
# thread and opens nothing at import; its database folder is set in the check, after the fork.
WARM_IMPORTS = ("hypothesis", "hypothesis.strategies", "hypothesis.configuration")

CHECKS = register(
    check_accept_key, check_handshake_accepts, check_handshake_rejects, check_encode_frame,
    check_decode_frame, check_masking, check_fragmentation, check_ping_pong, check_close_handshake,
    check_protocol_errors, check_invalid_utf8, check_message_too_big, check_fragment_flood, check_fuzz_decoder,
    check_websockets_client, check_browser_echo, check_browser_chat,
)
