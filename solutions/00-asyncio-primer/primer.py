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
    await asyncio.sleep(delay)
    return f"hello, {name}"


async def run_all(jobs: list[Job]) -> list[Any]:
    """Start every job at once and return their results, in the order of ``jobs``.

    Calling a coroutine function only creates a coroutine; awaiting coroutines one after the
    other runs them one after the other. Wrap each in a task (``asyncio.create_task``, or let
    ``asyncio.gather`` do it) so they all wait at the same time. If a job raises, raise it.
    """
    return list(await asyncio.gather(*(job() for job in jobs)))


async def within(job: Job, seconds: float, default: Any = None) -> Any:
    """The result of ``job()``, or ``default`` if it takes longer than ``seconds``.

    The slow job must not keep running in the background: it is *cancelled*, which raises
    ``asyncio.CancelledError`` at its current ``await`` (so its ``finally:`` blocks run).
    """
    try:
        return await asyncio.wait_for(job(), seconds)
    except TimeoutError:
        return default


async def first_done(jobs: list[Job]) -> Any:
    """The result of whichever job finishes first; every other job is cancelled, and finished, before returning.

    Use ``asyncio.wait(tasks, return_when=asyncio.FIRST_COMPLETED)``, cancel the pending tasks and
    *await* them (``asyncio.gather(*pending, return_exceptions=True)``) so their clean-up has run
    when this function returns. If the first job to finish raised, raise that exception.
    """
    tasks = [asyncio.create_task(job()) for job in jobs]
    try:
        done, pending = await asyncio.wait(tasks, return_when=asyncio.FIRST_COMPLETED)
    finally:
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
    first = next(task for task in tasks if task in done)
    return first.result()


async def off_the_loop(function: Callable[..., Any], *args: Any) -> Any:
    """Run the blocking ``function(*args)`` in a worker thread and return its result.

    While it runs, the event loop stays free to serve every other coroutine. ``asyncio.to_thread``
    does exactly this.
    """
    return await asyncio.to_thread(function, *args)
