"""Ring "browser": the learner's ``poll_client.js`` in headless Chromium, against the board.

A browser check first asks the server the questions the page will ask: when the server side
is wrong, the page cannot be right, and the learner is sent to the server-side checks instead
of being told to fix JavaScript that may well be correct.
"""

from __future__ import annotations

from checker.api import CheckFailed, Context
from checker.expect import brief
from checker.probes import http
from checker.probes import page as pages

from .common import board, expect_answer

ITEMS = "#messages li"
#: Wraps the page's fetch to count the GET /api/messages requests it starts, and the most open at once (the peak).
COUNT_OPEN_POLLS = """() => {
  const original = window.fetch;
  let open = 0;
  window.checkerPeakPolls = 0;
  window.checkerPollStarts = 0;
  window.fetch = async (resource, options) => {
    const poll = String(resource.url || resource).includes("/api/messages?") && !(options && options.method);
    if (poll) { window.checkerPollStarts++; window.checkerPeakPolls = Math.max(window.checkerPeakPolls, ++open); }
    try { return await original(resource, options); } finally { if (poll) open--; }
  };
}"""
SHORT, LONG = "/api/messages", "/api/messages/wait"
SLOW = 0.3  # seconds per answer in the slow-server scenario: twice the page's 0.15 s interval


def _server_first(ctx: Context, url: str, store, long: bool) -> None:
    """Fail with "fix the server-side checks first" when the endpoints the page uses are wrong."""
    ctx.step("asking the server what the page will ask")
    get = lambda path: http.get(f"{url}{path}", timeout=ctx.timeout(3))  # noqa: E731
    try:
        store.post("checker", "one")
        store.post("checker", "two")
        expect_answer(get(f"{SHORT}?after=0"), [1, 2], 2, "everything after 0")
        expect_answer(get(f"{SHORT}?after=1"), [2], 2, "only what comes after message 1")
        expect_answer(get(f"{SHORT}?after=2"), [], 2, "nothing is new")
        if long:
            expect_answer(get(f"{LONG}?after=1&timeout=0.2"), [2], 2, "message 2 was already there")
            expect_answer(get(f"{LONG}?after=2&timeout=0.1"), [], 2, "nothing new before the timeout")
    except CheckFailed as failed:
        raise CheckFailed(f"the server side is not right yet, so the page cannot work: {failed}\n"
                          "Fix the server-side checks first (python -m checker 01 lists them); "
                          "this check tries the page once they pass.") from None


def _open_board(ctx: Context, url: str, query: str):
    page = ctx.new_page()
    ctx.step(f"opening {url}/{query} in Chromium")
    page.goto(f"{url}/{query}")
    pages.wait_for(page, "document.body.dataset.clientStarted || document.body.dataset.problem", ctx.timeout(5))
    pages.raise_problem(page, "Edit exercises/01-http-polling/poll_client.js and watch it work in your own browser "
                              "with `python -m checker serve 01`.")
    return page


def _shown(page) -> list[int]:
    return page.eval_on_selector_all(ITEMS, "items => items.map(li => Number(li.dataset.id))")


def _wait_for_items(ctx: Context, page, stats, path: str, expected: list[int], seconds: float) -> list[int]:
    """Wait until the page shows ``len(expected)`` messages; explain what went wrong if it does not."""
    ctx.step(f"waiting for {len(expected)} messages on the page")
    pages.wait_for_count(page, ITEMS, len(expected), ctx.timeout(seconds))
    pages.raise_problem(page)
    shown = _shown(page)
    if len(shown) >= len(expected):
        return shown
    skipped = [i for i in expected if i not in shown]
    jumps = stats.jumps(path)
    if jumps or shown:
        cause = ""
        if jumps:
            cursor, after = jumps[0]
            cause = (f" After an answer with cursor {cursor} the page asked ?after={after}: send back exactly "
                     "the cursor of the last answer (data.cursor), nothing added.")
        verb = "was" if len(skipped) == 1 else "were"
        raise CheckFailed(f"message{'s' if len(skipped) > 1 else ''} {', '.join(map(str, skipped[:8]))} {verb} "
                          f"skipped: the page shows {brief(shown)}; expected {brief(expected)}.{cause}")
    raise CheckFailed(f"after {seconds:g} s the page shows no messages; expected {brief(expected)}. Does the loop "
                      "call onMessages(data.messages) and keep going?" + pages.console_note(ctx.console))


