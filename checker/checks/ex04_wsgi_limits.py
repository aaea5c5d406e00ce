"""Checks for lesson 04 (WSGI's limits): queueing arithmetic, a real fixed pool, real uWSGI WebSockets.

- ``predicted_wait`` and ``is_websocket_request`` are plain functions, called directly.
- ``probe`` runs against the lesson's fixed-pool WSGI server (4 worker threads) in this grading
  process; the server's own request log says what the learner's probe really sent.
- The uWSGI checks start the real ``uwsgi`` binary (one master, one worker process, a few
  threads, ``--die-on-term``) on a free loopback port with the learner's ``uwsgi_ws.py`` on its
  path, and talk to it with the ``websockets`` client and headless Chromium. Each group starts
  its own uWSGI, so a worker leaked by one check cannot break another. Problems in the learner's
  code inside uWSGI are read back from uWSGI's log (lines starting with ``[workshop]``).
"""

from __future__ import annotations

import math
import os
import time
from urllib.parse import parse_qs

from checker.checks import register
from checker.api import CheckFailed, CheckSkipped, Context

POOL_WORKERS = 4
HOLD = 0.5
SETTLE = 0.15


# -- part 1: the pool ------------------------------------------------------------------------
def check_predicted_wait(ctx: Context) -> None:
    pool = ctx.import_learner("pool")
    cases = [((4, 0, 5.0), 0.0), ((4, 2, 5.0), 0.0), ((4, 3, 5.0), 0.0), ((4, 4, 5.0), 5.0), ((4, 7, 5.0), 5.0),
             ((4, 8, 5.0), 10.0), ((4, 9, 2.0), 4.0), ((1, 3, 2.0), 6.0), ((8, 8, 0.5), 0.5), ((4, 12, 0.0), 0.0)]
    for args, expected in cases:
        ctx.step(f"predicted_wait{args}")
        got = pool.predicted_wait(*args)
        if not isinstance(got, (int, float)) or isinstance(got, bool) or not math.isclose(got, expected, abs_tol=1e-9):
            pool_size, held, hold = args
            raise CheckFailed(f"predicted_wait(pool_size={pool_size}, held={held}, hold_seconds={hold:g}) returned "
                              f"{got!r}; expected {expected:g}. The first {pool_size} long requests start at once, the "
                              f"next {pool_size} when those end, and so on; the ordinary request is number {held} in "
                              "the queue (counting from 0).")
    for args, why in [((0, 1, 1.0), "a pool without workers"), ((4, -1, 1.0), "a negative number of requests"),
                      ((4, 1, -1.0), "a negative duration"), ((2.5, 1, 1.0), "half a worker")]:
        ctx.step(f"predicted_wait{args} must raise ValueError")
        try:
            got = pool.predicted_wait(*args)
        except ValueError:
            continue
        raise CheckFailed(f"predicted_wait{args} returned {got!r}; it should raise ValueError ({why}).")


def _pool(ctx: Context):
    """The lesson's fixed-pool server with the plain WSGI app, shared by the checks of one worker."""
    from pool_server import BackgroundPool
    from slowapp import make_app

    def factory():
        holder: dict = {}
        pool = BackgroundPool(lambda environ, start_response: holder["app"](environ, start_response),
                              workers=POOL_WORKERS)
        holder["app"] = make_app(pool=pool.server)
        return pool

    return ctx.resource("pool", factory)


