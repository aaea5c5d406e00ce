"""Ring 2 for the Channels way: ``workers.ReportWorker`` fed messages through Channels' own test
client (``ApplicationCommunicator``, with the scope a ``runworker`` process gives it) on the check's
real Redis layer, and ``views.start_job`` with ``?engine=channels`` through ``RequestFactory``,
the message it sends read back off the channel ``jobs-worker``."""

from __future__ import annotations

import asyncio
import contextlib
import json
import uuid

from checker.api import CheckFailed, Context
from checker.expect import see

from .support import QUEUE, RECV, SCENARIO, layer, learner_module

WORKERS = "Background workers the Channels way"  # the lesson section worker mistakes point to

FINAL = ("done", "failed")


def check_worker_consumer(ctx: Context) -> None:
    client, workers = learner_module(ctx, "workers")
    from jobs.store import create_job, group_for
    from jobs.work import WORKER_CHANNEL, RenderError

    worker_class = getattr(workers, "ReportWorker", None)
    if not callable(getattr(worker_class, "as_asgi", None)):
        raise CheckFailed("workers.py has no consumer class ReportWorker; expected a Channels consumer with a "
                          "method job_render for the 'job.render' messages. " + see("07", WORKERS))
    channel_layer, recv = layer(), ctx.timeout(RECV)
    plan = [(create_job(3), 3, None), (create_job(4), 4, 1), (create_job(2), 2, None)]  # the middle one fails
    client.delete(QUEUE)

    async def scenario():
        listener = f"checker.{uuid.uuid4().hex}"
        for job, _, _ in plan:
            await channel_layer.group_add(group_for(job), listener)
        from channels.testing import ApplicationCommunicator

        worker = ApplicationCommunicator(worker_class.as_asgi(), {"type": "channel", "channel": WORKER_CHANNEL})
        seen: dict[str, list] = {job: [] for job, _, _ in plan}
        try:
            for job, steps, fail_at in plan:
                await worker.send_input({"type": "job.render", "job": job, "steps": steps, "fail_at": fail_at})
            while not all(s and s[-1][0] in FINAL for s in seen.values()):
                try:
                    event = await asyncio.wait_for(channel_layer.receive(listener), recv)
                except (asyncio.TimeoutError, TimeoutError):
                    break
                state = event.get("state") or {}
                seen.setdefault(state.get("job"), []).append((state.get("status"), state.get("done")))
            died = worker.future.exception() if worker.future.done() and not worker.future.cancelled() else None
            return seen, died
        finally:
            worker.future.cancel()
            with contextlib.suppress(BaseException):
                await worker.future
            for job, _, _ in plan:
                await channel_layer.group_discard(group_for(job), listener)

    ctx.step("three job.render messages to ReportWorker (3 pages; 4 pages failing on page 2; 2 pages)")
    seen, died = ctx.run_async(scenario, timeout=SCENARIO)
    celery = client.llen(QUEUE)
    client.delete(QUEUE)
    if isinstance(died, NotImplementedError):
        raise died
    if isinstance(died, ValueError) and "No handler for message type" in str(died):
        raise CheckFailed("ReportWorker has no handler for the message type 'job.render': the method must be named "
                          "job_render (the dot becomes an underscore).")
    (good, _, _), (failing, _, _), (after, _, _) = plan
    if celery:
        raise CheckFailed("job_render put a task on Celery's queue (render_report.delay): this worker is the one "
                          "that runs the job, so it runs the job's steps itself.")
    if not any(seen.values()):
        if died is not None:
            raise died
        raise CheckFailed(f"nothing reached the jobs' groups within {recv:g} s of the messages; expected job_render "
                          "to run each job's steps, with the job, steps and fail_at the message carries. "
                          + see("07", WORKERS))
    expected = {good: [("running", 0), ("running", 1), ("running", 2), ("done", 3)],
                failing: [("running", 0), ("running", 1), ("failed", 1)]}
    for job, wanted in expected.items():
        if seen[job] != wanted:
            raise CheckFailed(f"for the message {_message(plan, job)} the group got (status, done) {seen[job]}; "
                              f"expected {wanted}: run render_report with the message's job, steps and fail_at.")
    if seen[after] != [("running", 0), ("running", 1), ("done", 2)]:
        if isinstance(died, RenderError):
            raise CheckFailed(f"the job sent after the failing one never ran: RenderError ({died}) escaped job_render "
                              "and ended the consumer. In a runworker process that also loses every message the "
                              "worker had already received for it. render_report has reported the failure to the "
                              "page: catch Exception in job_render, log it and return.")
        if died is not None:
            raise died
        raise CheckFailed(f"for the message {_message(plan, after)}, sent after the failing job, the group got "
                          f"{seen[after]}; expected the job to run to done=2.")


