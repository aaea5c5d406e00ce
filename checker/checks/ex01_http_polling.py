"""Checks for lesson 01 (HTTP polling): the cursor, both endpoints over real HTTP, the page in Chromium.

The board runs in this grading process on a free loopback port, with Django's threaded
WSGI server: the same one-thread-per-request model as production WSGI servers.
"""

from __future__ import annotations

import contextlib
import threading
import time

from checker import expect
from checker.probes import http
from checker.checks import register
from checker.api import CheckFailed, Context


@contextlib.contextmanager
def _serve(ctx: Context):
    from board.wsgi import application_for
    from workshop.django_support import BackgroundServer

    with BackgroundServer(application_for(ctx.exercise_dir)) as server:
        yield server


def _board(ctx: Context):
    """The running board, emptied: (url, board, stats)."""
    server = ctx.resource("board", lambda: _serve(ctx))
    from board.stats import stats
    from board.store import board

    board.clear()
    stats.reset()
    return server.url, board, stats


def _ids(answer: dict, what: str) -> list[int]:
    if not isinstance(answer, dict) or "messages" not in answer or "cursor" not in answer:
        raise CheckFailed(f"{what} answered {answer!r}; expected a JSON object with \"messages\" and \"cursor\".")
    messages = answer["messages"]
    if not isinstance(messages, list) or not all(isinstance(m, dict) and "id" in m for m in messages):
        raise CheckFailed(f"{what}: \"messages\" should be a list of message objects (use m.as_dict()), "
                          f"got {messages!r:.200}")
    return [m["id"] for m in messages]


def _expect(response: http.Response, ids: list[int], cursor: int, why: str) -> None:
    if response.status != 200:
        raise CheckFailed(f"{response.what} answered HTTP {response.status}; expected 200 with JSON.")
    answer = response.json()
    got = _ids(answer, response.what)
    if got != ids:
        raise CheckFailed(f"{response.what} returned messages {got}; expected {ids} ({why}).")
    if answer["cursor"] != cursor:
        raise CheckFailed(f"{response.what} returned cursor {answer['cursor']!r}; expected {cursor} "
                          "(the id of the last message in the answer, or the client's cursor if there is none).")


def _expect_400(url: str, what: str) -> None:
    response = http.get(url)
    if response.status != 400:
        raise CheckFailed(f"{response.what} answered HTTP {response.status}; expected 400 Bad Request ({what}).")
    if not isinstance(response.json(), dict) or "error" not in response.json():
        raise CheckFailed(f"{response.what} answered 400 but without {{\"error\": \"...\"}} in the body.")


def _post(url: str, text: str, author: str = "checker") -> int:
    response = http.post(f"{url}/api/messages", {"author": author, "text": text})
    if response.status != 201:
        raise CheckFailed(f"posting a message failed with HTTP {response.status}: {response.body[:200]!r}")
    return response.json()["id"]


# -- pure functions -------------------------------------------------------------------
def check_parse_cursor(ctx: Context) -> None:
    polling = ctx.import_learner("polling")
    cases = [(None, 0), ("", 0), ("0", 0), ("7", 7), ("120", 120)]
    expect.returns(ctx, polling.parse_cursor, "parse_cursor", cases, exact_type=int)
    expect.refuses(ctx, polling.parse_cursor, "parse_cursor", ["abc", "-1", "1.5", "1e3"],
                   "only whole numbers >= 0 are cursors")


def check_messages_after(ctx: Context) -> None:
    polling = ctx.import_learner("polling")
    from board.store import Message

    messages = [Message(i, "a", f"m{i}") for i in range(1, 6)]
    original = list(messages)
    for cursor, expected in [(0, [1, 2, 3, 4, 5]), (2, [3, 4, 5]), (4, [5]), (5, []), (9, [])]:
        ctx.step(f"messages_after(messages 1..5, {cursor})")
        got = polling.messages_after(messages, cursor)
        ids = [m.id for m in got] if isinstance(got, list) else got
        if ids != expected:
            raise CheckFailed(f"messages_after(messages 1..5, cursor={cursor}) gave {ids!r}; expected {expected} "
                              "(only the messages with an id greater than the cursor, oldest first).")
    if messages != original:
        raise CheckFailed("messages_after changed the list it was given; build a new list instead.")


