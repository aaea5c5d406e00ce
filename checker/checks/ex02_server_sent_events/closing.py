"""Ring "server": how streams end: at their lifetime (idle or busy), when the client leaves,
and when the feed is closed."""

from __future__ import annotations

import threading
import time

from checker.api import CheckFailed, Context
from checker.expect import see
from checker.probes.sse import parse

from .common import connect, feed, open_stream

#: The lesson section on why and how a stream ends by itself (its lifetime).
RECONNECT = "Reconnection, `Last-Event-ID` and HTTP 204"

#: A stream must end this soon after its lifetime, whatever its heartbeat (a correctness margin, not a wait).
LATE = 1.0


def check_clean_close(ctx: Context) -> None:
    port, store, stats = feed(ctx)
    _ends_when_busy(ctx, port, store, stats)
    _ends_when_idle(ctx, port, stats)
    _ends_when_the_client_leaves(ctx, port, stats)
    ctx.step("closing the generator as Django does when a client leaves")
    sse = ctx.import_learner("sse")
    generator = sse.event_stream(store, 0, heartbeat=0.2, lifetime=30.0, retry=100)
    first = next(generator)
    if parse(first).retry != 100:
        raise CheckFailed(f"event_stream(...) yielded {first!r:.200} first; expected format_event(retry=retry).")
    try:
        generator.close()
    except RuntimeError as err:
        raise CheckFailed(f"closing event_stream(...) failed ({err}): do not catch GeneratorExit (or a bare "
                          "except:) around the yield; let the generator end.") from None


def _ends_when_idle(ctx: Context, port: int, stats) -> None:
    ctx.step("GET /events?lifetime=0.4&heartbeat=10 on a quiet feed")
    started = time.monotonic()
    with open_stream(ctx, port, "lifetime=0.4&heartbeat=10&retry=100") as stream:
        stream.read_for(ctx.timeout(3))
    if not stream.eof:
        raise CheckFailed(f"{stream.what} was still open after 3 s although its lifetime is 0.4 s (and its heartbeat "
                          "10 s). Expected it to end at its lifetime, quiet or not: no wait may run past that "
                          f"deadline, not even a heartbeat's. {see('02', RECONNECT)}")
    lasted = stream.eof_at - started
    if lasted < 0.3:
        raise CheckFailed(f"{stream.what} ended after {lasted:.2f} s; it should stay open for the whole lifetime "
                          "(0.4 s), sending heartbeats while nothing happens.")
    if lasted > 0.4 + LATE:
        raise CheckFailed(f"{stream.what} ended after {lasted:.1f} s although its lifetime is 0.4 s: the last wait "
                          "went past the deadline. Expected the stream to end at the deadline: how long may the "
                          f"last wait be? {see('02', RECONNECT)}")
    if not ctx.wait_until(lambda: stats.open_now() == 0, 1):
        raise CheckFailed("the stream's response ended, but the server still counts it as open.")


def _ends_when_busy(ctx: Context, port: int, store, stats) -> None:
    ctx.step("GET /events?lifetime=0.5&heartbeat=0.2 while an event is posted every 5 ms")
    stop = threading.Event()

    def poster() -> None:
        while not stop.is_set():
            store.post("busy")
            ctx.sleep(0.005)

    started = time.monotonic()
    thread = threading.Thread(target=poster, daemon=True)
    with open_stream(ctx, port, "lifetime=0.5&heartbeat=0.2&retry=100") as stream:
        thread.start()
        try:
            stream.read_for(ctx.timeout(3))
        finally:
            stop.set()
            thread.join(ctx.timeout(1))
    if not stream.eof:
        raise CheckFailed(f"{stream.what} was still open after {time.monotonic() - started:.1f} s while events kept "
                          f"coming every 5 ms ({len(stream.parser.events)} of them), although its lifetime is 0.5 s: a busy "
                          "stream never ended. Check the deadline on every turn of the loop, not only when nothing "
                          "came.")
    if stream.eof_at - started > 0.5 + LATE:
        raise CheckFailed(f"{stream.what} ended {stream.eof_at - started:.1f} s after it opened, while events kept "
                          "coming; its lifetime is 0.5 s. Check the deadline on every turn of the loop.")
    store.clear()  # the stream's backlog goes; the next test starts from a quiet feed
    ctx.wait_until(lambda: stats.open_now() == 0, 1)


def _ends_when_the_client_leaves(ctx: Context, port: int, stats) -> None:
    ctx.step("opening GET /events?heartbeat=0.2, then hanging up")
    baseline = stats.open_now()
    stream = open_stream(ctx, port, "heartbeat=0.2&retry=100")
    stream.read_until(lambda: stream.parser.retry is not None, ctx.timeout(1))
    if stats.open_now() != baseline + 1:
        stream.close()
        raise CheckFailed(f"the server counts {stats.open_now() - baseline} open streams; expected 1 (is the answer a "
                          "StreamingHttpResponse around a generator?).")
    stream.close()
    if not ctx.wait_until(lambda: stats.open_now() <= baseline, 2):
        raise CheckFailed("2 s after the client hung up, the server was still running its stream (a worker thread "
                          "lost for nothing). Expected the stream to end soon after: a server only learns that the "
                          "client left when a write fails, so does your stream write anything while it is quiet? "
                          + see("02", "Comments as heartbeats"))


def check_feed_closed(ctx: Context) -> None:
    port, store, _ = feed(ctx)
    for when in ("after its first frame", "as soon as it opens"):
        ctx.step(f"opening GET /events?heartbeat=5, then closing the feed {when}")
        with open_stream(ctx, port, "heartbeat=5&retry=100") as stream:
            if when == "after its first frame":
                stream.read_until(lambda: stream.parser.retry is not None, ctx.timeout(1))
            store.close()
            stream.read_for(ctx.timeout(1))
        if not stream.eof:
            raise CheckFailed(f"{stream.what} stayed open for 1 s after the feed was closed ({when}); end the "
                              "generator when store.closed is true: look at it on every turn of the loop, before "
                              "or right after each wait.")
        ctx.step("GET /events while the feed is closed")
        with connect(ctx, port, "heartbeat=5&retry=100") as closed:
            if closed.status != 204:
                raise CheckFailed(f"{closed.what} answered HTTP {closed.status} while the feed is closed; expected "
                                  "204 No Content, which tells EventSource to stop reconnecting.")
        store.reopen()
    ctx.step("GET /events after reopening the feed")
    open_stream(ctx, port, "heartbeat=5&retry=100").close()