def check_probe(ctx: Context) -> None:
    pool = ctx.import_learner("pool")
    server = _pool(ctx)
    for held in (0, 2, 4, 8):
        server.server.clear_log()
        ctx.step(f"probe(url, held={held}, hold_seconds={HOLD}, settle={SETTLE}) against a pool of {POOL_WORKERS}")
        elapsed = pool.probe(server.url, held, HOLD, SETTLE)
        returned = time.monotonic()
        deadline = returned + 0.5  # the server notes a request's end just after the client has its answer
        while time.monotonic() < deadline and (server.server.stats()["busy"]
                                               or any(r.finished is None for r in server.server.log)):
            time.sleep(0.01)
        log = list(server.server.log)
        slow = [r for r in log if r.path == "/slow"]
        pings = [r for r in log if r.path == "/ping"]
        if len(slow) != held:
            raise CheckFailed(f"probe(held={held}) sent {len(slow)} requests to /slow; expected {held}, all at once "
                              "(one thread each).")
        asked = {parse_qs(r.query).get("seconds", ["?"])[0] for r in slow}
        if any(_number(value) != HOLD for value in asked):
            raise CheckFailed(f"probe(hold_seconds={HOLD}) asked for /slow?seconds={', '.join(sorted(asked))}; "
                              f"expected seconds={HOLD}.")
        if len(pings) != 1:
            raise CheckFailed(f"probe(held={held}) sent {len(pings)} requests to /ping; expected exactly one, "
                              "the one it times.")
        ping = pings[0]
        if slow and ping.accepted < max(r.accepted for r in slow):
            raise CheckFailed(f"probe(held={held}): GET /ping reached the server before the last GET /slow. Start the "
                              "slow requests first and sleep `settle` seconds before timing the ping.")
        if any(r.finished is None or r.finished > returned + 0.05 for r in slow):
            raise CheckFailed(f"probe(held={held}) returned while requests were still running on the server; join() "
                              "the threads of the slow requests before returning, so that probes do not overlap.")
        if not isinstance(elapsed, (int, float)) or isinstance(elapsed, bool):
            raise CheckFailed(f"probe(held={held}) returned {elapsed!r}; expected the time of GET /ping in seconds "
                              "(a float).")
        on_server = ping.finished - ping.accepted
        if abs(elapsed - on_server) > 0.15:
            raise CheckFailed(f"probe(held={held}) returned {elapsed:.3f} s, but the server saw GET /ping take "
                              f"{on_server:.3f} s from its arrival to its answer. Time only the ping: "
                              "time.monotonic() right before and right after it.")
        # Judge by what the server saw (robust to a busy laptop), not by wall-clock thresholds.
        if held >= POOL_WORKERS:
            if ping.accepted >= min(r.finished for r in slow):
                raise CheckFailed(f"probe(held={held}): GET /ping arrived after the slow requests had finished, so it "
                                  "never met a busy pool. Send the ping while they are still being served (start "
                                  "them in threads, sleep `settle`, then time the ping).")
            # FIFO: the ping is request number held + 1, so it gets the worker freed by finish number held - pool + 1.
            must_follow = sorted(r.finished for r in slow)[held - POOL_WORKERS]
            if ping.started < must_follow - 0.02:
                raise CheckFailed(f"probe(held={held}): the server started GET /ping before a worker was free; "
                                  "were the slow requests really in flight, all at once, when the ping was sent?")
        elif ping.started - ping.accepted > 0.5:
            raise CheckFailed(f"probe(held={held}): GET /ping waited {ping.started - ping.accepted:.2f} s for a worker "
                              f"although only {held} of {POOL_WORKERS} were busy. Hold exactly `held` slow requests.")


def _number(text: str) -> float | None:
    try:
        return float(text)
    except ValueError:
        return None