# -- the endpoints over real HTTP -----------------------------------------------------
def check_poll_endpoint(ctx: Context) -> None:
    url, board, _ = _board(ctx)
    ctx.step("posting three messages")
    for text in ("one", "two", "three"):
        _post(url, text)
    ctx.step("GET /api/messages?after=0")
    _expect(http.get(f"{url}/api/messages?after=0"), [1, 2, 3], 3, "everything after 0")
    _expect(http.get(f"{url}/api/messages"), [1, 2, 3], 3, "no cursor means from the start")
    _expect(http.get(f"{url}/api/messages?after=2"), [3], 3, "only what comes after message 2")
    _expect(http.get(f"{url}/api/messages?after=3"), [], 3, "nothing is new")
    answer = http.get(f"{url}/api/messages?after=2").json()
    message = answer["messages"][0]
    if message.get("author") != "checker" or message.get("text") != "three":
        raise CheckFailed(f"a message came back as {message!r}; it should carry its author and text (m.as_dict()).")
    ctx.step("GET /api/messages?after=abc")
    _expect_400(f"{url}/api/messages?after=abc", "the cursor is not a number")
    ctx.step("following the cursor while messages keep arriving")
    received: list[int] = []
    cursor = 0
    for round_number in range(8):
        for _ in range(round_number % 3):
            _post(url, f"round {round_number}")
        answer = http.get(f"{url}/api/messages?after={cursor}").json()
        received += _ids(answer, "GET /api/messages")
        cursor = answer["cursor"]
    expected = [m.id for m in board.messages()]
    if received != expected:
        dupes = sorted({i for i in received if received.count(i) > 1})
        lost = sorted(set(expected) - set(received))
        raise CheckFailed(f"a client following the cursor received {received}; expected {expected} "
                          f"(twice: {dupes or 'none'}; never: {lost or 'none'}).")


def check_long_poll_wakes(ctx: Context) -> None:
    url, board, _ = _board(ctx)
    _post(url, "already there")
    ctx.step("GET /api/messages/wait?after=0 with a message already waiting")
    response = http.get(f"{url}/api/messages/wait?after=0&timeout=5", timeout=6)
    _expect(response, [1], 1, "a message was already there")
    if response.elapsed > 1.0:
        raise CheckFailed(f"{response.what} took {response.elapsed:.1f} s although a message was already there; "
                          "answer at once when there is something after the cursor.")
    box: dict = {}

    def waiter():
        try:
            box["response"] = http.get(f"{url}/api/messages/wait?after=1&timeout=5", timeout=8)
        except BaseException as exc:  # noqa: BLE001 - reported below
            box["error"] = exc
        box["at"] = time.monotonic()

    ctx.step("GET /api/messages/wait?after=1&timeout=5, then posting a message 0.3 s later")
    thread = threading.Thread(target=waiter, daemon=True)
    thread.start()
    time.sleep(0.3)
    if not thread.is_alive():
        answer = box.get("response")
        raise CheckFailed("the long poll answered before anything new was posted"
                          + (f" (it returned {answer.body[:120]!r})" if answer else f": {box.get('error')}")
                          + "; it should wait until a message arrives or the timeout passes.")
    posted_at = time.monotonic()
    board.post("checker", "wake up")
    thread.join(7)
    if "error" in box:
        raise box["error"]
    if "response" not in box:
        raise CheckFailed("the long poll did not answer within 7 s of a new message.")
    _expect(box["response"], [2], 2, "the message posted while it waited")
    delay = box["at"] - posted_at
    if delay > 1.0:
        raise CheckFailed(f"the long poll answered {delay:.1f} s after the message was posted; it should answer "
                          "within moments. Wait on store.changed rather than sleeping in a loop.")


def check_long_poll_timeout(ctx: Context) -> None:
    url, board, _ = _board(ctx)
    _post(url, "old news")
    ctx.step("GET /api/messages/wait?after=1&timeout=0.5 with nothing new")
    response = http.get(f"{url}/api/messages/wait?after=1&timeout=0.5", timeout=4)
    _expect(response, [], 1, "nothing new arrived before the timeout")
    if response.elapsed < 0.4:
        raise CheckFailed(f"{response.what} answered after {response.elapsed:.2f} s; with nothing new it should wait "
                          "for the whole timeout (0.5 s) before answering with an empty list.")
    if response.elapsed > 2.5:
        raise CheckFailed(f"{response.what} answered after {response.elapsed:.1f} s; it should give up after "
                          "about 0.5 s (the timeout it was asked for). Is the timeout a float (seconds)?")
    for query, why in [("after=1&timeout=abc", "the timeout is not a number"),
                       ("after=1&timeout=-1", "a negative timeout"),
                       ("after=1&timeout=999", "a timeout above MAX_TIMEOUT"),
                       ("after=x&timeout=1", "the cursor is not a number")]:
        ctx.step(f"GET /api/messages/wait?{query}")
        _expect_400(f"{url}/api/messages/wait?{query}", why)


