"""Ring "server": the stream over a real socket, on the feed started by the lesson's launcher."""

from __future__ import annotations

import threading

from checker.api import CheckFailed, Context
from checker.expect import brief, see
from checker.probes.sse import parse

from .common import connect, describe, feed, open_stream, settle, wait_events

#: A multi-line comment whose lines would be fields if they did not start with ":".
SNEAKY_COMMENT = "two\nlines\ndata: injected\nid: 99"


def check_stream_opens(ctx: Context) -> None:
    port, _, _ = feed(ctx)
    ctx.step("GET /events?heartbeat=5&retry=1234 on an empty feed")
    with open_stream(ctx, port, "heartbeat=5&retry=1234") as stream:
        cache = stream.headers.get("cache-control", "")
        if "no-cache" not in cache.lower():
            raise CheckFailed(f"{stream.what} answered with Cache-Control {cache or '(missing)'!r}; send "
                              "Cache-Control: no-cache so that no cache on the way stores or replays the stream.")
        ctx.step("reading the first frame")
        stream.read_until(lambda: stream.parser.retry is not None, ctx.timeout(1))
        if stream.parser.retry != 1234:
            raise CheckFailed(f"{stream.what}: the stream began with {stream.text[:120]!r}; its first frame should be "
                              "format_event(retry=options.retry), here retry: 1234 (from ?retry=).")
        if stream.parser.events:
            raise CheckFailed(f"{stream.what} sent an event ({stream.parser.events[0]}) although the feed is empty.")


def check_live_events(ctx: Context) -> None:
    port, store, stats = feed(ctx)
    ctx.step("opening GET /events?heartbeat=5&retry=100")
    with open_stream(ctx, port, "heartbeat=5&retry=100") as stream:
        stream.read_until(lambda: stream.parser.retry is not None, ctx.timeout(1))
        posted = [store.post("first"), store.post("two\nlines", "alert"), store.post("third")]
        wait_events(ctx, stream, 3, 1.0, "events should leave within moments of being posted (wait_for_events "
                    "wakes up at once; do not sleep for the heartbeat)")
        posted += [store.post("fourth"), store.post("fifth")]
        wait_events(ctx, stream, 5, 1.0, "the stream should keep going after the first events")
        stream.read_for(ctx.timeout(0.2))
        got = [(e.id, e.type, e.data) for e in stream.parser.events]
        expected = [(str(e.id), e.event, e.data) for e in posted]
        if got != expected:
            raise CheckFailed(f"{stream.what} delivered {brief(got, 6)}; expected {expected} (id, event type, data), "
                              "in order.")


def _comment_problem(sse) -> str | None:
    for text, lines in [("keep-alive", ["keep-alive"]), (SNEAKY_COMMENT, SNEAKY_COMMENT.split("\n"))]:
        frame = sse.comment(text)
        parsed = parse(frame) if isinstance(frame, str) else None
        if parsed is None or not frame.endswith("\n\n") or "\n\n" in frame[:-2]:
            return (f"comment({text!r}) returned {frame!r:.200}; expected ': keep-alive\\n\\n' for 'keep-alive': "
                    "':' lines, then one blank line.")
        if parsed.events or parsed.fields or parsed.retry is not None:
            return (f"comment({text!r}) returned {frame!r:.200}, which a browser reads as fields "
                    f"({', '.join(parsed.fields[:4])}), not as a comment: every line of the text needs its own ':'. "
                    "Split it with LINE_BREAK.split(text).")
        if [c.strip() for c in parsed.comments] != lines:
            return f"comment({text!r}) returned {frame!r:.200}; a browser reads the comment lines {parsed.comments}."
    return None


def check_heartbeat(ctx: Context) -> None:
    sse = ctx.import_learner("sse")
    ctx.step("comment('keep-alive') and a comment over several lines")
    problem = _comment_problem(sse)
    if problem:
        raise CheckFailed(problem)
    port, _, _ = feed(ctx)
    ctx.step("GET /events?heartbeat=0.1 with nothing to send, for 0.8 s")
    with open_stream(ctx, port, "heartbeat=0.1&retry=100") as stream:
        stream.read_for(0.8)
    beats = len(stream.parser.comments)
    if stream.parser.events:
        raise CheckFailed(f"{stream.what} sent events ({stream.parser.events[:2]}) although nothing was posted.")
    if beats < 3:
        ended = " (then the stream ended)" if stream.eof else ""
        raise CheckFailed(f"{stream.what}: {beats} comment lines arrived in 0.8 s of silence{ended}; expected one "
                          "about every 0.1 s: one comment frame each time a heartbeat's wait ends with nothing new. "
                          f"The stream sent: {stream.text[:160]!r}. {see('02', 'Comments as heartbeats')}")
    if beats > 16:
        raise CheckFailed(f"{stream.what}: {beats} comment lines arrived in 0.8 s; expected about 8 (one per 0.1 s). "
                          "Wait up to `heartbeat` seconds for events before sending a heartbeat.")
    if stream.eof:
        raise CheckFailed(f"{stream.what} ended after less than 0.8 s although lifetime was the default "
                          "(300 s); keep the stream open until the lifetime is over.")


