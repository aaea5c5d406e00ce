"""Checks for lesson 00 (asyncio primer): five coroutines, each run on a real event loop.

No timing is measured: every property is tested by *ordering*. A coroutine that blocks the
loop is caught because a probe task could not run while it waited; sequential "concurrency" is
caught because jobs that wait for each other to start never all start; a forgotten cancellation
is caught because a clean-up in a ``finally:`` has not run. Each probe runs in a fresh event
loop on its own thread (``ctx.run_async``), and every limit comes from ``ctx.timeout``.
"""

from __future__ import annotations

import asyncio
import inspect
import threading

from checker.api import CheckFailed, Context
from checker.checks import register
from checker.expect import see

#: Seconds a probe may take in all (``ctx.run_async`` scales them like every wait): one with a
#: single step, one whose steps include a deliberate time limit of the learner's function.
QUICK, SLOW = 2.0, 3.0


def _primer(ctx: Context, name: str):
    """The learner's function ``name``, refused with advice when it is not ``async def``."""
    function = getattr(ctx.import_learner("primer"), name)
    if not inspect.iscoroutinefunction(function):
        raise CheckFailed(f"{name} is a plain function; it must be a coroutine function: `async def {name}(...)`.")
    return function


async def _bounded(ctx: Context, awaitable, seconds: float, what: str):
    """``await awaitable`` for at most ``seconds`` (scaled), failing with ``what`` when it hangs."""
    try:
        return await asyncio.wait_for(awaitable, ctx.timeout(seconds))
    except TimeoutError:
        raise CheckFailed(what) from None


# -- ring "coroutines" -------------------------------------------------------------------
def check_greet_later(ctx: Context) -> None:
    greet_later = _primer(ctx, "greet_later")
    delay = ctx.timeout(0.2)

    async def probe():
        task = asyncio.create_task(greet_later("ada", delay))
        await asyncio.sleep(0)  # greet_later starts and runs up to its first real wait ...
        await asyncio.sleep(0)  # ... and the loop comes back here, if that wait was an await
        finished_first = task.done()
        return finished_first, await task

    ctx.step(f"greet_later('ada', {delay:.2f}) beside a probe task")
    finished_first, result = ctx.run_async(probe, timeout=QUICK)
    if result != "hello, ada":
        raise CheckFailed(f"greet_later('ada', ...) returned {result!r}; expected 'hello, ada'.")
    if finished_first:
        raise CheckFailed("greet_later kept the event loop to itself while it waited: a task started beside it "
                          "got no turn until greet_later had returned. Expected: while it waits, the loop runs "
                          "other tasks. How does a coroutine wait *and* give the loop back? "
                          + see("00", "Coroutines and await"))


def check_run_all(ctx: Context) -> None:
    run_all = _primer(ctx, "run_all")
    count = 4

    async def in_order():
        async def job(value, turns):
            for _ in range(turns):
                await asyncio.sleep(0)
            return value
        # the last job finishes first: results must still follow the order of the jobs
        jobs = [lambda v=v: job(v, count - v) for v in range(count)]
        return await _bounded(ctx, run_all(jobs), 2, "run_all did not return within the time limit.")

    ctx.step("run_all on four jobs that finish in reverse order")
    got = ctx.run_async(in_order, timeout=SLOW)
    if got != list(range(count)):
        raise CheckFailed(f"run_all returned {got!r}; expected {list(range(count))} (each job's result, in the "
                          "order of the jobs, whatever order they finish in).")

    async def together():
        started: list[int] = []
        everyone = asyncio.Event()

        async def job(number):
            started.append(number)
            if len(started) == count:
                everyone.set()
            await _bounded(ctx, everyone.wait(), 1,
                           f"run_all ran the jobs one after the other: job {number} waited for the others to start, "
                           f"but only jobs {started} had started. Expected all {count} jobs running at the same "
                           "time: each must start before you wait for any of them. " + see("00", "Tasks"))
            return number
        return await run_all([lambda n=n: job(n) for n in range(count)])

    ctx.step("run_all on four jobs that each wait until all four have started")
    ctx.run_async(together, timeout=SLOW)

    async def failing():
        async def broken():
            raise LookupError("job 1 failed")

        async def fine():
            return "fine"
        try:
            await run_all([fine, broken])
        except LookupError:
            return True
        return False

    ctx.step("run_all with a job that raises LookupError")
    if not ctx.run_async(failing, timeout=QUICK):
        raise CheckFailed("run_all returned although a job raised LookupError; let the job's exception propagate.")


