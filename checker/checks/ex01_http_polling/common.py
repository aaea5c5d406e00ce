"""What lesson 01's server and browser checks share: the running board and reading its answers.

The board runs in the grading process, started by the lesson's launcher
(``lessons/01-http-polling/launch.py``) on a free loopback port: the checks post messages and
read the board's counters (``board.reads``, ``board.changed.waits``, ``stats``) directly.
"""

from __future__ import annotations

from checker.api import CheckFailed, Context
from checker.expect import brief, see
from checker.probes import http
from workshop.launch import Ports


def board(ctx: Context):
    """The running board, emptied: (url, board, stats)."""
    from launch import launch  # lessons/01-http-polling/launch.py: the lesson folder is on sys.path

    site = ctx.resource("board", lambda: launch(ctx.exercise_dir, Ports.free(*ctx.lesson.ports),
                                                ready_timeout=ctx.timeout(10)))
    from board.stats import stats
    from board.store import board as store

    store.clear()
    stats.reset()
    return site.url("http"), store, stats


def post(ctx: Context, url: str, text: str, author: str = "checker") -> int:
    response = http.post(f"{url}/api/messages", {"author": author, "text": text}, timeout=ctx.timeout(3))
    if response.status != 201:
        raise CheckFailed(f"posting a message failed with HTTP {response.status}: {response.body[:200]!r}")
    return response.json()["id"]


def ids(answer: dict, what: str) -> list[int]:
    """The message ids of a polling answer, after checking its shape."""
    if not isinstance(answer, dict) or "messages" not in answer or "cursor" not in answer:
        raise CheckFailed(f"{what} answered {answer!r:.200}; expected a JSON object with \"messages\" and \"cursor\".")
    messages = answer["messages"]
    if not isinstance(messages, list) or not all(isinstance(m, dict) and "id" in m for m in messages):
        raise CheckFailed(f"{what}: \"messages\" should be a list of message objects (use m.as_dict()), "
                          f"got {messages!r:.200}")
    return [m["id"] for m in messages]


def expect_answer(response: http.Response, expected: list[int], cursor: int, why: str) -> dict:
    """A 200 answer with exactly the messages ``expected`` and the cursor ``cursor``; the answer."""
    if response.status != 200:
        raise CheckFailed(f"{response.what} answered HTTP {response.status}; expected 200 with JSON.")
    answer = response.json()
    got = ids(answer, response.what)
    if got != expected:
        raise CheckFailed(f"{response.what} returned messages {brief(got)}; expected {brief(expected)} ({why}).")
    if answer["cursor"] != cursor:
        raise CheckFailed(f"{response.what} returned cursor {answer['cursor']!r}; expected {cursor} "
                          "(the id of the last message in the answer, or the client's cursor if there is none).")
    return answer


def expect_400(ctx: Context, url: str, why: str, section: str = "Short polling and the cursor") -> None:
    expected = f"400 Bad Request with a JSON body {{\"error\": \"...\"}} ({why}: the client's mistake)"
    try:
        response = http.get(url, timeout=ctx.timeout(3))
    except CheckFailed as failed:
        if "HTTP 501" in str(failed):  # not written yet: that message says what to do
            raise
        raise CheckFailed(f"{failed}\nExpected {expected}, not a crash or a wait. Which line of your view does the "
                          f"bad value reach, and where does the error it raises go? {see('01', section)}") from None
    if response.status != 400:
        raise CheckFailed(f"{response.what} answered HTTP {response.status} with {response.body[:120]!r}; "
                          f"expected {expected}. {see('01', section)}")
    if not isinstance(response.json(), dict) or "error" not in response.json():
        raise CheckFailed(f"{response.what} answered 400 but without {{\"error\": \"...\"}} in the body.")