def _expect_items(shown: list[int], expected: list[int]) -> None:
    if shown != expected:
        dupes = sorted({i for i in shown if shown.count(i) > 1})
        raise CheckFailed(f"the page shows messages {brief(shown)}; expected {brief(expected)}"
                          + (f" (shown twice: {brief(dupes)}; send ?after= with the cursor from the last answer)"
                             if dupes else "") + ".")


def check_browser_short_poll(ctx: Context) -> None:
    url, store, stats = board(ctx)
    _server_first(ctx, url, store, long=False)
    url, store, stats = board(ctx)  # emptied again: the page starts from message 1
    page = _open_board(ctx, url, "?mode=poll&interval=150")
    for text in ("first", "second", "third"):
        store.post("checker", text)
    _expect_items(_wait_for_items(ctx, page, stats, SHORT, [1, 2, 3], 3), [1, 2, 3])
    store.post("checker", "fourth")
    store.post("checker", "fifth")
    _wait_for_items(ctx, page, stats, SHORT, [1, 2, 3, 4, 5], 3)
    ctx.step("waiting for two more polls: a duplicate would show up now")
    polls = stats.count(SHORT)
    ctx.wait_until(lambda: stats.count(SHORT) >= polls + 2 and stats.as_dict()["waiting_now"] == 0, 2)
    _expect_items(_shown(page), [1, 2, 3, 4, 5])
    cursors = stats.cursors(SHORT)
    if cursors and cursors[-1] != "5":
        raise CheckFailed(f"the last short polls asked for ?after={cursors[-1]!r}; after seeing message 5 the "
                          "client should send ?after=5 (the cursor from the last answer).")
    ctx.step(f"slowing each answer down to {SLOW:g} s (the page polls every 0.15 s): does it wait for each answer?")
    stats.slow_down = SLOW
    try:
        # Counted in the page: Chromium queues identical GETs behind each other, so the server never sees them
        # overlap. Every poll the page starts from now on reaches a slowed server and stays open at least SLOW
        # seconds, so a page on a timer has opened its second one before its first has an answer: two starts
        # decide it, whatever was in flight before.
        page.evaluate(COUNT_OPEN_POLLS)
        pages.wait_for(page, "window.checkerPollStarts >= 2", ctx.timeout(4))
    finally:
        stats.slow_down = 0.0
    overlapping = page.evaluate("window.checkerPeakPolls")
    if overlapping > 1:
        raise CheckFailed(f"with slow answers the page had {overlapping} short polls open at once: it asks on a "
                          "timer whether or not the previous answer has arrived (setInterval?), so slow answers "
                          "pile up. Schedule the next request with setTimeout once an answer has been handled.")


def check_browser_long_poll(ctx: Context) -> None:
    url, store, stats = board(ctx)
    _server_first(ctx, url, store, long=True)
    url, store, stats = board(ctx)
    page = _open_board(ctx, url, "?mode=long")
    ctx.step("waiting for the page's first long poll to reach the server")
    if not ctx.wait_until(lambda: stats.as_dict()["waiting_now"] >= 1, 3):
        raise CheckFailed("no long-poll request was waiting at the server 3 s after the page loaded. "
                          "startLongPolling should GET /api/messages/wait?after=...&timeout=... right away.")
    store.post("checker", "one")
    _expect_items(_wait_for_items(ctx, page, stats, LONG, [1], 2), [1])
    store.post("checker", "two")
    store.post("checker", "three")
    _wait_for_items(ctx, page, stats, LONG, [1, 2, 3], 2)
    ctx.step("waiting for the page's next long poll: a duplicate would show up now")
    ctx.wait_until(lambda: stats.as_dict()["waiting_now"] >= 1, 1)
    _expect_items(_shown(page), [1, 2, 3])
    with stats.lock:
        timeouts = list(stats.timeouts)
    if any(t is None for t in timeouts):
        raise CheckFailed("the page's long polls did not send &timeout=: the server then waits its own default, "
                          "which the page cannot know. Send the timeoutS it was given, so both sides agree on "
                          "how long a request may wait.")
    empty = stats.empty_answers(LONG)
    if empty:
        raise CheckFailed(f"{empty} of the page's long polls came back empty within seconds: each should wait at "
                          "the server for up to timeoutS seconds (25 here). Send &timeout= with timeoutS.")
    requests = stats.count(LONG)
    if requests > 8:
        raise CheckFailed(f"the page sent {requests} long-poll requests to deliver 3 messages; a long-poll client "
                          "asks again only when an answer arrives (and waits retryMs after an error).")