# -- ring "control" -------------------------------------------------------------------------
def check_within(ctx: Context) -> None:
    within = _primer(ctx, "within")
    limit = ctx.timeout(0.2)

    async def quick():
        await asyncio.sleep(0)
        return 42

    ctx.step("within(a job that returns 42 at once, ...)")
    got = ctx.run_async(lambda: within(quick, limit, "late"), timeout=QUICK)
    if got != 42:
        raise CheckFailed(f"within(quick job, {limit:.2f} s, 'late') returned {got!r}; expected 42, the job's result.")

    seen: list[str] = []

    async def never():
        try:
            await asyncio.Event().wait()  # nobody ever sets it
        except asyncio.CancelledError:
            seen.append("cancelled")
            raise
        finally:
            seen.append("finally")

    async def slow_case():
        late = await _bounded(ctx, within(never, limit, "late"), 2,
                              f"within(a job that never ends, {limit:.2f} s) did not return: give up after `seconds` "
                              "(asyncio.wait_for or asyncio.timeout).")
        when_returned = list(seen)
        default = await within(never, limit)
        return late, default, when_returned

    ctx.step(f"within(a job that never ends, {limit:.2f} s, 'late')")
    late, default, when_returned = ctx.run_async(slow_case, timeout=SLOW)
    if late != "late" or default is not None:
        raise CheckFailed(f"after the time limit within returned {late!r} (and {default!r} without a default); "
                          "expected the default: 'late', then None.")
    if when_returned != ["cancelled", "finally"]:
        raise CheckFailed("the slow job was not cancelled (or not finished) when within returned: it would keep "
                          "running in the background. asyncio.wait_for cancels it and waits for its clean-up.")

    async def broken():
        raise LookupError("the job failed")

    async def error_case():
        try:
            return await within(broken, limit, "late")
        except LookupError:
            return "raised"

    ctx.step("within(a job that raises LookupError, ...)")
    got = ctx.run_async(error_case, timeout=QUICK)
    if got != "raised":
        raise CheckFailed(f"within returned {got!r} for a job that raised LookupError; only a *timeout* gives the "
                          "default. Catch TimeoutError, nothing wider.")


def check_first_done(ctx: Context) -> None:
    first_done = _primer(ctx, "first_done")
    log: list[str] = []

    async def never(name):
        try:
            await asyncio.Event().wait()
        except asyncio.CancelledError:
            log.append(f"{name} cancelled")
            await asyncio.sleep(0)  # clean-up that itself awaits, like closing a Redis connection
            log.append(f"{name} cleaned up")
            raise

    async def winner(result):
        await asyncio.sleep(0)
        if isinstance(result, Exception):
            raise result
        return result

    async def direct(jobs):
        """first_done's answer, and the log *at the moment it returned* (no other await in between)."""
        try:
            got = await first_done(jobs)
        except LookupError:
            got = "raised"
        except asyncio.CancelledError:
            if asyncio.current_task().cancelling():  # the probe itself is being stopped: let it stop
                raise
            raise CheckFailed("first_done raised CancelledError although nobody cancelled it: awaiting a task you "
                              "cancelled raises its CancelledError in *your* code. Expected: wait for the cancelled "
                              "tasks to finish without letting their CancelledError escape. "
                              + see("00", "Racing two waits")) from None
        return got, sorted(log)

    async def race(result):
        log.clear()
        jobs = [lambda: never("A"), lambda: winner(result), lambda: never("B")]
        return await _bounded(ctx, direct(jobs), 2,
                              "first_done did not return although one job had finished (the others wait forever). "
                              "Expected it to return as soon as the *first* job finishes. "
                              + see("00", "Racing two waits"))

    expected = ["A cancelled", "A cleaned up", "B cancelled", "B cleaned up"]
    ctx.step("first_done(never, winner, never)")
    got, log_at_return = ctx.run_async(race, "won", timeout=SLOW)
    if got != "won":
        raise CheckFailed(f"first_done returned {got!r}; expected 'won', the result of the job that finished first.")
    if log_at_return != expected:
        missing = sorted(set(expected) - set(log_at_return))
        raise CheckFailed(f"when first_done returned, these had not happened yet: {', '.join(missing)}. "
                          "task.cancel() only *asks*: the CancelledError reaches the task at its next turn. Expected "
                          "every other job cancelled *and* its clean-up finished before first_done returns. "
                          + see("00", "Racing two waits"))
    ctx.step("first_done(never, a job that raises LookupError, never)")
    got, log_at_return = ctx.run_async(race, LookupError("first"), timeout=SLOW)
    if got != "raised":
        raise CheckFailed(f"first_done returned {got!r} when the first job to finish raised LookupError; raise it "
                          "(task.result() does).")
    if log_at_return != expected:
        raise CheckFailed("when the first job to finish raised, the other jobs were not cancelled and awaited.")


def check_off_the_loop(ctx: Context) -> None:
    off_the_loop = _primer(ctx, "off_the_loop")
    ctx.step("off_the_loop(pow, 2, 10)")
    got = ctx.run_async(off_the_loop, pow, 2, 10, timeout=QUICK)
    if got != 1024:
        raise CheckFailed(f"off_the_loop(pow, 2, 10) returned {got!r}; expected 1024 (function(*args)).")
    limit = ctx.timeout(1)
    entered, released = threading.Event(), threading.Event()

    def blocking():
        entered.set()
        return threading.get_ident(), released.wait(limit)  # True once the loop releases it

    async def probe():
        task = asyncio.create_task(off_the_loop(blocking))
        await asyncio.to_thread(entered.wait, limit)
        released.set()  # only possible if the loop is free while `blocking` runs
        ident, in_time = await task
        return ident == threading.get_ident(), in_time

    ctx.step("off_the_loop(a blocking function that the loop must release)")
    on_loop_thread, in_time = ctx.run_async(probe, timeout=SLOW)
    if on_loop_thread or not in_time:
        raise CheckFailed(f"the event loop stood still for {limit:.1f} s while the blocking function ran"
                          + (" on the loop's own thread" if on_loop_thread else "")
                          + ": nothing else could run. Expected the loop to stay free while the function runs, "
                          "which means it cannot run on the loop's thread. " + see("00", "Blocking calls"))


CHECKS = register(check_greet_later, check_run_all, check_within, check_first_done, check_off_the_loop)
