"""Ring 1, plain functions called directly: ``report_progress`` and the task ``render_report``,
run in this process (Celery runs a task's function when you call it) against the check's Redis."""

from __future__ import annotations

import asyncio
import gc
import uuid
import warnings

from checker.api import CheckFailed, Context
from checker.expect import see
from checker.probes import redis_monitor

from .support import RECV, SCENARIO, expect_state, layer, learner_module

NOT_AWAITED = ("Python warned that a coroutine was never awaited: layer.group_send(...) called from sync code "
               "only creates a coroutine, and nothing is sent. "
               + see("07", "Sending from sync code: `async_to_sync`"))


def check_report_progress(ctx: Context) -> None:
    client, tasks = learner_module(ctx, "tasks")
    from jobs.store import create_job, group_for, load_state, state_key

    job_id = create_job(5)
    group = group_for(job_id)
    recv = ctx.timeout(RECV)
    cases = [((job_id, 2, 5), "running", 2), ((job_id, 5, 5), "done", 5), ((job_id, 3, 5, "disk full"), "failed", 3)]
    for args, status, done in cases:
        call = f"report_progress{args!r}"
        ctx.step(call)
        box = {}

        def call_it(args=args):
            box["value"], box["warnings"] = _never_awaited(tasks.report_progress, *args)
            return box["value"]

        with redis_monitor.monitor(ctx.redis().url, timeout=recv) as seen:
            events, _, error = ctx.run_async(_listen_and_run(layer(), group, call_it, expect=1, wait=recv),
                                             timeout=SCENARIO)
        if error is not None:
            raise error
        saved, sent = seen.last("SET", state_key(job_id)), seen.first("ZRANGE", f"asgi:group:{group}")
        if saved is not None and sent is not None and sent < saved:
            raise CheckFailed(f"{call} sent the event before saving the state (save_state after group_send). That is a "
                              "race: a page whose consumer connects in between reads the old state and missed the "
                              "event, so it stays one step behind for good. save_state first, then group_send.")
        if not events:
            if box.get("warnings"):
                raise CheckFailed(f"{call} sent nothing to the group {group!r}. " + NOT_AWAITED)
            raise CheckFailed(f"{call} sent nothing to the group {group!r} within {recv:g} s; expected one event "
                              "{'type': 'job.progress', 'state': ...} sent to the job's group. "
                              + see("07", "Sending from sync code: `async_to_sync`"))
        event = events[0]
        if event.get("type") != "job.progress":
            raise CheckFailed(f"{call} sent {event!r:.200} to the group; its type must be 'job.progress' "
                              "(the consumer's job_progress method handles it).")
        expect_state(event.get("state"), f"{call}: the event's 'state'", job_id, status, done, 5)
        if status == "failed" and event["state"].get("error") != "disk full":
            raise CheckFailed(f"{call}: the failed state must carry 'error': 'disk full'; got {event['state']!r:.200}.")
        expect_state(load_state(job_id), f"after {call}, load_state(job_id)", job_id, status, done, 5)
        expect_state(box.get("value"), f"{call} returned", job_id, status, done, 5)


