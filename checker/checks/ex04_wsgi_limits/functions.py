"""Ring 1: the plain functions of lesson 04, called directly."""

from __future__ import annotations

import math

from checker.api import CheckFailed, Context

# (pool_size, held, hold_seconds) -> seconds. Every pool size is pinned at its boundary: N - 1 held
# requests leave a worker free, exactly N fill the pool (one wave to wait), N + 1 still one wave.
WAITS = [((4, 0, 5.0), 0.0), ((4, 2, 5.0), 0.0), ((4, 3, 5.0), 0.0), ((4, 4, 5.0), 5.0), ((4, 5, 5.0), 5.0),
         ((4, 7, 5.0), 5.0), ((4, 8, 5.0), 10.0), ((4, 9, 2.0), 4.0), ((1, 0, 2.0), 0.0), ((1, 1, 2.0), 2.0),
         ((1, 3, 2.0), 6.0), ((3, 2, 1.5), 0.0), ((3, 3, 1.5), 1.5), ((3, 4, 1.5), 1.5), ((3, 6, 1.5), 3.0),
         ((8, 8, 0.5), 0.5), ((4, 12, 0.0), 0.0)]
REFUSED = [((0, 1, 1.0), "a pool without workers"), ((4, -1, 1.0), "a negative number of requests"),
           ((4, 1, -1.0), "a negative duration"), ((2.5, 1, 1.0), "half a worker")]


def check_predicted_wait(ctx: Context) -> None:
    pool = ctx.import_learner("pool")
    for args, expected in WAITS:
        ctx.step(f"predicted_wait{args}")
        got = pool.predicted_wait(*args)
        if not isinstance(got, (int, float)) or isinstance(got, bool) or not math.isclose(got, expected, abs_tol=1e-9):
            pool_size, held, hold = args
            raise CheckFailed(f"predicted_wait(pool_size={pool_size}, held={held}, hold_seconds={hold:g}) returned "
                              f"{got!r}; expected {expected:g}.{_boundary_note(pool_size, held)} The first "
                              f"{pool_size} long requests start at once, the next {pool_size} when those end, and so "
                              f"on; the ordinary request is number {held} in the queue (counting from 0).")
    for args, why in REFUSED:
        ctx.step(f"predicted_wait{args} must raise ValueError")
        try:
            got = pool.predicted_wait(*args)
        except ValueError:
            continue
        raise CheckFailed(f"predicted_wait{args} returned {got!r}; it should raise ValueError ({why}).")


def _boundary_note(pool_size: int, held: int) -> str:
    if held == pool_size - 1:
        return f" With {held} of {pool_size} workers busy, one is still free: the ordinary request starts at once."
    if held == pool_size:
        return (f" With exactly {held} requests held, all {pool_size} workers are busy: the ordinary request waits "
                "for the first wave to end (an off-by-one at the boundary?).")
    return ""


KEY = "dGhlIHNhbXBsZSBub25jZQ=="
YES = [("a browser's upgrade request", {}),
       ("Connection: keep-alive, Upgrade (Firefox)", {"HTTP_CONNECTION": "keep-alive, Upgrade"}),
       ("Upgrade: WebSocket in other case", {"HTTP_UPGRADE": "WebSocket"}),
       ("Upgrade: h2c, websocket (two protocols offered)", {"HTTP_UPGRADE": "h2c, websocket"}),
       ("Connection: upgrade in lower case", {"HTTP_CONNECTION": "upgrade"})]
NO = [("a POST", {"REQUEST_METHOD": "POST"}),
      ("no Upgrade header (a plain GET)", {"HTTP_UPGRADE": None}),
      ("Upgrade: h2c", {"HTTP_UPGRADE": "h2c"}),
      ("Connection: keep-alive only", {"HTTP_CONNECTION": "keep-alive"}),
      ("no Sec-WebSocket-Key", {"HTTP_SEC_WEBSOCKET_KEY": None}),
      ("Sec-WebSocket-Version: 8", {"HTTP_SEC_WEBSOCKET_VERSION": "8"}),
      ("no Sec-WebSocket-Version", {"HTTP_SEC_WEBSOCKET_VERSION": None})]
# Tokens that contain the right word but are other tokens: a substring test accepts them.
SUBSTRINGS = [("Upgrade: notwebsocket", {"HTTP_UPGRADE": "notwebsocket"}),
              ("Upgrade: websocket2", {"HTTP_UPGRADE": "websocket2"}),
              ("Connection: keep-alive, upgraded", {"HTTP_CONNECTION": "keep-alive, upgraded"}),
              ("Connection: Upgrade-Insecure-Requests", {"HTTP_CONNECTION": "Upgrade-Insecure-Requests"})]


def _environ(**changes) -> dict:
    environ = {"REQUEST_METHOD": "GET", "PATH_INFO": "/echo", "SERVER_PROTOCOL": "HTTP/1.1",
               "HTTP_HOST": "127.0.0.1:8001", "HTTP_UPGRADE": "websocket", "HTTP_CONNECTION": "Upgrade",
               "HTTP_SEC_WEBSOCKET_KEY": KEY, "HTTP_SEC_WEBSOCKET_VERSION": "13", "wsgi.input": None}
    for name, value in changes.items():
        if value is None:
            environ.pop(name, None)
        else:
            environ[name] = value
    return environ


def check_websocket_request(ctx: Context) -> None:
    ws = ctx.import_learner("uwsgi_ws")
    nothing = ("no headers at all", {k: None for k in _environ() if k.startswith("HTTP_")})
    headers = ("Headers arrive as environ['HTTP_UPGRADE'], environ['HTTP_CONNECTION'], ...; compare Upgrade and "
               "Connection as comma-separated, case-insensitive tokens.")
    tokens = ("That value contains the word you look for, but as part of another token: a substring test "
              "('websocket' in value) accepts it. Split the header on ',', strip and lower-case each token, and "
              "look for the whole token in that list.")
    for expected, cases, hint in ((True, YES, headers), (False, NO + [nothing], headers), (False, SUBSTRINGS, tokens)):
        for what, changes in cases:
            ctx.step(f"is_websocket_request({what})")
            got = ws.is_websocket_request(_environ(**changes))
            if got is not expected:
                raise CheckFailed(f"is_websocket_request() returned {got!r} for {what}; expected {expected}. {hint}")