def check_start_on_worker(ctx: Context) -> None:
    client, views = learner_module(ctx, "views")
    from django.test import RequestFactory

    from jobs.store import load_state
    from jobs.work import WORKER_CHANNEL

    channel_layer, factory, recv = layer(), RequestFactory(), ctx.timeout(RECV)
    key = channel_layer.prefix + WORKER_CHANNEL  # channels_redis keeps a channel's messages in this sorted set
    client.delete(QUEUE, key)
    ctx.step("POST /jobs/?engine=channels steps=3 fail_at=2 to views.start_job")
    response = views.start_job(factory.post("/jobs/?engine=channels", {"steps": "3", "fail_at": "2"}))
    on_channel, on_celery = client.zcard(key), client.llen(QUEUE)
    message = ctx.run_async(_receive, channel_layer, WORKER_CHANNEL, recv, timeout=SCENARIO) if on_channel else None
    client.delete(QUEUE, key)
    if response.status_code != 202:
        raise CheckFailed(f"POST /jobs/?engine=channels answered {response.status_code} {response.content[:200]!r}; "
                          "expected 202 with {'job': job_id, 'engine': 'channels'}.")
    job_id = json.loads(response.content).get("job")
    if on_celery:
        raise CheckFailed("with engine=channels the view still put a task on Celery's queue: send the job to the "
                          "channel instead (and only there).")
    if not on_channel:
        raise CheckFailed(f"with engine=channels nothing reached the channel {WORKER_CHANNEL!r}; expected one "
                          "{'type': 'job.render', ...} message there, sent from the (synchronous) view. "
                          + see("07", WORKERS))
    wanted = {"type": "job.render", "job": job_id, "steps": 3, "fail_at": 1}
    if on_channel != 1 or message != wanted:
        raise CheckFailed(f"the channel {WORKER_CHANNEL!r} got {on_channel} message(s), the first {message!r:.200}; "
                          f"expected exactly one, {wanted}.")
    state = load_state(str(job_id)) or {}
    if state.get("status") != "queued":
        raise CheckFailed(f"right after the POST the job's state is {state!r:.150}; expected 'queued' (create_job).")

    ctx.step("POST /jobs/?engine=nope, then engine=channels while the channel is full")
    bad = views.start_job(factory.post("/jobs/?engine=nope", {"steps": "3"}))
    if bad.status_code != 400 or client.zcard(key) or client.llen(QUEUE):
        client.delete(QUEUE, key)
        raise CheckFailed(f"POST /jobs/?engine=nope answered {bad.status_code}; expected 400 and nothing sent: "
                          "parse_engine(request) inside the same try as parse_job_request.")
    capacity = channel_layer.get_capacity(WORKER_CHANNEL)
    ctx.run_async(_fill, channel_layer, WORKER_CHANNEL, capacity, timeout=SCENARIO)
    try:
        full = views.start_job(factory.post("/jobs/?engine=channels", {"steps": "3"}))
    except Exception as exc:  # noqa: BLE001 - ChannelFull escaping the view is the mistake shown below
        full = exc
    finally:
        client.delete(QUEUE, key)
    if not hasattr(full, "status_code"):
        raise CheckFailed(f"with the channel full ({capacity} messages waiting) the view raised "
                          f"{type(full).__name__}: the layer refuses a message past the channel's capacity. "
                          "Catch ChannelFull and answer 503 with {'error': ...}.")
    if full.status_code != 503:
        raise CheckFailed(f"with the channel full ({capacity} messages waiting) the view answered {full.status_code}; "
                          "expected 503: that job was never sent, so 202 would promise work that will not happen.")


# -- helpers ---------------------------------------------------------------------------------
def _message(plan, job: str) -> str:
    steps, fail_at = next((s, f) for j, s, f in plan if j == job)
    return f"{{'type': 'job.render', 'job': ..., 'steps': {steps}, 'fail_at': {fail_at}}}"


async def _receive(channel_layer, channel: str, wait: float):
    try:
        return await asyncio.wait_for(channel_layer.receive(channel), wait)
    except (asyncio.TimeoutError, TimeoutError):
        return None


async def _fill(channel_layer, channel: str, count: int) -> None:
    for number in range(count):
        await channel_layer.send(channel, {"type": "checker.filler", "number": number})
