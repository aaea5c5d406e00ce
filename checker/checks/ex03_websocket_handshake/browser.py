"""Ring "browser": headless Chromium's own WebSocket against the lesson's server.

- ``browser_echo``: text and binary of every length form come back unchanged; a clean close 4000.
- ``browser_chat``: two tabs of the chat page talk through /chat.

Every wait is for a state: the socket's ``readyState``, the page's "N online" presence count
(``#online[data-online]``, which the server sends when a tab joins the room), a line in a log.
"""

from __future__ import annotations

import json

from checker.api import CheckFailed, Context
from checker.probes import page as pages

from .interop import lesson_server, raise_server_error

ECHO_SIZES = [0, 1, 125, 126, 65535, 65536, 200_000]
WAIT = 3  # seconds for one state (scaled)
SLICE = 0.15  # seconds per slice of a wait, so that an exception in the server is reported at once

ECHO_JS = """
async ([url, sizes, waitMs]) => {
  const problems = [];
  const ws = new WebSocket(url);
  ws.binaryType = "arraybuffer";
  const queue = [];
  let wake = null;
  ws.onmessage = (e) => { queue.push(e.data); if (wake) { wake(); wake = null; } };
  const closed = new Promise((resolve) => {
    ws.onclose = (e) => { if (wake) { wake(); wake = null; } resolve({code: e.code, reason: e.reason, clean: e.wasClean}); };
  });
  const opened = await Promise.race([
    new Promise((resolve) => { ws.onopen = () => resolve(true); }),
    closed.then(() => false),
  ]);
  if (!opened) return ["the browser could not open a WebSocket to " + url + " (the handshake failed or the connection closed)"];
  const seconds = (waitMs / 1000).toFixed(1);
  const next = async () => {  // the next message, or undefined after waitMs without one
    if (!queue.length) await new Promise((r) => { wake = r; setTimeout(r, waitMs); });
    return queue.shift();
  };
  const state = () => (ws.readyState === 1 ? "the connection is still open" : "the connection was closed");
  for (const n of sizes) {
    const text = "é✓a".repeat(Math.ceil(n / 3)).slice(0, n);
    ws.send(text);
    const back = await next();
    if (back !== text) { problems.push(back === undefined ? `a ${n}-character text message got no echo within ${seconds} s (${state()})` : `a ${n}-character text message came back as ${typeof back} of length ${back.length ?? back.byteLength}`); break; }
    const bytes = new Uint8Array(n).map((_, i) => (i * 7) & 255);
    ws.send(bytes.buffer);
    const bin = await next();
    const same = bin instanceof ArrayBuffer && bin.byteLength === n && new Uint8Array(bin).every((b, i) => b === bytes[i]);
    if (!same) { problems.push(bin === undefined ? `a ${n}-byte binary message got no echo within ${seconds} s (${state()})` : `a ${n}-byte binary message came back as ${typeof bin === "string" ? "text" : bin.constructor.name} of length ${bin.byteLength ?? bin.length}`); break; }
  }
  ws.close(4000, "bye from chromium");
  const result = await Promise.race([closed, new Promise((r) => setTimeout(() => r(null), waitMs))]);
  if (!result) problems.push(`the close handshake did not finish within ${seconds} s`);
  else if (!result.clean || result.code !== 4000) problems.push(`the close was ${result.clean ? "clean" : "not clean"} with code ${result.code} (expected a clean close echoing 4000)`);
  return problems;
}
"""


def check_browser_echo(ctx: Context) -> None:
    server = lesson_server(ctx)
    page = ctx.new_page()
    ctx.step(f"Chromium opens {server.url}")
    page.goto(server.url)
    ctx.step("Chromium's WebSocket echoes text and binary messages through /echo, then closes with 4000")
    try:
        problems = page.evaluate(ECHO_JS, [server.ws_url("/echo"), ECHO_SIZES, ctx.timeout(WAIT) * 1000])
    except Exception as exc:  # noqa: BLE001 - Playwright errors become a message
        _browser_problem(ctx, server, "Chromium talked to /echo", exc)
        raise
    _browser_problem(ctx, server, "Chromium talked to /echo")
    if problems:
        raise CheckFailed("Headless Chromium's WebSocket against your server's /echo:\n- " + "\n- ".join(problems))


