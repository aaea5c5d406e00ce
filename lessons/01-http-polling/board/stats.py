"""Counting what polling costs: every request to the polling endpoints is recorded."""

from __future__ import annotations

import json
import threading
import time
from dataclasses import dataclass, field

POLL_PATHS = ("/api/messages", "/api/messages/wait")


@dataclass
class PollStats:
    lock: threading.Lock = field(default_factory=threading.Lock)
    requests: list[tuple[float, str, str]] = field(default_factory=list)  # (time, path, after)
    answers: list[tuple[str, str, object]] = field(default_factory=list)  # (path, after, cursor answered)
    timeouts: list[str | None] = field(default_factory=list)  # ?timeout= of each long poll (None: not sent)
    in_flight: int = 0
    peak_in_flight: int = 0
    slow_down: float = 0.0  # seconds each short poll is held before it is answered (the checker sets it)

    def count(self, path: str | None = None) -> int:
        with self.lock:
            return sum(1 for _, p, _ in self.requests if path is None or p == path)

    def cursors(self, path: str) -> list[str]:
        with self.lock:
            return [after for _, p, after in self.requests if p == path]

    def jumps(self, path: str) -> list[tuple[object, str]]:
        """(cursor answered, ``after`` sent next) for each request that did not send back the
        cursor of the answer before it: a client that skips or repeats messages."""
        with self.lock:
            answers = [(after, cursor) for p, after, cursor in self.answers if p == path]
        return [(cursor, after) for (_, cursor), (after, _) in zip(answers, answers[1:]) if str(cursor) != after]

    def empty_answers(self, path: str) -> int:
        """How many answers on ``path`` had nothing new (the cursor came back unchanged)."""
        with self.lock:
            return sum(1 for p, after, cursor in self.answers if p == path and str(cursor) == (after or "0"))

    def reset(self) -> None:
        with self.lock:
            self.requests.clear()
            self.answers.clear()
            self.timeouts.clear()
            self.slow_down = 0.0
            self.peak_in_flight = self.in_flight

    def as_dict(self) -> dict:
        with self.lock:
            return {
                "short_polls": sum(1 for _, p, _ in self.requests if p == POLL_PATHS[0]),
                "long_polls": sum(1 for _, p, _ in self.requests if p == POLL_PATHS[1]),
                "waiting_now": self.in_flight,
                "peak_waiting": self.peak_in_flight,
            }


stats = PollStats()


class PollStatsMiddleware:
    """Records each GET to a polling endpoint and how many are open at once."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if request.method != "GET" or request.path not in POLL_PATHS:
            return self.get_response(request)
        with stats.lock:
            stats.requests.append((time.monotonic(), request.path, request.GET.get("after", "")))
            if request.path == POLL_PATHS[1]:
                stats.timeouts.append(request.GET.get("timeout"))
            stats.in_flight += 1
            stats.peak_in_flight = max(stats.peak_in_flight, stats.in_flight)
            slow_down = stats.slow_down if request.path == POLL_PATHS[0] else 0.0
        try:
            time.sleep(slow_down)  # a slow network or a busy server, for the checker's setInterval test
            response = self.get_response(request)
        finally:
            with stats.lock:
                stats.in_flight -= 1
        cursor = _cursor(response)
        if cursor is not None:
            with stats.lock:
                stats.answers.append((request.path, request.GET.get("after", ""), cursor))
        return response


def _cursor(response):
    """The ``cursor`` of a 200 JSON answer, or ``None``."""
    if response.status_code != 200 or getattr(response, "streaming", False):
        return None
    try:
        return json.loads(response.content).get("cursor")
    except (ValueError, AttributeError):
        return None
