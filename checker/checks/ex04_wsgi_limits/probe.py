"""Ring 2: the learner's ``probe`` against the lesson's fixed-pool WSGI server, judged by the server's log.

The pool server runs in this grading process (the launcher with only an ``http`` port), so the
check reads what *really* reached it: when each request was accepted, started on a worker and
finished. Judging by that log, not by wall-clock thresholds, keeps the check fair on a busy laptop.
"""

from __future__ import annotations

import math
import time
from urllib.parse import parse_qs

from checker import launchers
from checker.api import CheckFailed, Context
from workshop.launch import Ports

POOL_WORKERS = 4
HOLD = 0.5
SETTLE = 0.15
# Around the pool's size: N - 1 held leave a worker free, N fill the pool, N + 1 queue one more.
HELD = (0, POOL_WORKERS - 1, POOL_WORKERS, POOL_WORKERS + 1, 2 * POOL_WORKERS)


def check_probe(ctx: Context) -> None:
    pool = ctx.import_learner("pool")
    site = _pool(ctx)
    server = site.extras["pool"].server
    for held in HELD:
        server.clear_log()
        ctx.step(f"probe(url, held={held}, hold_seconds={HOLD}, settle={SETTLE}) against a pool of {POOL_WORKERS}")
        called = time.monotonic()
        elapsed = pool.probe(site.url("http"), held, HOLD, SETTLE)
        returned = time.monotonic()
        # The server notes a request's end just after the client has its answer, and a busy machine can
        # hold that thread back: wait for that state (at once when it is there) before reading the log.
        ctx.wait_until(lambda: not server.stats()["busy"] and all(r.finished is not None for r in server.log), 5)
        _judge(held, elapsed, returned - called, returned, list(server.log))


def _judge(held: int, elapsed, took: float, returned: float, log) -> None:
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
    if took < SETTLE:  # time.sleep(settle) never returns early, so a probe that slept cannot be quicker
        raise CheckFailed(f"probe(held={held}, settle={SETTLE}) returned after {took:.3f} s, sooner than `settle`: "
                          "it did not wait `settle` seconds before the ping. Without that wait the ping can reach "
                          "the server before the slow requests do, and the measurement depends on luck. Expected: "
                          "the slow requests started, then `settle` seconds of waiting, then the timed ping.")
    ping = pings[0]
    if slow and ping.accepted < max(r.accepted for r in slow):
        raise CheckFailed(f"probe(held={held}): GET /ping reached the server before the last GET /slow. Start the "
                          "slow requests first and sleep `settle` seconds before timing the ping.")
    # A slow answer cannot exist before its worker has held it for HOLD seconds (the server's own clock,
    # taken before the sleep), so a probe that returned earlier did not wait for it. Not judged by
    # `finished`, which the server writes only after the answer has left, a little late under load.
    if any(r.finished is None or r.started + HOLD > returned + 0.05 for r in slow):
        raise CheckFailed(f"probe(held={held}) returned while requests were still running on the server; join() "
                          "the threads of the slow requests before returning, so that probes do not overlap.")
    if not isinstance(elapsed, (int, float)) or isinstance(elapsed, bool) or not math.isfinite(elapsed):
        raise CheckFailed(f"probe(held={held}) returned {elapsed!r}; expected the time of GET /ping in seconds "
                          "(a float).")
    _judge_ping_clock(held, elapsed, ping)
    _judge_queueing(held, ping, slow)


def _judge_ping_clock(held: int, elapsed: float, ping) -> None:
    """The probe's clock against the server's: it must cover the ping's wait and not the settle wait.

    A clock started before the request was sent and stopped after the answer was read covers at least
    the ping's time in the queue (accepted -> started): never less. It covers more by the connection
    and the reply, milliseconds on a quiet machine, more on a busy one. A clock that also covers the
    settle wait (started before the sleep, or minus `settle`) is at least SETTLE longer than the queue
    time, so "SETTLE longer, less a hair" tells the two apart whatever the machine's load, and leaves a
    correct clock as much room as there can be. `finished` is not used: it is written after the answer
    has left, late on a busy machine.
    """
    waited = ping.started - ping.accepted
    if elapsed < waited - 0.02:
        raise CheckFailed(f"probe(held={held}) returned {elapsed:.3f} s, but GET /ping waited {waited:.3f} s on the "
                          "server for a free worker before it even started. Expected the whole request: read the "
                          "clock just before the request is sent and again after the answer has been read.")
    if elapsed - waited > SETTLE - 0.01:
        raise CheckFailed(f"probe(held={held}) returned {elapsed:.3f} s, but the server saw GET /ping wait "
                          f"{waited:.3f} s for a worker and answer at once. Expected the time of the ping alone: "
                          "what else happens between your two clock readings?")


def _judge_queueing(held: int, ping, slow) -> None:
    """What the pool did with the ping, by the server's log: queued exactly when all workers were busy."""
    if not slow:
        return
    first_end = min(r.finished for r in slow)
    if held >= POOL_WORKERS:
        if ping.accepted >= first_end:
            raise CheckFailed(f"probe(held={held}): GET /ping arrived after the slow requests had finished, so it "
                              "never met a busy pool. Send the ping while they are still being served (start "
                              "them in threads, sleep `settle`, then time the ping).")
        # FIFO: the ping is request number held + 1, so it gets the worker freed by finish number held - pool + 1.
        must_follow = sorted(r.finished for r in slow)[held - POOL_WORKERS]
        if ping.started < must_follow - 0.02:
            raise CheckFailed(f"probe(held={held}): the server started GET /ping before a worker was free; "
                              "were the slow requests really in flight, all at once, when the ping was sent?")
    elif ping.started >= first_end:
        raise CheckFailed(f"probe(held={held}): GET /ping waited for a slow request to end although only {held} of "
                          f"{POOL_WORKERS} workers were busy. Hold exactly `held` slow requests.")


def _pool(ctx: Context):
    """The lesson's fixed-pool server, started by its launcher once per grading process."""
    lesson = launchers.load(ctx.lesson_dir)
    return ctx.resource("pool", lambda: lesson.launch(ctx.exercise_dir, Ports(http=0), workers=POOL_WORKERS,
                                                      ready_timeout=ctx.timeout(10)))


def _number(text: str) -> float | None:
    try:
        return float(text)
    except ValueError:
        return None
