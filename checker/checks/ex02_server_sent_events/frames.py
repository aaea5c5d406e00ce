"""Ring "functions": ``format_event`` and ``parse_last_event_id``, called directly.

Every frame is read back with ``checker.probes.sse``'s parser, which follows the HTML
standard: a frame passes only if a browser reads it as the learner meant.
"""

from __future__ import annotations

from checker import expect
from checker.api import CheckFailed, Context
from checker.probes.sse import SSEEvent, parse

#: Not ids we send: int() accepts the spaces and signs, str.isdigit() the other scripts' digits.
NOT_IDS = ["abc", "-1", "1.5", "7 8", " 7", "7 ", "+7", "٣", "²"]


def check_format_event(ctx: Context) -> None:
    sse = ctx.import_learner("sse")
    samples = {"data": "hello", "event": "alert", "id": "42", "retry": 1500}
    names = list(samples)
    for mask in range(1, 16):  # every non-empty combination of the four fields
        kwargs = {name: samples[name] for bit, name in enumerate(names) if mask & (1 << bit)}
        _expect_frame(ctx, sse, kwargs)
    for data in ["line one\nline two", "windows\r\nline ends", "old mac\rline ends", "three\n\nparagraphs",
                 "ends with a newline\n", "", " leading space", "a: colon and ✓ unicode"]:
        _expect_frame(ctx, sse, {"data": data, "id": 7})
    frame = sse.format_event(data="a\nb\nc")
    if sum(1 for line in frame.split("\n") if line.startswith("data")) != 3:
        raise CheckFailed(f"format_event(data='a\\nb\\nc') returned {frame!r:.200}; expected three data: lines.")
    injects = "the break would let it inject fields"
    refusals = [({"data": "x", "id": "4\n2"}, f"an id with a line break: it cannot be sent intact, and {injects}"),
                ({"data": "x", "id": "4\r2"}, "an id with a carriage return: a browser reads it as a line break"),
                ({"data": "x", "id": "4\x002"}, "an id with NUL (browsers ignore such an id)"),
                ({"data": "x", "event": "al\nert"}, f"an event type with a line break: {injects}"),
                ({"data": "x", "event": "al\rert"}, "an event type with a carriage return: a browser reads it as a "
                                                    "line break"),
                ({"retry": -1}, "a negative retry: a browser ignores a retry that is not only digits"),
                ({"retry": 1.5}, "a retry that is not a whole number"),
                ({"retry": "soon"}, "a retry that is not a number"),
                ({"retry": True}, "a retry that is a bool, not a number"),
                ({}, "no field at all: there is no frame to write")]
    for kwargs, why in refusals:
        ctx.step(_call(kwargs))
        try:
            got = sse.format_event(**kwargs)
        except ValueError:
            continue
        except TypeError as err:
            raise CheckFailed(f"{_call(kwargs)} raised TypeError ({err}); raise ValueError for {why}.") from None
        raise CheckFailed(f"{_call(kwargs)} returned {got!r:.200}; it should raise ValueError ({why}).")


def check_parse_last_event_id(ctx: Context) -> None:
    sse = ctx.import_learner("sse")
    cases = [(None, 0), ("", 0), ("0", 0), ("7", 7), ("123", 123)]
    expect.returns(ctx, sse.parse_last_event_id, "parse_last_event_id", cases, exact_type=int)
    expect.refuses(ctx, sse.parse_last_event_id, "parse_last_event_id", NOT_IDS,
                   "our ids are whole numbers >= 0 written with the digits 0-9; int() alone accepts spaces "
                   "and signs, str.isdigit() accepts digits of other scripts")


# -- helpers -------------------------------------------------------------------------------------
def _call(kwargs: dict) -> str:
    return "format_event(" + ", ".join(f"{k}={v!r}" for k, v in kwargs.items()) + ")"


def _expect_frame(ctx: Context, sse, kwargs: dict) -> None:
    call = _call(kwargs)
    ctx.step(call)
    problem = _frame_problem(call, sse.format_event(**kwargs), kwargs)
    if problem:
        raise CheckFailed(problem)


def _frame_problem(call: str, frame, expect: dict) -> str | None:
    """Why ``frame`` is not what a browser should read for ``expect``, or None."""
    if not isinstance(frame, str):
        return f"{call} returned {frame!r:.200}; it should return a str."
    if not frame.endswith("\n\n"):
        return f"{call} returned {frame!r:.200}; a frame ends with a blank line: finish with \"\\n\\n\"."
    if "\r" in frame.replace("\r\n", "\n"):
        return (f"{call} returned {frame!r:.200}; a lone \\r ends a line for the browser too (an event stream may "
                "use \\n, \\r\\n or \\r). Split data with LINE_BREAK.split(data), which knows all three.")
    if "\n\n" in frame[:-2]:
        return (f"{call} returned {frame!r:.200}; it contains a blank line before the end, which ends the event "
                "early. Write one \"data: \" line per line of text, even an empty one.")
    parsed = parse(frame)
    if "data" in expect:
        return _event_problem(call, frame, parsed, expect)
    if parsed.events:
        return (f"{call} returned {frame!r:.200}, which a browser reads as an event with data "
                f"{parsed.events[0].data!r:.100}; leave the data line out when data is None.")
    if "id" in expect and parsed.last_event_id != str(expect["id"]):
        return f"{call} returned {frame!r:.200}; a browser reads the id as {parsed.last_event_id!r}, expected {expect['id']!r}."
    return _retry_problem(call, frame, parsed, expect)


def _event_problem(call: str, frame: str, parsed, expect: dict) -> str | None:
    wanted = SSEEvent(expect.get("event") or "message", expect["data"].replace("\r\n", "\n").replace("\r", "\n"),
                      str(expect.get("id", "")))
    if len(parsed.events) != 1:
        return f"{call} returned {frame!r:.200}, which a browser reads as {len(parsed.events)} events; expected one."
    got = parsed.events[0]
    if got.data != wanted.data:
        hint = ""
        if wanted.data.startswith(" ") and got.data == wanted.data[1:]:
            hint = " Write \"data: \" with one space: the browser removes one space after the colon."
        return (f"{call} returned {frame!r:.200}; a browser reads its data as {got.data!r:.100}, expected "
                f"{wanted.data!r}. Write one \"data: \" line per line of text (LINE_BREAK.split(data)).{hint}")
    if got.type != wanted.type:
        return f"{call} returned {frame!r:.200}; a browser reads its type as {got.type!r}, expected {wanted.type!r}."
    if got.id != wanted.id:
        return f"{call} returned {frame!r:.200}; a browser reads its id as {got.id!r}, expected {wanted.id!r}."
    return _retry_problem(call, frame, parsed, expect)


def _retry_problem(call: str, frame: str, parsed, expect: dict) -> str | None:
    if "retry" in expect and parsed.retry != expect["retry"]:
        return f"{call} returned {frame!r:.200}; a browser reads retry as {parsed.retry!r}, expected {expect['retry']}."
    if "retry" not in expect and parsed.retry is not None:
        return f"{call} returned {frame!r:.200}; it has a retry line although retry is None."
    return None
