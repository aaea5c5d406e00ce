"""Lesson 02's reference solution without HTTP: frames, the header parser and the stream generator.

Every frame ``format_event`` writes is read back by a small event-stream parser written here
from the HTML Living Standard's rules, and by the checker's probe (``checker.probes.sse``), fed
in random pieces: the two must agree with each other and with what was sent.
"""

from __future__ import annotations

import importlib
import re
import sys
import threading
import time
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

REPO = Path(__file__).resolve().parent.parent
SLUG = "02-server-sent-events"
FOLDERS = [REPO / "solutions" / SLUG, REPO / "lessons" / SLUG]
MODULES = ["sse", "feed", "feed.store", "feed.streaming"]


@pytest.fixture(scope="module")
def mods():
    """The solution's ``sse`` and the lesson's ``feed.store``; sys.path/sys.modules restored after."""
    saved_path = list(sys.path)
    saved = {name: sys.modules.pop(name) for name in MODULES if name in sys.modules}
    sys.path[:0] = [str(folder) for folder in FOLDERS]
    try:
        sse = importlib.import_module("sse")
        store = importlib.import_module("feed.store")
        assert Path(sse.__file__).parent == FOLDERS[0]
        from checker.probes import sse as probe

        yield sse, store, probe
    finally:
        sys.path[:] = saved_path
        for name in MODULES:
            sys.modules.pop(name, None)
        sys.modules.update(saved)


def read_stream(text: str) -> tuple[list[tuple[str, str, str]], str, int | None, list[str]]:
    """(events as (type, data, last id), last event id, retry, comments): the standard's parsing rules."""
    events, comments = [], []
    data, kind, id_buffer, last_id, retry = [], "", "", "", None
    for line in re.split(r"\r\n|\r|\n", text)[:-1]:  # the piece after the last line break is incomplete
        if line == "":
            last_id = id_buffer
            if data:
                events.append((kind or "message", "\n".join(data), last_id))
            data, kind = [], ""
            continue
        if line.startswith(":"):
            comments.append(line[1:])
            continue
        name, colon, value = line.partition(":")
        value = value[1:] if colon and value.startswith(" ") else value
        if name == "data":
            data.append(value)
        elif name == "event":
            kind = value
        elif name == "id" and "\0" not in value:
            id_buffer = value
        elif name == "retry" and value.isascii() and value.isdigit():
            retry = int(value)
    return events, last_id, retry, comments


def checker_read(probe, text: str, cuts: list[int]):
    parser = probe.SSEParser()
    last = 0
    for cut in sorted(cuts) + [len(text)]:
        parser.feed(text[last:cut])
        last = cut
    return [(e.type, e.data, e.id) for e in parser.events], parser.last_event_id, parser.retry, parser.comments


def normalise(data: str) -> str:
    return re.sub(r"\r\n|\r", "\n", data)


TEXT = st.text(st.characters(exclude_categories=["Cs"]), max_size=40)
NO_BREAK = st.text(st.characters(exclude_categories=["Cs"], exclude_characters="\r\n\0"), max_size=12)


@settings(max_examples=300, deadline=None)
@given(data=st.none() | TEXT, event=st.none() | NO_BREAK, id=st.none() | NO_BREAK | st.integers(0, 10**9),
       retry=st.none() | st.integers(0, 10**6), cuts=st.lists(st.integers(0, 200), max_size=6))
def test_format_event_round_trips(mods, data, event, id, retry, cuts):
    sse, _, probe = mods
    kwargs = {k: v for k, v in dict(data=data, event=event, id=id, retry=retry).items() if v is not None}
    if not kwargs:
        with pytest.raises(ValueError):
            sse.format_event()
        return
    frame = sse.format_event(**kwargs)
    assert frame.endswith("\n\n") and "\n\n" not in frame[:-2]
    events, last_id, got_retry, comments = read_stream(frame)
    assert checker_read(probe, frame, [c for c in cuts if c <= len(frame)]) == (events, last_id, got_retry, comments)
    assert comments == [] and got_retry == retry
    assert last_id == ("" if id is None else str(id))
    if data is None:
        assert events == []
    else:
        assert events == [(event or "message", normalise(data), last_id)]