def check_replay(ctx: Context) -> None:
    port, store, stats = feed(ctx)
    for n in range(1, 6):
        store.post(f"event {n}")
    query = "heartbeat=0.1&retry=100"
    ctx.step("GET /events with Last-Event-ID: 2 (events 1 to 5 exist)")
    with open_stream(ctx, port, query, "2") as stream:
        stream.read_until(lambda: len(stream.parser.events) >= 3, ctx.timeout(1))
        settle(ctx, stats)
        stream.read_for(ctx.timeout(0.05))
        if stream.ids() != [3, 4, 5]:
            raise CheckFailed(f"{stream.what}: {describe(stream.ids(), [3, 4, 5])}. Replay exactly the events "
                              "after Last-Event-ID, then wait for new ones.")
        store.post("event 6")
        wait_events(ctx, stream, 4, 1.0, "after the replay, new events should follow live")
        settle(ctx, stats)
        stream.read_for(ctx.timeout(0.05))
        if stream.ids() != [3, 4, 5, 6]:
            raise CheckFailed(f"{stream.what}: {describe(stream.ids(), [3, 4, 5, 6])}.")
    ctx.step("GET /events without Last-Event-ID")
    with open_stream(ctx, port, query) as stream:
        stream.read_until(lambda: len(stream.parser.events) >= 6, ctx.timeout(1))
        settle(ctx, stats)
        stream.read_for(ctx.timeout(0.05))
        if stream.ids() != [1, 2, 3, 4, 5, 6]:
            raise CheckFailed(f"{stream.what}: {describe(stream.ids(), [1, 2, 3, 4, 5, 6])}. "
                              "No Last-Event-ID means a new client: send everything from the start.")
    ctx.step("GET /events with Last-Event-ID: 6 (nothing missed), then event 7")
    with open_stream(ctx, port, query, "6") as stream:
        stream.read_until(lambda: stream.parser.retry is not None, ctx.timeout(1))
        settle(ctx, stats)
        stream.read_for(ctx.timeout(0.05))
        if stream.ids():
            raise CheckFailed(f"{stream.what}: {describe(stream.ids(), [])}; the client had seen everything.")
        store.post("event 7")
        stream.read_until(lambda: len(stream.parser.events) >= 1, ctx.timeout(1))
        if stream.ids() != [7]:
            raise CheckFailed(f"{stream.what}: {describe(stream.ids(), [7])}.")
    _replay_during_burst(ctx, port, store, stats, query)
    ctx.step("GET /events with Last-Event-ID: abc")
    with connect(ctx, port, query, "abc") as stream:
        if stream.status != 400:
            raise CheckFailed(f"{stream.what} answered HTTP {stream.status}; expected 400 (parse_last_event_id "
                              "raises ValueError for it).")


def _replay_during_burst(ctx: Context, port: int, store, stats, query: str) -> None:
    ctx.step("GET /events with Last-Event-ID: 7 while 20 events are being posted")

    def burst() -> None:
        for n in range(20):
            store.post(f"burst {n}")
            ctx.sleep(0.002)

    poster = threading.Thread(target=burst, daemon=True)
    poster.start()
    with open_stream(ctx, port, query, "7") as stream:
        poster.join(ctx.timeout(3))
        expected = list(range(8, 28))
        stream.read_until(lambda: len(stream.parser.events) >= 20, ctx.timeout(2))
        settle(ctx, stats)
        stream.read_for(ctx.timeout(0.05))
        if stream.ids() != expected:
            raise CheckFailed(f"{stream.what} while events were being posted: {describe(stream.ids(), expected)}. "
                              "Let wait_for_events(last_id, ...) find the events, and update last_id as you "
                              "yield each one: then none is lost and none comes twice.")
