"""Lesson 00: asyncio in five functions, the pieces every WebSocket server in this workshop is made of.

A WebSocket server spends its life waiting: for the next frame, for a Redis message, for a
timer. ``asyncio`` runs thousands of such waits in one thread by switching between coroutines
at each ``await``. These functions practise what lessons 05-08 rely on:

- ``greet_later``: a coroutine, and ``await`` (lesson text: "Coroutines and await");
- ``run_all``: tasks, so that several waits overlap ("Tasks");
- ``within``: a time limit, and what cancellation does to the coroutine that is cut off ("Cancellation");
- ``first_done``: ``asyncio.wait(..., return_when=FIRST_COMPLETED)``, the shape of every handler
  that must stop when *either* the client leaves *or* the feed ends ("Racing two waits");
- ``off_the_loop``: running a blocking function in a thread so the loop keeps serving ("Blocking calls").

Grade with ``python -m checker 00``; ``python -m checker hint 00`` when stuck.
"""

from __future__ import annotations

import asyncio
from typing import Any, Awaitable, Callable

Job = Callable[[], Awaitable[Any]]  # a coroutine function taking no arguments


async def greet_later(name: str, delay: float) -> str:
    """Wait ``delay`` seconds *without blocking the loop*, then return ``"hello, <name>"``.

    ``await asyncio.sleep(delay)`` hands control back to the event loop, which runs other
    coroutines in the meantime; ``time.sleep`` would freeze all of them.
    """
    # TODO: await asyncio.sleep, then return the greeting.
    raise NotImplementedError("greet_later")


async def run_all(jobs: list[Job]) -> list[Any]:
    """Start every job at once and return their results, in the order of ``jobs``.

    Calling a coroutine function only creates a coroutine; awaiting coroutines one after the
    other runs them one after the other. Wrap each in a task (``asyncio.create_task``, or let
    ``asyncio.gather`` do it) so they all wait at the same time. If a job raises, raise it.
    """
    # TODO: start every job as a task, then collect the results in order.
    raise NotImplementedError("run_all")


async def within(job: Job, seconds: float, default: Any = None) -> Any:
    """The result of ``job()``, or ``default`` if it takes longer than ``seconds``.

    The slow job must not keep running in the background: it is *cancelled*, which raises
    ``asyncio.CancelledError`` at its current ``await`` (so its ``finally:`` blocks run).
    """
    # TODO: give job() at most `seconds`; on a timeout return `default`.
    raise NotImplementedError("within")


async def first_done(jobs: list[Job]) -> Any:
    """The result of whichever job finishes first; every other job is cancelled, and finished, before returning.

    Use ``asyncio.wait(tasks, return_when=asyncio.FIRST_COMPLETED)``, cancel the pending tasks and
    *await* them (``asyncio.gather(*pending, return_exceptions=True)``) so their clean-up has run
    when this function returns. If the first job to finish raised, raise that exception.
    """
    # TODO: asyncio.wait(..., return_when=asyncio.FIRST_COMPLETED); cancel and await the rest.
    raise NotImplementedError("first_done")


async def off_the_loop(function: Callable[..., Any], *args: Any) -> Any:
    """Run the blocking ``function(*args)`` in a worker thread and return its result.

    While it runs, the event loop stays free to serve every other coroutine. ``asyncio.to_thread``
    does exactly this.
    """
    # TODO: run function(*args) in a worker thread.
    raise NotImplementedError("off_the_loop")