def test_format_event_examples(mods):
    sse, _, _ = mods
    assert sse.format_event(data="hi", event="alert", id=7) == "id: 7\nevent: alert\ndata: hi\n\n"
    assert sse.format_event(data="two\nlines") == "data: two\ndata: lines\n\n"
    assert sse.format_event(data="") == "data: \n\n"
    assert sse.format_event(retry=2000) == "retry: 2000\n\n"
    assert read_stream(sse.format_event(data="a\u2028b\x0bc"))[0] == [("message", "a\u2028b\x0bc", "")]


@pytest.mark.parametrize("kwargs", [
    {"data": "x", "id": "1\n2"}, {"data": "x", "id": "1\r2"}, {"data": "x", "id": "1\x002"},
    {"data": "x", "event": "a\nb"}, {"data": "x", "event": "a\rb"},
    {"retry": -1}, {"retry": 1.5}, {"retry": "1000"}, {"retry": True},
])
def test_format_event_refuses(mods, kwargs):
    sse, _, _ = mods
    with pytest.raises(ValueError):
        sse.format_event(**kwargs)


def test_comment_is_ignored_by_the_browser(mods):
    sse, _, _ = mods
    assert sse.comment("keep-alive") == ": keep-alive\n\n"
    events, _, retry, comments = read_stream(sse.comment("two\nlines") + sse.comment())
    assert events == [] and retry is None and comments == [" two", " lines", ""]
    sneaky = sse.comment("x\ndata: boo\rid: 9\r\nretry: 5")
    assert read_stream(sneaky) == ([], "", None, [" x", " data: boo", " id: 9", " retry: 5"])


def test_parse_last_event_id(mods):
    sse, _, _ = mods
    assert [sse.parse_last_event_id(v) for v in (None, "", "0", "42")] == [0, 0, 0, 42]
    for bad in ("abc", "-1", "1.5", "²", "٣", " 1", "1 ", "+1"):
        with pytest.raises(ValueError):
            sse.parse_last_event_id(bad)


def test_event_stream_replays_then_goes_live(mods):
    sse, store, _ = mods
    feed = store.Feed()
    for n in range(1, 4):
        feed.post(f"event {n}")
    stream = sse.event_stream(feed, 1, heartbeat=0.05, lifetime=5, retry=10)
    assert read_stream(next(stream))[2] == 10
    assert [read_stream(next(stream))[0][0][2] for _ in range(2)] == ["2", "3"]
    assert read_stream(next(stream))[3] == [" keep-alive"]  # idle for 0.05 s
    stream.close()
    live = sse.event_stream(feed, 3, heartbeat=5, lifetime=10, retry=10)
    next(live)
    threading.Timer(0.02, feed.post, args=("live", "alert")).start()
    assert read_stream(next(live))[0] == [("alert", "live", "4")]  # woken by the post, not the heartbeat
    threading.Timer(0.02, feed.close).start()
    assert list(live) == []  # the generator ends once the feed is closed


def test_event_stream_ends_at_its_lifetime(mods):
    sse, store, _ = mods
    feed = store.Feed()
    started = time.monotonic()
    frames = list(sse.event_stream(feed, 0, heartbeat=0.05, lifetime=1.0, retry=10))
    assert 0.95 < time.monotonic() - started < 5.0  # it ends at its lifetime (a busy machine may be late)
    assert 3 <= len(frames) <= 22  # retry + about one heartbeat per 0.05 s, never more


def test_closed_feed_answers_promptly_but_does_not_spin(mods):
    _, store, _ = mods
    feed = store.Feed()
    feed.post("before the close")
    feed.close()
    started = time.monotonic()
    assert feed.wait_for_events(0, timeout=5) == []  # closed: no events, and no waiting a whole timeout
    assert time.monotonic() - started >= store.CLOSED_PAUSE * 0.9  # a pause, so a forgetful loop cannot spin


def test_a_stream_that_looks_after_each_wait_ends_when_closed_mid_write(mods):
    """The close lands while the stream is between its yield and its next wait: the next wait
    answers at once, so a stream that looks at ``closed`` only after waiting ends too."""
    sse, store, _ = mods
    feed = store.Feed()
    stream = sse.event_stream(feed, 0, heartbeat=30, lifetime=60, retry=10)
    next(stream)  # the retry frame: the generator is paused at its yield
    feed.close()
    assert list(stream) == []