def check_browser_chat(ctx: Context) -> None:
    server = lesson_server(ctx)
    ctx.step("two Chromium tabs open the chat page")
    ada = ctx.new_page()
    bob = ada.context.new_page()  # a second tab of the same browser window (closed with it)
    bob.set_default_timeout(ctx.timeout(5) * 1000)
    bob.on("pageerror", lambda err: ctx.console.append(f"uncaught: {err}"))
    during = "two browser tabs chatted through /chat"
    try:
        for page in (ada, bob):
            page.goto(server.url)
        for page, name in ((ada, "Ada"), (bob, "Bob")):
            ctx.step(f"{name}'s tab waits until its WebSocket to /chat is open")
            # readyState 1 = OPEN, 3 = CLOSED (the handshake failed): stop waiting on either.
            _wait_in_page(ctx, server, page, "window.chatSocket && [1, 3].includes(window.chatSocket.readyState)",
                          f"{name}'s tab: the WebSocket to /chat neither opened nor closed within {ctx.timeout(WAIT):g} s.")
            if page.evaluate("window.chatSocket.readyState") != 1:
                raise_server_error(ctx, server, f"{name}'s tab opened its WebSocket to /chat")
                raise CheckFailed(f"{name}'s tab could not open its WebSocket to {server.ws_url('/chat')}: the page shows "
                                  f"{page.inner_text('#status')!r}. Open `python -m checker serve 03` in a browser and look at the console.")
            page.fill("#name", name)
        ctx.step("both tabs are in the room (the server's presence message says 2 online)")
        _wait_in_page(ctx, server, ada, "Number(document.querySelector('#online').dataset.online) >= 2",
                      "Both tabs opened /chat, but Ada's tab never showed '2 online': the server sends "
                      '{"type": "presence", "online": N} as a text message when someone joins; did it reach the page?')
        ctx.step("Ada types a message; Bob's tab must show it")
        ada.fill("#message", "hello from Ada")
        ada.press("#message", "Enter")
        _wait_for_line(ctx, server, bob, "Ada: hello from Ada",
                       "Ada sent 'hello from Ada' (a JSON text message) to /chat, but Bob's tab did not show it")
        ctx.step("Bob answers; Ada's tab must show it")
        bob.fill("#message", "hi Ada, Bob here")
        bob.click("#send")
        _wait_for_line(ctx, server, ada, "Bob: hi Ada, Bob here", "Bob sent 'hi Ada, Bob here' to /chat, but Ada's tab did not show it")
    except CheckFailed as failed:
        raise_server_error(ctx, server, during)
        logs = [f"{who}'s page: " + page.inner_text("#log").replace("\n", " | ")[:200] for who, page in (("Ada", ada), ("Bob", bob))]
        raise CheckFailed(str(failed) + "\n" + "\n".join(logs + ctx.console[-3:])) from None
    except NotImplementedError:
        raise
    except Exception as exc:  # noqa: BLE001 - other Playwright errors become a message
        _browser_problem(ctx, server, during, exc)
        raise
    _browser_problem(ctx, server, during)


# ---- helpers ---------------------------------------------------------------------------


def _browser_problem(ctx: Context, server, during: str, exc: BaseException | None = None) -> None:
    raise_server_error(ctx, server, during)
    if exc is not None:
        console = "\n".join(ctx.console[-5:])
        raise CheckFailed(f"While {during}: {str(exc).splitlines()[0]}" + (f"\nBrowser console:\n{console}" if console else "")) from None


def _wait_in_page(ctx: Context, server, page, expression: str, failure: str) -> None:
    """Wait (``WAIT`` seconds, scaled) until ``expression`` is true in ``page``; CheckFailed(failure) if never.

    Waits in short slices so that an exception in the learner's code (inside the server)
    is reported at once instead of after the whole wait.
    """
    def ready() -> bool:
        raise_server_error(ctx, server, "the browser tabs used /chat")
        return pages.wait_for(page, expression, SLICE)

    if not ctx.wait_until(ready, WAIT, interval=0):
        raise CheckFailed(failure)


def _wait_for_line(ctx: Context, server, page, line: str, failure: str) -> None:
    _wait_in_page(ctx, server, page, f"document.querySelector('#log').textContent.includes({json.dumps(line)})",
                  f"{failure} within {ctx.timeout(WAIT):g} s.")