# -- part 2: WebSockets on uWSGI ------------------------------------------------------------
KEY = "dGhlIHNhbXBsZSBub25jZQ=="


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
    yes = [("a browser's upgrade request", {}),
           ("Connection: keep-alive, Upgrade (Firefox)", {"HTTP_CONNECTION": "keep-alive, Upgrade"}),
           ("Upgrade: WebSocket in other case", {"HTTP_UPGRADE": "WebSocket"}),
           ("Connection: upgrade in lower case", {"HTTP_CONNECTION": "upgrade"})]
    no = [("a POST", {"REQUEST_METHOD": "POST"}),
          ("no Upgrade header (a plain GET)", {"HTTP_UPGRADE": None}),
          ("Upgrade: h2c", {"HTTP_UPGRADE": "h2c"}),
          ("Connection: keep-alive only", {"HTTP_CONNECTION": "keep-alive"}),
          ("no Sec-WebSocket-Key", {"HTTP_SEC_WEBSOCKET_KEY": None}),
          ("Sec-WebSocket-Version: 8", {"HTTP_SEC_WEBSOCKET_VERSION": "8"}),
          ("no Sec-WebSocket-Version", {"HTTP_SEC_WEBSOCKET_VERSION": None}),
          ("no headers at all", {k: None for k in _environ() if k.startswith("HTTP_")})]
    for expected, cases in ((True, yes), (False, no)):
        for what, changes in cases:
            ctx.step(f"is_websocket_request({what})")
            got = ws.is_websocket_request(_environ(**changes))
            if got is not expected:
                raise CheckFailed(f"is_websocket_request() returned {got!r} for {what}; expected {expected}. Headers "
                                  "arrive as environ['HTTP_UPGRADE'], environ['HTTP_CONNECTION'], ...; compare "
                                  "Upgrade and Connection as comma-separated, case-insensitive tokens.")


def _uwsgi(ctx: Context, threads: int):
    """A running uWSGI (one process, ``threads`` threads) with the learner's code: (server, ws base url)."""
    import uwsgi_runner

    binary = uwsgi_runner.find_uwsgi()
    if binary is None:
        if os.environ.get("CI", "").lower() in ("1", "true", "yes"):
            raise CheckFailed(uwsgi_runner.INSTALL_HINT + "\n(CI=true: uWSGI is required here.)")
        raise CheckSkipped(uwsgi_runner.INSTALL_HINT)
    port = ctx.free_port()
    ctx.step(f"starting uWSGI with 1 process and {threads} threads on port {port}")
    server = ctx.start_process(uwsgi_runner.command(binary, port, threads=threads), port=port,
                               env=uwsgi_runner.environment(ctx.exercise_dir), key=f"uwsgi-{threads}")
    return server, f"ws://127.0.0.1:{server.port}"  # a shared server keeps the port it started on


class _Log:
    """Lines that uWSGI's log gained since this object was made (only the ``[workshop]`` ones)."""

    def __init__(self, server):
        self.server = server
        self.start = server.log_path.stat().st_size if server.log_path.exists() else 0

    def problems(self) -> list[str]:
        time.sleep(0.05)  # let uWSGI flush what it printed while the connection ended
        with open(self.server.log_path, "rb") as log:
            log.seek(self.start)
            text = log.read().decode("utf-8", "replace")
        found: list[str] = []
        for line in text.splitlines():
            if line.startswith("[workshop]"):
                line = line[len("[workshop]"):].strip()
                if line and line not in found:
                    found.append(line)
        return found[:6]

    def raise_problems(self, during: str, about: str = "") -> None:
        problems = self.problems()
        if about and any(about in line for line in problems):
            problems = [line for line in problems if about in line]  # the page opens /echo and /chat
        if problems:
            raise CheckFailed(f"While {during}, your code failed inside uWSGI:\n    " + "\n    ".join(problems))


def _failure(exc: BaseException) -> str:
    from websockets.exceptions import InvalidStatus

    if isinstance(exc, InvalidStatus):
        response = exc.response
        problem = response.headers.get("X-Workshop-Error") or response.body.decode("utf-8", "replace")[:300]
        return f"the handshake was answered with HTTP {response.status_code} instead of 101: {problem}"
    from websockets.exceptions import ConnectionClosed

    if isinstance(exc, ConnectionClosed) and exc.sent is not None and exc.sent.code == 1007:
        return ("your server sent a text message whose bytes are not valid UTF-8, and the client closed the "
                "connection (1007). Bytes that do not decode as UTF-8 must go back with websocket_send_binary.")
    if isinstance(exc, (TimeoutError, OSError)) and not str(exc):
        return "no answer to the handshake in time (is a worker thread free? did the handshake happen?)"
    return f"{type(exc).__name__}: {exc}"


