"""Ring "browser": Chromium's own ``EventSource`` against the learner's stream.

Each check first reads, on a raw socket, the stream the page will read: when the server side
is wrong (a runaway stream, events without ids), the learner is sent to the server-side checks
instead of watching Chromium drown. The last check puts a TCP proxy (``checker.probes.tcp_proxy``) between Chromium and the
server and cuts the connection in the middle of the stream: the browser must come back with
``Last-Event-ID`` and the page must show every event exactly once.
"""

from __future__ import annotations

from checker.api import CheckFailed, Context
from checker.expect import brief
from checker.probes import page as pages
from checker.probes.tcp_proxy import KillableProxy

from .common import describe, feed, open_stream, settle

ITEMS = "#events li"


def _server_first(ctx: Context, port: int, store, stats) -> None:
    """Fail with "fix the server-side checks first" when the stream the page reads is wrong."""
    ctx.step("reading the stream the page will read")
    store.post("one")
    store.post("two\nlines", "alert")
    expected = [("1", "message", "one"), ("2", "alert", "two\nlines")]
    try:
        with open_stream(ctx, port, "heartbeat=0.1&retry=100") as stream:
            stream.read_until(lambda: len(stream.parser.events) >= 2, ctx.timeout(1))
            settle(ctx, stats)
            stream.read_for(ctx.timeout(0.05))
        got = [(e.id, e.type, e.data) for e in stream.parser.events]
        if got != expected:
            raise CheckFailed(f"{stream.what} delivered {brief(got, 4)}; expected {expected} (id, type, data)")
    except CheckFailed as failed:
        raise CheckFailed(f"the server side is not right yet, so the page cannot work: {failed}\n"
                          "Fix the server-side checks first (python -m checker 02 lists them); "
                          "this check tries the page once they pass.") from None
    feed(ctx)  # empty again: the page starts from event 1


def _open_page(ctx: Context, base: str, query: str):
    page = ctx.new_page()
    ctx.step(f"opening {base}/?{query} in Chromium")
    page.goto(f"{base}/?{query}")
    pages.wait_for(page, "Number(document.body.dataset.opens || 0) >= 1 || !!document.body.dataset.problem "
                         "|| document.body.dataset.state === 'closed'", ctx.timeout(4))
    if pages.dataset(page, "state") == "closed":  # the page asks the server why, then reports it
        pages.wait_for(page, "!!document.body.dataset.problem", ctx.timeout(0.5))
    pages.raise_problem(page, "Watch it in your own browser with `python -m checker serve 02`.")
    if not int(pages.dataset(page, "opens") or 0):
        raise CheckFailed(f"Chromium's EventSource never opened the stream (its state: {pages.dataset(page, 'state')}). "
                          "It opens when the response headers arrive with status 200 and Content-Type "
                          "text/event-stream.")
    return page


def _page_events(page) -> list[dict]:
    return page.eval_on_selector_all(
        ITEMS, "items => items.map(li => ({id: li.dataset.id, event: li.dataset.event, data: li.textContent}))")


def _page_ids(page) -> list:
    return [int(e["id"]) if (e["id"] or "").isdigit() else e["id"] for e in _page_events(page)]


def _wait_page(ctx: Context, page, count: int, seconds: float) -> list:
    ctx.step(f"waiting for {count} events on the page")
    pages.wait_for_count(page, ITEMS, count, ctx.timeout(seconds))
    ids = _page_ids(page)
    if len(ids) < count:
        raise CheckFailed(f"after {seconds:g} s the page shows events {brief(ids)}; expected {count} of them."
                          + pages.console_note(ctx.console))
    return ids


def check_browser_feed(ctx: Context) -> None:
    port, store, stats = feed(ctx)
    _server_first(ctx, port, store, stats)
    page = _open_page(ctx, f"http://127.0.0.1:{port}", "heartbeat=0.1&retry=100")
    store.post("hello, browser")
    store.post("an alert\nover two lines", "alert")
    _wait_page(ctx, page, 2, 2)
    settle(ctx, stats)  # a heartbeat or two: nothing more should appear
    got = _page_events(page)
    expected = [{"id": "1", "event": "message", "data": "hello, browser"},
                {"id": "2", "event": "alert", "data": "an alert\nover two lines"}]
    if got != expected:
        raise CheckFailed(f"the page shows {brief(got, 4)}; expected {expected}. EventSource fires an event named "
                          "after the event: field, with e.data joined from the data: lines and e.lastEventId from id:.")


def check_browser_resume(ctx: Context) -> None:
    port, store, stats = feed(ctx)
    _server_first(ctx, port, store, stats)
    proxy = ctx.resource("proxy", lambda: KillableProxy(port, timeout=ctx.timeout(2)))
    page = _open_page(ctx, f"http://127.0.0.1:{proxy.port}", "heartbeat=0.2&retry=100&lifetime=0.6")
    for n in (1, 2, 3):
        store.post(f"before the cut {n}")
    _wait_page(ctx, page, 3, 2)
    ctx.step("cutting the browser's connection in the middle of the stream")
    proxy.kill_all()
    store.post("posted while disconnected 4")
    store.post("posted while disconnected 5")
    ctx.step("posting events 6 to 15 while streams end (lifetime=0.6) and the browser reconnects")
    for n in range(6, 16):
        ctx.sleep(0.07)
        store.post(f"after the cut {n}")
    _wait_page(ctx, page, 15, 4)
    settle(ctx, stats)
    ids = _page_ids(page)
    expected = list(range(1, 16))
    if ids != expected:
        raise CheckFailed(f"after a cut connection the page {describe(ids, expected)}. On reconnection the browser "
                          "sends Last-Event-ID: replay exactly the events after it.")
    with stats.lock:
        resumed = [c.last_event_id for c in stats.connections if c.last_event_id is not None]
    if not resumed:
        raise CheckFailed("the page shows every event, but the browser never reconnected with Last-Event-ID; "
                          "does each event frame carry its id?")
