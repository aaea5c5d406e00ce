"""Ring 2, the consumer through Channels' test client (no sockets) and the view through Django's
``RequestFactory``: the state on connect, forwarding, leaving the group, enqueueing a job."""

from __future__ import annotations

import asyncio
import base64
import contextlib
import json
import uuid

from checker.api import CheckFailed, Context
from checker.expect import see
from checker.probes import redis_monitor

from .support import QUEUE, RECV, SCENARIO, expect_state, layer, learner_module


def check_consumer_state(ctx: Context) -> None:
    client, consumers = learner_module(ctx, "consumers")
    from jobs.store import create_job, save_state

    app, recv = _app(consumers), ctx.timeout(RECV)
    job_id = create_job(6)
    save_state(job_id, {"job": job_id, "status": "running", "done": 3, "total": 6})

    async def scenario():
        late = _communicator(app, job_id)
        await late.send_input({"type": "websocket.connect"})
        try:
            first = await _open(late, recv)
        finally:
            await _stop(late)
        unknown = _communicator(app, uuid.uuid4().hex)
        await unknown.send_input({"type": "websocket.connect"})
        try:
            refused = await _next(unknown, "the consumer to refuse a job that does not exist", recv)
        finally:
            await _stop(unknown)
        return first, refused

    ctx.step("a page connects to a job that is halfway (3/6)")
    first, refused = ctx.run_async(scenario, timeout=SCENARIO)
    expect_state(first, "the first frame to a page connecting late", job_id, "running", 3, 6)
    if refused["type"] != "websocket.close" or refused.get("code") != 4404:
        raise CheckFailed(f"connecting to a job nobody created got {refused!r:.150}; expected the connection to be "
                          "refused before accept(): await self.close(code=4404) when load_state() returns None.")


def check_consumer_forwards(ctx: Context) -> None:
    client, consumers = learner_module(ctx, "consumers")
    from jobs.store import create_job, group_for

    app, channel_layer, recv = _app(consumers), layer(), ctx.timeout(RECV)
    job_id = create_job(3)

    async def scenario():
        tabs = [_communicator(app, job_id), _communicator(app, job_id)]
        try:
            for tab in tabs:
                await tab.send_input({"type": "websocket.connect"})
                await _open(tab, recv)
            got = []
            for done in (1, 2, 3):
                state = {"job": job_id, "status": "done" if done == 3 else "running", "done": done, "total": 3}
                await channel_layer.group_send(group_for(job_id), {"type": "job.progress", "state": state})
                for number, tab in enumerate(tabs, 1):
                    output = await _next(tab, f"tab {number} to receive the job.progress event done={done}", recv)
                    if output["type"] != "websocket.send":
                        raise CheckFailed(f"tab {number} got {output!r:.150} instead of the forwarded state.")
                    got.append((number, json.loads(output["text"]), state))
            return got
        finally:
            for tab in tabs:
                await _stop(tab)

    ctx.step("two tabs watch one job; the check sends job.progress events to the group")
    for number, received, sent in ctx.run_async(scenario, timeout=SCENARIO):
        if received != sent:
            raise CheckFailed(f"tab {number} received {received!r:.200} for the event whose state was {sent!r:.200}; "
                              "job_progress(event) should send_json(event['state']) unchanged.")


def check_consumer_disconnect(ctx: Context) -> None:
    client, consumers = learner_module(ctx, "consumers")
    from jobs.store import create_job, group_for, state_key

    app, recv = _app(consumers), ctx.timeout(RECV)
    job_id = create_job(3)
    key = f"asgi:group:{group_for(job_id)}"  # channels_redis keeps a group's members in this sorted set

    async def scenario():
        tab = _communicator(app, job_id)
        await tab.send_input({"type": "websocket.connect"})
        try:
            await _open(tab, recv)
            members = await _members_settle(client, key, 1, recv)
        except BaseException:
            await _stop(tab)
            raise
        await tab.disconnect(timeout=recv)
        return members, await _members_settle(client, key, 0, recv)

    ctx.step("connect, then disconnect")
    with redis_monitor.monitor(ctx.redis().url, timeout=recv) as seen:
        while_open, after = ctx.run_async(scenario, timeout=SCENARIO)
    joined, read = seen.first("ZADD", key), seen.last("GET", state_key(job_id))
    if joined is not None and read is not None and read < joined:
        raise CheckFailed("JobConsumer read the job's state before joining its group (group_add came after "
                          "load_state): a progress event sent in between reaches nobody, and the page stays one step "
                          "behind until the next event, for good after the last one. Join first (group_add), then "
                          "read the state and send it.")
    if while_open != 1:
        raise CheckFailed(f"while one page was connected, the group {group_for(job_id)!r} had {while_open} members; "
                          "expected 1: the page's channel joins the job's group in connect().")
    if after != 0:
        raise CheckFailed("after the page disconnected, its channel was still in the group; expected disconnect() "
                          "to take it out.")