def check_render_report(ctx: Context) -> None:
    client, tasks = learner_module(ctx, "tasks")
    from jobs.store import create_job, group_for, load_state

    task = tasks.render_report
    if not callable(getattr(task, "delay", None)):
        raise CheckFailed("render_report is not a Celery task: decorate it with @app.task(acks_late=True).")
    if getattr(task, "acks_late", False) is not True:
        raise CheckFailed("render_report must be declared with @app.task(acks_late=True): the queue message is then "
                          "acknowledged after the task ran, so a worker that dies halfway does not lose the job.")
    recv = ctx.timeout(RECV)
    job_id = create_job(4)
    ctx.step("running render_report(job_id, 4) in this process")
    events, result, error = ctx.run_async(
        _listen_and_run(layer(), group_for(job_id), task, job_id, 4, expect=5, wait=recv, extra=True),
        timeout=SCENARIO)
    if error is not None:
        raise error
    seen = [(e.get("state") or {}).get("done") for e in events]
    statuses = [(e.get("state") or {}).get("status") for e in events]
    if seen != [0, 1, 2, 3, 4] or statuses != ["running"] * 4 + ["done"]:
        raise CheckFailed(f"render_report(job, 4) sent progress done={seen} with statuses {statuses}; expected "
                          "done=[0, 1, 2, 3, 4]: 0/4 before the first page, then one event after each page, "
                          "the last one with status 'done'.")
    expect_state(load_state(job_id), "after the task, load_state(job_id)", job_id, "done", 4, 4)
    if result != 4:
        raise CheckFailed(f"render_report(job, 4) returned {result!r}; expected 4 (the pages rendered).")

    job_id = create_job(4)
    ctx.step("running render_report(job_id, 4, fail_at=1): page 2 raises RenderError")
    events, _, error = ctx.run_async(
        _listen_and_run(layer(), group_for(job_id), task, job_id, 4, 1, expect=3, wait=recv, extra=True),
        timeout=SCENARIO)
    from jobs.work import RenderError

    if not isinstance(error, RenderError):
        raise CheckFailed(f"render_report(job, 4, fail_at=1) {'raised ' + repr(error) if error else 'returned'}; "
                          "page 2 raised RenderError, which must propagate (re-raise it after reporting) so Celery "
                          "marks the task failed.")
    states = [e.get("state") or {} for e in events]
    if [(s.get("status"), s.get("done")) for s in states] != [("running", 0), ("running", 1), ("failed", 1)]:
        raise CheckFailed(f"with fail_at=1 the events were {[(s.get('status'), s.get('done')) for s in states]}; "
                          "expected [('running', 0), ('running', 1), ('failed', 1)]: report the failure with the "
                          "pages done so far and error=str(exc).")
    if not states[-1].get("error"):
        raise CheckFailed("the 'failed' state has no 'error' text: pass error=str(exc) to report_progress.")


# -- helpers ---------------------------------------------------------------------------------
def _listen_and_run(channel_layer, group: str, function, *args, expect: int, wait: float, extra: bool = False):
    """Coroutine function: join ``group`` with a channel of ours, run ``function(*args)`` in a thread
    (sync code, as in a worker), then collect up to ``expect`` events, each within ``wait`` seconds;
    with ``extra``, also every event beyond those that the function sent before it returned.

    Those are in Redis already, in the order they were sent (the Redis layer scores each message
    with the wall-clock time of its send, and the function ran in this process, on this clock). So
    a marker we send to our channel after the function returned comes after all of them: reading up
    to the marker finds every extra event, without waiting a fixed time for one that should not
    come. (An event sent after the function returned, by a thread it left behind, is not waited
    for; a fixed wait would find one only if it came within that wait.)
    Returns (events, result, error)."""

    async def run():
        channel = f"checker.{uuid.uuid4().hex}"
        await channel_layer.group_add(group, channel)
        result, error = None, None
        try:
            result = await asyncio.to_thread(function, *args)
        except Exception as exc:  # noqa: BLE001 - some checks expect the task to raise
            error = exc
        events = []
        wanted = 0 if isinstance(error, NotImplementedError) else expect  # a stub: no event will come
        try:
            while len(events) < wanted:
                events.append(await asyncio.wait_for(channel_layer.receive(channel), wait))
            if wanted and extra:
                marker = {"type": "checker.marker", "id": uuid.uuid4().hex}
                await channel_layer.send(channel, marker)
                while (message := await asyncio.wait_for(channel_layer.receive(channel), wait)) != marker:
                    events.append(message)
        except (asyncio.TimeoutError, TimeoutError):
            pass
        await channel_layer.group_discard(group, channel)
        return events, result, error

    return run


def _never_awaited(function, *args):
    """Call ``function(*args)``; also return the 'coroutine ... was never awaited' warnings it caused."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            value = function(*args)
        finally:
            gc.collect()
    return value, [w for w in caught if "was never awaited" in str(w.message)]
