"""Lesson 04's probe check judges by the pool server's log: made-up logs of a busy machine.

The server writes a request's ``finished`` only after its answer has left, and on a busy machine
that thread can be held back for a while. A correct probe must pass however late ``finished`` is;
a probe that does not wait for its slow requests, or that times the settle wait, must still fail.
Each log here is what the pool server would record, with times in seconds from the probe's call.
"""

from __future__ import annotations

import sys

import pytest

from checker.api import CheckFailed
from checker.checks.ex04_wsgi_limits import probe
from workshop import paths

sys.path[:0] = [str(paths.LESSONS / "04-wsgi-limits")]

from pool_server import RequestRecord  # noqa: E402

HOLD, SETTLE = probe.HOLD, probe.SETTLE
LAG = 0.3  # how late the server notes `finished` after the answer has left


def _slow(start: float, lag: float = LAG) -> RequestRecord:
    return RequestRecord("/slow", f"seconds={HOLD}", "w", start, start, start + HOLD + lag)


def _ping(accepted: float, started: float, lag: float = LAG) -> RequestRecord:
    return RequestRecord("/ping", "", "w", accepted, started, started + 0.001 + lag)


def _three_held(lag: float = LAG):
    """held=3 of 4 workers: the ping finds a free worker; the slow answers leave at about 0.5 s."""
    return [_slow(0.001 * n, lag) for n in range(1, 4)] + [_ping(SETTLE + 0.001, SETTLE + 0.002, lag)]


def test_a_correct_probe_passes_however_late_the_server_notes_the_end():
    for lag in (0.0, 0.05, LAG, 2.0):
        # the clock from just before the ping's connection to just after its answer; returned once joined
        probe._judge(3, 0.003, HOLD + 0.01, HOLD + 0.01, _three_held(lag))


def test_a_probe_that_returns_before_its_slow_requests_end_fails_even_when_ends_are_noted_late():
    with pytest.raises(CheckFailed, match="still running"):
        probe._judge(3, 0.003, SETTLE + 0.01, SETTLE + 0.01, _three_held())


def test_a_queued_ping_passes_with_a_late_end_and_a_clock_that_includes_the_settle_wait_fails():
    # held=4: the ping waits for the first worker to be free (at HOLD), and the worker's end is noted late
    log = [_slow(0.001 * n) for n in range(1, 5)] + [_ping(SETTLE + 0.001, HOLD + LAG + 0.005)]
    waited = log[-1].started - log[-1].accepted
    returned = HOLD + LAG + 0.01
    probe._judge(4, waited + 0.004, returned, returned, log)
    with pytest.raises(CheckFailed, match="between your two clock readings"):
        probe._judge(4, waited + 0.004 + SETTLE, returned, returned, log)
    with pytest.raises(CheckFailed, match="waited .* on the server"):
        probe._judge(4, 0.002, returned, returned, log)  # the read alone, not the wait for a worker


def test_a_probe_returning_nan_fails():
    with pytest.raises(CheckFailed, match="expected the time of GET /ping"):
        probe._judge(3, float("nan"), HOLD + 0.01, HOLD + 0.01, _three_held())