def check_start_job(ctx: Context) -> None:
    client, views = learner_module(ctx, "views")
    from django.test import RequestFactory

    from jobs.store import load_state

    factory = RequestFactory()
    client.delete(QUEUE)
    ctx.step("POST /jobs/ steps=4 to views.start_job")
    response = views.start_job(factory.post("/jobs/", {"steps": "4", "fail_at": ""}))
    queued = _queued_messages(client)
    client.delete(QUEUE)
    if response.status_code != 202:
        raise CheckFailed(f"POST /jobs/ steps=4 answered {response.status_code} {response.content[:200]!r}; "
                          "expected 202 with {'job': job_id}.")
    try:
        job_id = json.loads(response.content)["job"]
    except (ValueError, KeyError, TypeError):
        raise CheckFailed(f"POST /jobs/ answered {response.content[:200]!r}; expected JSON {{'job': job_id}}.") from None
    state = load_state(str(job_id))
    if not queued:
        ran = f" (the job is already '{state.get('status')}')" if state else ""
        raise CheckFailed(f"POST /jobs/ put no task on the queue{ran}. Did you call render_report(...) directly? "
                          "That runs the whole job inside the request. render_report.delay(job_id, steps, fail_at) "
                          "only enqueues it.")
    message = queued[0]
    args = list(message["args"]) + [message["kwargs"].get(k) for k in ("job_id", "steps") if k in message["kwargs"]]
    if message["task"] != "tasks.render_report" or args[:2] != [job_id, 4]:
        raise CheckFailed(f"the queued task was {message['task']} with args {message['args']} and kwargs "
                          f"{message['kwargs']}; expected tasks.render_report with (job_id, 4, None).")
    if len(queued) != 1:
        raise CheckFailed(f"one POST put {len(queued)} tasks on the queue; expected exactly one.")
    expect_state(state, "right after POST /jobs/, load_state(job_id)", job_id, "queued", 0, 4)

    ctx.step("a bad form and a GET")
    bad = views.start_job(factory.post("/jobs/", {"steps": "many"}))
    if bad.status_code != 400 or "error" not in json.loads(bad.content or b"{}"):
        raise CheckFailed(f"POST /jobs/ steps=many answered {bad.status_code} {bad.content[:150]!r}; expected 400 "
                          "with {'error': ...} (catch the ValueError from parse_job_request).")
    if client.llen(QUEUE):
        client.delete(QUEUE)
        raise CheckFailed("a refused form still enqueued a task: return the 400 before calling .delay().")
    get = views.start_job(factory.get("/jobs/"))
    if get.status_code != 405:
        raise CheckFailed(f"GET /jobs/ answered {get.status_code}; expected 405 (HttpResponseNotAllowed(['POST'])).")


# -- helpers ---------------------------------------------------------------------------------
def _app(consumers):
    from channels.routing import URLRouter

    from jobsite.asgi import websocket_urlpatterns

    return URLRouter(websocket_urlpatterns(consumers))


def _communicator(app, job_id: str):
    from channels.testing import WebsocketCommunicator

    return WebsocketCommunicator(app, f"/ws/jobs/{job_id}/")


async def _next(communicator, what: str, wait: float):
    from django.core.exceptions import SynchronousOnlyOperation

    try:
        return await communicator.receive_output(wait)
    except (asyncio.TimeoutError, TimeoutError):
        raise CheckFailed(f"waited {wait:g} s for {what}; nothing came.") from None
    except SynchronousOnlyOperation:
        raise CheckFailed("JobConsumer called load_state directly from async code: it is a blocking Redis call, and "
                          "on the event loop it stalls every socket of the process while it waits. Expected it to "
                          "run in a thread. " + see("07", "Where slow work should not run")) from None


async def _open(communicator, wait: float) -> dict:
    output = await _next(communicator, "the consumer to accept", wait)
    if output["type"] != "websocket.accept":
        raise CheckFailed(f"connecting to a job that exists got {output!r:.150}; expected the connection to be "
                          "accepted (await self.accept()).")
    output = await _next(communicator, "the job's current state right after accept()", wait)
    if output["type"] != "websocket.send" or not output.get("text"):
        raise CheckFailed(f"after accept() the consumer sent {output!r:.150}; expected the state as JSON (send_json).")
    return json.loads(output["text"])


async def _stop(communicator):
    with contextlib.suppress(BaseException):
        await communicator.disconnect()


def _queued_messages(client) -> list[dict]:
    messages = []
    for raw in client.lrange(QUEUE, 0, -1):
        message = json.loads(raw)
        body = json.loads(base64.b64decode(message["body"]))
        messages.append({"task": message["headers"].get("task"), "args": body[0], "kwargs": body[1]})
    return messages


async def _members_settle(client, key: str, wanted: int, wait: float) -> int:
    """Poll the group's member count (channels_redis' sorted set) until it is ``wanted``; its last value."""
    end = asyncio.get_running_loop().time() + wait
    while (members := client.zcard(key)) != wanted and asyncio.get_running_loop().time() < end:
        await asyncio.sleep(0.02)
    return members
