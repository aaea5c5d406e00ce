"""What lesson 02's server and browser checks share: the running feed and opening streams on it.

The feed runs in the grading process, started by the lesson's launcher
(``lessons/02-server-sent-events/launch.py``) on a free loopback port; streams are read with
the raw-socket reader of ``checker.probes.sse``.
"""

from __future__ import annotations

from checker.api import CheckFailed, Context
from checker.expect import brief, see
from checker.probes.sse import Stream
from workshop.launch import Ports


def feed(ctx: Context):
    """The running feed, emptied and open, with no stream left from an earlier check: (port, feed, stats)."""
    from launch import launch  # lessons/02-server-sent-events/launch.py: the lesson folder is on sys.path

    site = ctx.resource("feed", lambda: launch(ctx.exercise_dir, Ports.free(*ctx.lesson.ports),
                                               ready_timeout=ctx.timeout(10)))
    from feed.store import feed as store
    from feed.streaming import stats

    store.clear()  # also ends the streams still open
    ctx.wait_until(lambda: stats.open_now() == 0, 1)
    stats.reset()
    return site.ports["http"], store, stats


def connect(ctx: Context, port: int, query: str, last_event_id: str | None = None) -> Stream:
    """``GET /events?query`` (with ``Last-Event-ID`` when given), whatever it answers."""
    headers = {"Last-Event-ID": last_event_id} if last_event_id is not None else None
    return Stream(port, f"/events?{query}", headers, timeout=ctx.timeout(2))


def open_stream(ctx: Context, port: int, query: str, last_event_id: str | None = None) -> Stream:
    """A stream that answered 200 with ``text/event-stream``."""
    stream = connect(ctx, port, query, last_event_id)
    if stream.status != 200:
        body = stream.raw[:200]
        stream.close()
        raise CheckFailed(f"{stream.what} answered HTTP {stream.status} ({body!r}); expected 200 and an event "
                          "stream (204 only when the feed is closed).")
    media_type = stream.headers.get("content-type", "").split(";")[0].strip().lower()
    if media_type != "text/event-stream":
        stream.close()
        raise CheckFailed(f"{stream.what} answered with Content-Type {stream.headers.get('content-type')!r}; "
                          "expected text/event-stream, the only type EventSource accepts. "
                          + see("02", "One response that does not end"))
    return stream


def describe(ids: list, expected: list) -> str:
    """What is wrong with the event ids ``ids`` (lists cut short: a runaway stream sends thousands)."""
    if "" in ids:
        return (f"got event ids {brief(ids)}; expected {brief(expected)}: some events came without an id. Every "
                "event frame needs id=event.id, or the browser cannot say where it stopped")
    dupes = sorted({i for i in ids if ids.count(i) > 1}, key=str)
    lost = [i for i in expected if i not in ids]
    return (f"got event ids {brief(ids)}; expected {brief(expected)} "
            f"(twice: {brief(dupes) if dupes else 'none'}; never: {brief(lost) if lost else 'none'})")


def wait_events(ctx: Context, stream: Stream, count: int, seconds: float, why: str) -> None:
    """Read until ``count`` events have arrived; fail with ``why`` if they do not."""
    ctx.step(f"waiting for {count} events on {stream.what}")
    if not stream.read_until(lambda: len(stream.parser.events) >= count, ctx.timeout(seconds)):
        ended = " The stream ended instead." if stream.eof else ""
        raise CheckFailed(f"{stream.what}: after {seconds:g} s, {len(stream.parser.events)} of {count} events "
                          f"had arrived (ids {brief(stream.ids())}); {why}.{ended}")


def settle(ctx: Context, stats, frames: int = 2, seconds: float = 1.0) -> None:
    """Wait until the server has sent ``frames`` more pieces on its streams (heartbeats): by then
    anything that should not have been sent would have been."""
    sent = stats.chunks
    ctx.wait_until(lambda: stats.chunks >= sent + frames, seconds)
