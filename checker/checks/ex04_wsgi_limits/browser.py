"""Ring 3: the uWSGI page in headless Chromium: its echo buttons' socket, and two tabs chatting."""

from __future__ import annotations

from checker.api import CheckFailed, Context
from checker.probes import page as page_probe

from .support import uwsgi

# Runs in the page; ``wait`` (milliseconds) bounds every wait. Up to 64 KB: Chromium splits bigger
# messages into fragments, which uWSGI 2.0 mishandles (see the README).
ECHO_JS = """
async (wait) => {
  const ws = window.echoSocket;
  const queue = [];
  let wake = null;
  ws.onmessage = (e) => { queue.push(e.data); if (wake) { wake(); wake = null; } };
  const opened = await new Promise((resolve) => {
    if (ws.readyState === 1) return resolve(true);
    if (ws.readyState > 1) return resolve(false);
    ws.addEventListener("open", () => resolve(true));
    ws.addEventListener("close", () => resolve(false));
    setTimeout(() => resolve(ws.readyState === 1), wait);
  });
  if (!opened) return ["the page's WebSocket to /echo did not open (the handshake failed or timed out)"];
  const next = async () => {
    if (!queue.length) await new Promise((r) => { wake = r; setTimeout(r, wait); });
    return queue.shift();
  };
  const s = (wait / 1000).toFixed(1);
  for (const n of [1, 200, 20000]) {
    const text = "ü✓z".repeat(n).slice(0, n);
    ws.send(text);
    const back = await next();
    if (back !== text) return [back === undefined ? `a ${n}-character text message got no echo within ${s} s`
                                                 : `a ${n}-character text message came back as ${typeof back}`];
    const bytes = new Uint8Array(n).map((_, i) => (i === 0 ? 0xff : (i * 13) & 255));
    ws.send(bytes.buffer);
    const bin = await next();
    const same = bin instanceof ArrayBuffer && bin.byteLength === n && new Uint8Array(bin).every((b, i) => b === bytes[i]);
    if (!same) return [bin === undefined ? `a ${n}-byte binary message got no echo within ${s} s`
                                         : `a ${n}-byte binary message came back as ${typeof bin === "string" ? "text" : "other bytes"}`];
  }
  const closed = new Promise((resolve) => { ws.onclose = (e) => resolve(e.wasClean); setTimeout(() => resolve(null), wait); });
  ws.close(1000, "bye");
  const clean = await closed;
  if (clean === null) return [`the close handshake did not finish within ${s} s`];
  return clean ? [] : ["the connection did not close cleanly"];
}
"""


def check_browser_echo(ctx: Context) -> None:
    ctx.import_learner("uwsgi_ws")
    log, base = uwsgi(ctx, threads=8)
    page = ctx.new_page()
    url = base.replace("ws://", "http://") + "/"
    ctx.step(f"Chromium opens {url} and echoes text and binary messages through its WebSocket to /echo")
    page.goto(url)
    try:
        problems = page.evaluate(ECHO_JS, ctx.timeout(3) * 1000)
    except Exception as exc:  # noqa: BLE001 - Playwright errors become a message
        log.raise_problems("Chromium used /echo", "echo()", settle=ctx.timeout(0.05))
        raise CheckFailed(f"Chromium's echo test did not finish: {exc}") from None
    log.raise_problems("Chromium used /echo", "echo()", settle=ctx.timeout(0.05))
    if problems:
        raise CheckFailed("Headless Chromium's WebSocket against /echo on uWSGI:\n- " + "\n- ".join(problems)
                          + "\nOpen the page from `python -m checker serve 04` (the uWSGI link) and watch its log.")


def check_browser_chat(ctx: Context) -> None:
    ctx.import_learner("uwsgi_ws")
    log, base = uwsgi(ctx, threads=8)
    url = base.replace("ws://", "http://") + "/"
    ada = ctx.new_page()
    bob = ada.context.new_page()
    bob.set_default_timeout(ctx.timeout(5) * 1000)
    during = "two Chromium tabs chatted through /chat"

    def wait(page, expression: str, failure: str) -> None:
        if not page_probe.wait_for(page, expression, ctx.timeout(3)):
            log.raise_problems(during, "chat()", settle=ctx.timeout(0.05))
            raise CheckFailed(failure)

    ctx.step("two Chromium tabs open the uWSGI page")
    joined = log.joins()
    for page, name in ((ada, "Ada"), (bob, "Bob")):
        page.goto(url)
        wait(page, "() => window.chatSocket && [1, 3].includes(window.chatSocket.readyState)",
             f"{name}'s tab: the WebSocket to /chat neither opened nor closed in time.")
        if page.evaluate("window.chatSocket.readyState") != 1:
            log.raise_problems(f"{name}'s tab opened /chat", "chat()", settle=ctx.timeout(0.05))
            raise CheckFailed(f"{name}'s tab could not open its WebSocket to /chat (the handshake failed).")
        page.fill("#name", name)
    # An open socket is not yet a member: Bob's chat() takes its place in the room (its cursor) a moment
    # after the handshake, and a message sent before that is not his. Wait for both, as the log reports.
    ctx.wait_until(lambda: log.joins() >= joined + 2, 3)  # if they never join, the waits below say so
    ctx.step("Ada types a message; both tabs must show it")
    ada.fill("#message", "hello from Ada")
    ada.press("#message", "Enter")
    for page, who in ((bob, "Bob's"), (ada, "Ada's own")):
        wait(page, "() => document.querySelector('#log').textContent.includes('Ada: hello from Ada')",
             f"Ada sent 'hello from Ada' through /chat, but {who} tab did not show it in time.")
    ctx.step("Bob answers; Ada's tab must show it")
    bob.fill("#message", "hi Ada")
    bob.click("#send")
    wait(ada, "() => document.querySelector('#log').textContent.includes('Bob: hi Ada')",
         "Bob sent 'hi Ada' through /chat, but Ada's tab did not show it in time.")
    log.raise_problems(during, "chat()", settle=ctx.timeout(0.05))