# -- the page in a real browser ----------------------------------------------------------
def _open_board(ctx: Context, url: str, query: str):
    page = ctx.new_page()
    ctx.step(f"opening {url}/{query} in Chromium")
    page.goto(f"{url}/{query}")
    page.wait_for_function("document.body.dataset.clientStarted || document.body.dataset.problem")
    problem = page.evaluate("document.body.dataset.problem")
    if problem:
        raise CheckFailed(f"the page reports: {problem}\nEdit exercises/01-http-polling/poll_client.js and watch it "
                          "work in your own browser with `python -m checker serve 01`.")
    return page


def _wait_for_items(ctx: Context, page, count: int, seconds: float) -> list[int]:
    ctx.step(f"waiting for {count} messages on the page")
    try:
        page.wait_for_function(f"document.querySelectorAll('#messages li').length >= {count} "
                               "|| document.body.dataset.problem", timeout=seconds * 1000)
    except Exception:  # noqa: BLE001 - Playwright's TimeoutError
        pass
    problem = page.evaluate("document.body.dataset.problem")
    if problem:
        raise CheckFailed(f"the page reports: {problem}")
    ids = page.eval_on_selector_all("#messages li", "items => items.map(li => Number(li.dataset.id))")
    if len(ids) < count:
        console = "; ".join(ctx.console[-3:])
        raise CheckFailed(f"after {seconds:g} s the page shows messages {ids}; expected {count} of them. "
                          "Does the loop call onMessages(data.messages) and keep going?"
                          + (f" Browser console: {console}" if console else ""))
    return ids


def _expect_items(ids: list[int], expected: list[int]) -> None:
    if ids != expected:
        dupes = sorted({i for i in ids if ids.count(i) > 1})
        raise CheckFailed(f"the page shows messages {ids}; expected {expected}"
                          + (f" (shown twice: {dupes}; send ?after= with the cursor from the last answer)"
                             if dupes else "") + ".")


def check_browser_short_poll(ctx: Context) -> None:
    url, board, stats = _board(ctx)
    page = _open_board(ctx, url, "?mode=poll&interval=150")
    for text in ("first", "second", "third"):
        board.post("checker", text)
    _expect_items(_wait_for_items(ctx, page, 3, 3), [1, 2, 3])
    board.post("checker", "fourth")
    board.post("checker", "fifth")
    ids = _wait_for_items(ctx, page, 5, 3)
    page.wait_for_timeout(300)  # two more polls: any duplicate would show up now
    _expect_items(page.eval_on_selector_all("#messages li", "els => els.map(li => Number(li.dataset.id))"),
                  [1, 2, 3, 4, 5])
    cursors = stats.cursors("/api/messages")
    if cursors and cursors[-1] != "5":
        raise CheckFailed(f"the last short polls asked for ?after={cursors[-1]!r}; after seeing message 5 the "
                          "client should send ?after=5 (the cursor from the last answer).")
    del ids


def check_browser_long_poll(ctx: Context) -> None:
    url, board, stats = _board(ctx)
    page = _open_board(ctx, url, "?mode=long")
    ctx.step("waiting for the page's first long poll to reach the server")
    deadline = time.monotonic() + 3
    while stats.as_dict()["waiting_now"] < 1:
        if time.monotonic() > deadline:
            raise CheckFailed("no long-poll request was waiting at the server 3 s after the page loaded. "
                              "startLongPolling should GET /api/messages/wait?after=...&timeout=... right away.")
        time.sleep(0.05)
    board.post("checker", "one")
    _expect_items(_wait_for_items(ctx, page, 1, 2), [1])
    board.post("checker", "two")
    board.post("checker", "three")
    _wait_for_items(ctx, page, 3, 2)
    page.wait_for_timeout(200)
    _expect_items(page.eval_on_selector_all("#messages li", "els => els.map(li => Number(li.dataset.id))"),
                  [1, 2, 3])
    requests = stats.count("/api/messages/wait")
    if requests > 8:
        raise CheckFailed(f"the page sent {requests} long-poll requests to deliver 3 messages; a long-poll client "
                          "asks again only when an answer arrives (and waits retryMs after an error).")


CHECKS = register(
    check_parse_cursor, check_messages_after, check_poll_endpoint, check_long_poll_wakes,
    check_long_poll_timeout, check_browser_short_poll, check_browser_long_poll,
)
