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
| ``redis_watch`` | Redis as a witness (``PUBSUB NUMSUB``, ``CLIENT LIST``, connections received, a real subscriber) and a proxy that holds a server's Redis commands back |
| ``uwsgi_log`` | uWSGI's log as a lesson 04 server reports it: the learner's failures, members joining the room |
| ``cluster`` | Daphne / Celery / uWSGI processes started from a lesson's launcher, waited for, stopped |
| ``daphne`` | Daphne processes of a Channels lesson (``workshop.asgi_server``), started side by side, logs readable |
| ``communicator`` | Channels' ``WebsocketCommunicator`` with Origin/Host/session headers; handshake outcomes |
| ``celery_worker`` | a Celery worker process (``workshop.celery_worker``), ready when its log says so |
| ``channels_worker`` | Channels' ``runworker`` process (``workshop.channels_worker``) for named channels, ready when its log says so |

Probes take explicit timeouts; checks pass ``ctx.timeout(seconds)`` so the scale reaches them.
"""
