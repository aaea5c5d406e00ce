"""Test clients shared by the checks, the project's tests and the benchmarks (as Channels keeps
its ``testing/`` helpers). Each speaks to a *real* server; none is a mock.

| module | what |
|---|---|
| ``http`` | a small HTTP client whose errors are messages for learners |
| ``page`` | a Chromium page that waits for the state a lesson page reports in ``document.body.dataset`` |
| ``db`` | run Django ORM code on a thread of its own (safe beside asyncio and Playwright) |
| ``sse`` | a Server-Sent Events reader over a raw socket, parsing as the HTML standard says |
| ``tcp_proxy`` | a TCP proxy between a client and a server that a check can cut mid-stream |
| ``wire`` | a raw WebSocket frame writer and reader (an oracle, independent of the learner's code) |
| ``ws`` | ``websockets`` clients with the Origin and cookie a lesson needs, and what they received |
| ``cluster`` | Daphne / Celery / uWSGI processes started from a lesson's launcher, waited for, stopped |

Probes take explicit timeouts; checks pass ``ctx.timeout(seconds)`` so the scale reaches them.
"""
