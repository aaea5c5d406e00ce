"""Ring "server": both endpoints over real HTTP, on the board started by the lesson's launcher."""

from __future__ import annotations

import threading
import time

from checker.api import CheckFailed, Context
from checker.expect import brief, see
from checker.probes import http

from .common import board, expect_400, expect_answer, ids, post

#: More reads than this during one idle long poll means the request asks again and again.
MAX_READS_PER_WAIT = 10


def check_poll_endpoint(ctx: Context) -> None:
    url, store, _ = board(ctx)
    get = lambda path: http.get(f"{url}{path}", timeout=ctx.timeout(3))  # noqa: E731
    ctx.step("posting three messages")
    for text in ("one", "two", "three"):
        post(ctx, url, text)
    ctx.step("GET /api/messages?after=0")
    expect_answer(get("/api/messages?after=0"), [1, 2, 3], 3, "everything after 0")
    expect_answer(get("/api/messages"), [1, 2, 3], 3, "no cursor means from the start")
    answer = expect_answer(get("/api/messages?after=2"), [3], 3, "only what comes after message 2")
    expect_answer(get("/api/messages?after=3"), [], 3, "nothing is new")
    message = answer["messages"][0]
    if message.get("author") != "checker" or message.get("text") != "three":
        raise CheckFailed(f"a message came back as {message!r:.200}; it should carry its author and text "
                          "(m.as_dict()).")
    ctx.step("GET /api/messages?after=abc")
    expect_400(ctx, f"{url}/api/messages?after=abc", "the cursor is not a number")
    ctx.step("following the cursor while messages keep arriving")
    received: list[int] = []
    cursor = 0
    for round_number in range(8):
        for _ in range(round_number % 3):
            post(ctx, url, f"round {round_number}")
        answer = get(f"/api/messages?after={cursor}").json()
        received += ids(answer, "GET /api/messages")
        cursor = answer["cursor"]
    expected = [m.id for m in store.messages()]
    if received != expected:
        dupes = sorted({i for i in received if received.count(i) > 1})
        lost = sorted(set(expected) - set(received))
        raise CheckFailed(f"a client following the cursor received {brief(received)}; expected {brief(expected)} "
                          f"(twice: {brief(dupes) if dupes else 'none'}; never: {brief(lost) if lost else 'none'}).")


def _sleep_loop(store, reads: int, waits: int, seconds: float) -> str | None:
    """Why one idle long poll that read the store ``reads`` times and waited ``waits`` times on
    ``store.changed`` in ``seconds`` is not waiting on the condition, or ``None``."""
    if waits == 0:
        return (f"while the long poll waited ({seconds:.1f} s), wait_for_messages never waited on store.changed "
                f"(it read the store {reads} times). Expected it to wait on that condition, which post() notifies: "
                "a sleep() loop answers late (up to a whole sleep after the message) or burns CPU asking again and "
                f"again. {see('01', 'Long polling')}")
    if reads > MAX_READS_PER_WAIT:
        return (f"one idle long poll read the store {reads} times in {seconds:.1f} s (and waited on store.changed "
                f"{waits} times): it asks again and again, as a loop of short waits does. Expected at most "
                f"{MAX_READS_PER_WAIT} reads: one wait for the whole timeout, woken when a message is posted. "
                f"{see('01', 'Long polling')}")
    return None


def check_long_poll_wakes(ctx: Context) -> None:
    url, store, stats = board(ctx)
    post(ctx, url, "already there")
    ctx.step("GET /api/messages/wait?after=0 with a message already waiting")
    response = http.get(f"{url}/api/messages/wait?after=0&timeout=5", timeout=ctx.timeout(6))
    expect_answer(response, [1], 1, "a message was already there")
    if response.elapsed > ctx.timeout(1.0):  # scaled: a loaded machine answers late too
        raise CheckFailed(f"{response.what} took {response.elapsed:.1f} s although a message was already there; "
                          "answer at once when there is something after the cursor.")
    box: dict = {}

    def waiter():
        try:
            box["response"] = http.get(f"{url}/api/messages/wait?after=1&timeout=5", timeout=ctx.timeout(8))
        except BaseException as exc:  # noqa: BLE001 - reported below
            box["error"] = exc
        box["at"] = time.monotonic()

    ctx.step("GET /api/messages/wait?after=1&timeout=5, then posting a message once it waits")
    reads, waits = store.reads, store.changed.waits
    started = time.monotonic()
    thread = threading.Thread(target=waiter, daemon=True)
    thread.start()
    ctx.wait_until(lambda: stats.as_dict()["waiting_now"] >= 1 or not thread.is_alive(), 3)
    # Counted as waiting before the view runs: give it until it really waits on store.changed (at once on
    # a quiet machine), else a busy machine would make a correct view look like one that never waits.
    ctx.wait_until(lambda: store.changed.waits > waits or not thread.is_alive(), 3)
    if not thread.is_alive():
        answer = box.get("response")
        raise CheckFailed("the long poll answered before anything new was posted"
                          + (f" (it returned {answer.body[:120]!r})" if answer else f": {box.get('error')}")
                          + "; it should wait until a message arrives or the timeout passes.")
    loop = _sleep_loop(store, store.reads - reads, store.changed.waits - waits, time.monotonic() - started)
    posted_at = time.monotonic()
    store.post("checker", "wake up")
    thread.join(ctx.timeout(7))
    if loop:
        raise CheckFailed(loop)
    if "error" in box:
        raise box["error"]
    if "response" not in box:
        raise CheckFailed("the long poll did not answer within 7 s of a new message.")
    expect_answer(box["response"], [2], 2, "the message posted while it waited")
    delay = box["at"] - posted_at
    if delay > ctx.timeout(1.0):
        raise CheckFailed(f"the long poll answered {delay:.1f} s after the message was posted; it should answer "
                          "within moments. Wait on store.changed rather than sleeping in a loop.")


def check_long_poll_timeout(ctx: Context) -> None:
    url, store, _ = board(ctx)
    post(ctx, url, "old news")
    ctx.step("GET /api/messages/wait?after=1&timeout=0.5 with nothing new")
    reads, waits = store.reads, store.changed.waits
    response = http.get(f"{url}/api/messages/wait?after=1&timeout=0.5", timeout=ctx.timeout(4))
    expect_answer(response, [], 1, "nothing new arrived before the timeout")
    if response.elapsed < 0.4:
        raise CheckFailed(f"{response.what} answered after {response.elapsed:.2f} s; with nothing new it should wait "
                          "for the whole timeout (0.5 s) before answering with an empty list.")
    if response.elapsed > ctx.timeout(2.5):
        raise CheckFailed(f"{response.what} answered after {response.elapsed:.1f} s; it should give up after "
                          "about 0.5 s (the timeout it was asked for). Is the timeout a float (seconds)?")
    loop = _sleep_loop(store, store.reads - reads, store.changed.waits - waits, response.elapsed)
    if loop:
        raise CheckFailed(loop)
    for query, why in [("after=1&timeout=abc", "the timeout is not a number"),
                       ("after=1&timeout=-1", "a negative timeout"),
                       ("after=1&timeout=999", "a timeout above MAX_TIMEOUT"),
                       ("after=1&timeout=nan", "a timeout that is not a number (nan)"),
                       ("after=x&timeout=1", "the cursor is not a number")]:
        ctx.step(f"GET /api/messages/wait?{query}")
        expect_400(ctx, f"{url}/api/messages/wait?{query}", why, "Long polling")