def _talk(ctx: Context, log: _Log, during: str, coroutine_function, *args, timeout: float = 8.0):
    try:
        problems = ctx.run_async(coroutine_function, *args, timeout=timeout)
    except CheckFailed as failed:
        log.raise_problems(during)
        raise CheckFailed(f"{during}: {failed}") from None
    except Exception as exc:  # noqa: BLE001 - the client's view of what went wrong
        log.raise_problems(during)
        raise CheckFailed(f"{during}: {_failure(exc)}") from None
    log.raise_problems(during)
    if problems:
        raise CheckFailed(f"{during}:\n- " + "\n- ".join(problems))


TEXT_SIZES = [0, 1, 125, 126, 65535, 65536, 200_000]
BINARY_SIZES = [1, 2, 125, 126, 65536, 200_000]


def _text(n: int) -> str:
    return ("é✓a" * (n // 3 + 1))[:n]


def _binary(n: int) -> bytes:
    return bytes([0xFF]) + bytes((i * 7 + 0x80) & 0xFF for i in range(n - 1))  # never valid UTF-8


async def _echo_session(base: str) -> list[str]:
    import asyncio

    from websockets.asyncio.client import connect

    problems: list[str] = []
    async with connect(f"{base}/echo", max_size=None, open_timeout=3, close_timeout=3) as ws:
        for n in TEXT_SIZES:
            await ws.send(_text(n))
            back = await asyncio.wait_for(ws.recv(), 3)
            if back != _text(n):
                kind = f"text of {len(back)} characters" if isinstance(back, str) else f"binary ({len(back)} bytes)"
                problems.append(f"a {n}-character text message came back as {kind}")
                return problems
        for n in BINARY_SIZES:
            await ws.send(_binary(n))
            back = await asyncio.wait_for(ws.recv(), 3)
            if back != _binary(n):
                kind = "text" if isinstance(back, str) else f"{len(back)} other bytes"
                problems.append(f"a {n}-byte binary message (not valid UTF-8) came back as {kind}; send bytes that "
                                "do not decode as UTF-8 with websocket_send_binary")
                return problems
    # The worker must be free again: uWSGI here has ONE thread, so a second conversation only
    # starts if the first one's request really ended.
    for attempt in (1, 2):
        try:
            async with connect(f"{base}/echo", open_timeout=2, close_timeout=3) as ws:
                await ws.send(f"again {attempt}")
                if await asyncio.wait_for(ws.recv(), 2) != f"again {attempt}":
                    problems.append(f"conversation {attempt + 1} got a wrong echo")
        except (TimeoutError, asyncio.TimeoutError):
            problems.append(f"after the client closed, conversation {attempt + 1} got no handshake within 2 s: uWSGI "
                            "runs ONE thread here, so the first conversation still holds it. Does echo() return "
                            "when websocket_recv() raises OSError?")
            break
    return problems


def check_uwsgi_echo(ctx: Context) -> None:
    ctx.import_learner("uwsgi_ws")
    server, base = _uwsgi(ctx, threads=1)
    log = _Log(server)
    ctx.step(f"the websockets client sends text and binary messages to {base}/echo, closes, and comes back twice")
    _talk(ctx, log, "talking to /echo on uWSGI with the websockets client", _echo_session, base, timeout=10)


async def _chat_session(base: str) -> list[str]:
    import asyncio

    from websockets.asyncio.client import connect

    async def expect(ws, who: str, wanted: list[str]) -> str | None:
        got: list[str] = []
        try:
            while len(got) < len(wanted):
                got.append(await asyncio.wait_for(ws.recv(), 1.5))
        except (TimeoutError, asyncio.TimeoutError):
            pass
        if got != wanted:
            return f"{who} received {got!r}; expected {wanted!r} (every message, in order, within 1.5 s)"
        return None

    problems: list[str] = []
    ada = await connect(f"{base}/chat", open_timeout=2)
    bob = await connect(f"{base}/chat", open_timeout=2)
    try:
        await ada.send("hello from Ada")
        for ws, who in ((ada, "Ada (the author)"), (bob, "Bob")):
            if problem := await expect(ws, who, ["hello from Ada"]):
                return [problem]
        burst = [f"Bob {i}" for i in range(5)]
        for text in burst:
            await bob.send(text)
        for ws, who in ((ada, "Ada"), (bob, "Bob (the author)")):
            if problem := await expect(ws, who, burst):
                return [problem]
        cyd = await connect(f"{base}/chat", open_timeout=2)
        try:
            await cyd.send("Cyd joined late")
            for ws, who in ((ada, "Ada"), (bob, "Bob"), (cyd, "Cyd (who joined after the first messages)")):
                if problem := await expect(ws, who, ["Cyd joined late"]):
                    return [problem + ("; a newcomer gets only the messages posted after it joined: start the "
                                       "cursor at room.last_id()" if ws is cyd else "")]
        finally:
            await cyd.close()
        await bob.close()
        await ada.send("Bob left")
        if problem := await expect(ada, "Ada, after Bob left", ["Bob left"]):
            return [problem]
    finally:
        await ada.close()
        await bob.close()
    # uWSGI runs 3 threads here: a new pair can only talk if the old conversations ended.
    try:
        dee = await connect(f"{base}/chat", open_timeout=2)
        eve = await connect(f"{base}/chat", open_timeout=2)
    except (TimeoutError, asyncio.TimeoutError):
        return ["after Ada, Bob and Cyd closed, a new member got no handshake within 2 s: uWSGI runs 3 threads "
                "here and the old conversations still hold them. Does chat() return on OSError?"]
    try:
        await dee.send("fresh start")
        if problem := await expect(eve, "a member of a new conversation", ["fresh start"]):
            problems.append(problem)
    finally:
        await dee.close()
        await eve.close()
    return problems


def check_uwsgi_chat(ctx: Context) -> None:
    ctx.import_learner("uwsgi_ws")
    server, base = _uwsgi(ctx, threads=3)
    log = _Log(server)
    ctx.step(f"three websockets clients chat through {base}/chat")
    _talk(ctx, log, "chatting through /chat on uWSGI with websockets clients", _chat_session, base, timeout=12)


# -- the page in Chromium -----------------------------------------------------------------------
ECHO_JS = """
async () => {
  const ws = window.echoSocket;
  const queue = [];
  let wake = null;
  ws.onmessage = (e) => { queue.push(e.data); if (wake) { wake(); wake = null; } };
  const opened = await new Promise((resolve) => {
    if (ws.readyState === 1) return resolve(true);
    if (ws.readyState > 1) return resolve(false);
    ws.addEventListener("open", () => resolve(true));
    ws.addEventListener("close", () => resolve(false));
    setTimeout(() => resolve(ws.readyState === 1), 3000);
  });
  if (!opened) return ["the page's WebSocket to /echo did not open (the handshake failed or timed out)"];
  const next = async () => {
    if (!queue.length) await new Promise((r) => { wake = r; setTimeout(r, 3000); });
    return queue.shift();
  };
  // Up to 64 KB: Chromium splits bigger messages into fragments, which uWSGI 2.0 mishandles (see the README).
  for (const n of [1, 200, 20000]) {
    const text = "ü✓z".repeat(n).slice(0, n);
    ws.send(text);
    const back = await next();
    if (back !== text) return [back === undefined ? `a ${n}-character text message got no echo within 3 s`
                                                 : `a ${n}-character text message came back as ${typeof back}`];
    const bytes = new Uint8Array(n).map((_, i) => (i === 0 ? 0xff : (i * 13) & 255));
    ws.send(bytes.buffer);
    const bin = await next();
    const same = bin instanceof ArrayBuffer && bin.byteLength === n && new Uint8Array(bin).every((b, i) => b === bytes[i]);
    if (!same) return [bin === undefined ? `a ${n}-byte binary message got no echo within 3 s`
                                         : `a ${n}-byte binary message came back as ${typeof bin === "string" ? "text" : "other bytes"}`];
  }
  const closed = new Promise((resolve) => { ws.onclose = (e) => resolve(e.wasClean); setTimeout(() => resolve(null), 3000); });
  ws.close(1000, "bye");
  const clean = await closed;
  if (clean === null) return ["the close handshake did not finish within 3 s"];
  return clean ? [] : ["the connection did not close cleanly"];
}
"""


def check_browser_echo(ctx: Context) -> None:
    ctx.import_learner("uwsgi_ws")
    server, base = _uwsgi(ctx, threads=8)
    log = _Log(server)
    page = ctx.new_page()
    url = base.replace("ws://", "http://") + "/"
    ctx.step(f"Chromium opens {url} and echoes text and binary messages through its WebSocket to /echo")
    page.goto(url)
    try:
        problems = page.evaluate(ECHO_JS)
    except Exception as exc:  # noqa: BLE001 - Playwright errors become a message
        log.raise_problems("Chromium used /echo", "echo()")
        raise CheckFailed(f"Chromium's echo test did not finish: {exc}") from None
    log.raise_problems("Chromium used /echo", "echo()")
    if problems:
        raise CheckFailed("Headless Chromium's WebSocket against /echo on uWSGI:\n- " + "\n- ".join(problems)
                          + "\nOpen the page from `python -m checker serve 04` (the uWSGI link) and watch its terminal.")


def check_browser_chat(ctx: Context) -> None:
    from playwright.sync_api import TimeoutError as PlaywrightTimeout

    ctx.import_learner("uwsgi_ws")
    server, base = _uwsgi(ctx, threads=8)
    log = _Log(server)
    url = base.replace("ws://", "http://") + "/"
    ada = ctx.new_page()
    bob = ada.context.new_page()
    bob.set_default_timeout(5000)

    def wait(page, expression: str, failure: str) -> None:
        try:
            page.wait_for_function(expression, timeout=3000)
        except PlaywrightTimeout:
            log.raise_problems("two Chromium tabs chatted through /chat", "chat()")
            raise CheckFailed(failure) from None

    ctx.step("two Chromium tabs open the uWSGI page")
    for page, name in ((ada, "Ada"), (bob, "Bob")):
        page.goto(url)
        wait(page, "() => window.chatSocket && [1, 3].includes(window.chatSocket.readyState)",
             f"{name}'s tab: the WebSocket to /chat neither opened nor closed within 3 s.")
        if page.evaluate("window.chatSocket.readyState") != 1:
            log.raise_problems(f"{name}'s tab opened /chat", "chat()")
            raise CheckFailed(f"{name}'s tab could not open its WebSocket to /chat (the handshake failed).")
        page.fill("#name", name)
    ctx.step("Ada types a message; both tabs must show it")
    ada.fill("#message", "hello from Ada")
    ada.press("#message", "Enter")
    for page, who in ((bob, "Bob's"), (ada, "Ada's own")):
        wait(page, "() => document.querySelector('#log').textContent.includes('Ada: hello from Ada')",
             f"Ada sent 'hello from Ada' through /chat, but {who} tab did not show it within 3 s.")
    ctx.step("Bob answers; Ada's tab must show it")
    bob.fill("#message", "hi Ada")
    bob.click("#send")
    wait(ada, "() => document.querySelector('#log').textContent.includes('Bob: hi Ada')",
         "Bob sent 'hi Ada' through /chat, but Ada's tab did not show it within 3 s.")
    log.raise_problems("two Chromium tabs chatted through /chat", "chat()")


CHECKS = register(
    check_predicted_wait, check_probe, check_websocket_request, check_uwsgi_echo, check_uwsgi_chat,
    check_browser_echo, check_browser_chat,
)
