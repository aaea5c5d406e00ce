"""Checks for lesson 07 (task queues): the progress helper, the Celery task, the consumer, the view,
then the real thing: Redis + a Celery worker subprocess + Daphne, seen by a websockets client and
by Chromium.

Everything uses a real Redis server (``ctx.redis()``): the Channels layer is channels_redis'
``RedisChannelLayer`` and the job states live in Redis, as in the demo. The in-process checks
run the task by calling it (Celery runs the function here, synchronously); the last two start
``celery -A jobsite worker --pool=solo`` and ``daphne`` as subprocesses.
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import gc
import json
import os
import time
import urllib.error
import urllib.request
import uuid
import warnings

from checker.checks import register
from checker.api import CheckFailed, Context

STEP_SECONDS = 0.01        # per page, in this process
LIVE_STEP_SECONDS = 0.15   # per page, in the worker subprocess: long enough for a page to watch, on a busy laptop too
RECV = 1.0
QUEUE = "celery"           # the Redis list Celery's default queue lives in


# -- this process: Django on a real Redis ------------------------------------------------------
@contextlib.contextmanager
def _django_setup(ctx: Context):
    redis = ctx.redis()
    os.environ["WORKSHOP_REDIS_URL"] = redis.url
    os.environ["WORKSHOP_JOB_STEP_SECONDS"] = str(STEP_SECONDS)
    from jobsite.setup import ensure_django

    ensure_django()
    # Loading the learner's files may have set Django up already (with the default Redis URL):
    # point the settings, the channel layer and Celery at this check's Redis.
    from channels.layers import channel_layers
    from django.conf import settings

    from jobsite.celery import app

    settings.REDIS_URL = settings.CELERY_BROKER_URL = redis.url
    settings.JOB_STEP_SECONDS = STEP_SECONDS
    settings.CHANNEL_LAYERS["default"]["CONFIG"]["hosts"][0]["address"] = redis.url
    channel_layers._reset_backends("CHANNEL_LAYERS")
    app.conf.broker_url = redis.url
    import redis as redis_py

    client = redis_py.Redis.from_url(redis.url, decode_responses=True)
    yield client
    client.close()


def _env(ctx: Context, module: str):
    client = ctx.resource("django", lambda: _django_setup(ctx))
    return client, ctx.import_learner(module)


def _listen_and_run(layer, group: str, function, *args, expect: int, wait: float = RECV):
    """Coroutine function: join ``group`` with a channel of ours, run ``function(*args)`` in a thread
    (sync code, as in a worker), then collect up to ``expect`` events. Returns (events, result, error)."""

    async def run():
        channel = f"checker.{uuid.uuid4().hex}"
        await layer.group_add(group, channel)
        result, error = None, None
        try:
            result = await asyncio.to_thread(function, *args)
        except Exception as exc:  # noqa: BLE001 - some checks expect the task to raise
            error = exc
        events = []
        try:
            while len(events) < expect:
                events.append(await asyncio.wait_for(layer.receive(channel), wait))
        except (asyncio.TimeoutError, TimeoutError):
            pass
        await layer.group_discard(group, channel)
        return events, result, error

    return run


def _layer():
    from channels.layers import get_channel_layer

    layer = get_channel_layer()
    if layer is None:
        raise CheckFailed("get_channel_layer() returned None: CHANNEL_LAYERS is missing from the settings.")
    return layer


def _never_awaited(function, *args):
    """Call ``function(*args)``; also return the 'coroutine ... was never awaited' warnings it caused."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            value = function(*args)
        finally:
            gc.collect()
    return value, [w for w in caught if "was never awaited" in str(w.message)]


NOT_AWAITED = ("Python warned that a coroutine was never awaited: layer.group_send(...) called from sync code "
               "only creates a coroutine, and nothing is sent. Wrap it: async_to_sync(layer.group_send)(group, event).")


def _expect_state(state, where: str, job_id: str, status: str, done: int, total: int) -> None:
    want = {"job": job_id, "status": status, "done": done, "total": total}
    if not isinstance(state, dict) or any(state.get(k) != v for k, v in want.items()):
        raise CheckFailed(f"{where}: got {state!r:.300}; expected {want}.")


# -- 1. report_progress ---------------------------------------------------------------------------
def check_report_progress(ctx: Context) -> None:
    client, tasks = _env(ctx, "tasks")
    from jobs.store import create_job, group_for, load_state

    layer = _layer()
    job_id = create_job(5)
    group = group_for(job_id)
    cases = [((job_id, 2, 5), "running", 2), ((job_id, 5, 5), "done", 5), ((job_id, 3, 5, "disk full"), "failed", 3)]
    for args, status, done in cases:
        call = f"report_progress{args!r}"
        ctx.step(call)
        box = {}

        def call_it(args=args):
            box["value"], box["warnings"] = _never_awaited(tasks.report_progress, *args)
            return box["value"]

        events, _, error = ctx.run_async(_listen_and_run(layer, group, call_it, expect=1), timeout=5)
        if error is not None:
            raise error
        if not events:
            if box.get("warnings"):
                raise CheckFailed(f"{call} sent nothing to the group {group!r}. " + NOT_AWAITED)
            raise CheckFailed(f"{call} sent nothing to the group {group!r} within {RECV:g} s: send "
                              "{'type': 'job.progress', 'state': state} with "
                              "async_to_sync(get_channel_layer().group_send)(group_for(job_id), event).")
        event = events[0]
        if event.get("type") != "job.progress":
            raise CheckFailed(f"{call} sent {event!r:.200} to the group; its type must be 'job.progress' "
                              "(the consumer's job_progress method handles it).")
        _expect_state(event.get("state"), f"{call}: the event's 'state'", job_id, status, done, 5)
        if status == "failed" and event["state"].get("error") != "disk full":
            raise CheckFailed(f"{call}: the failed state must carry 'error': 'disk full'; got {event['state']!r:.200}.")
        _expect_state(load_state(job_id), f"after {call}, load_state(job_id)", job_id, status, done, 5)
        _expect_state(box.get("value"), f"{call} returned", job_id, status, done, 5)


# -- 2. render_report, in this process ------------------------------------------------------------
def check_render_report(ctx: Context) -> None:
    client, tasks = _env(ctx, "tasks")
    from jobs.store import create_job, group_for, load_state

    task = tasks.render_report
    if not callable(getattr(task, "delay", None)):
        raise CheckFailed("render_report is not a Celery task: decorate it with @app.task(acks_late=True).")
    if getattr(task, "acks_late", False) is not True:
        raise CheckFailed("render_report must be declared with @app.task(acks_late=True): the queue message is then "
                          "acknowledged after the task ran, so a worker that dies halfway does not lose the job.")
    layer = _layer()
    job_id = create_job(4)
    ctx.step("running render_report(job_id, 4) in this process")
    events, result, error = ctx.run_async(_listen_and_run(layer, group_for(job_id), task, job_id, 4, expect=6),
                                          timeout=8)
    if error is not None:
        raise error
    seen = [(e.get("state") or {}).get("done") for e in events]
    statuses = [(e.get("state") or {}).get("status") for e in events]
    if seen != [0, 1, 2, 3, 4] or statuses != ["running"] * 4 + ["done"]:
        raise CheckFailed(f"render_report(job, 4) sent progress done={seen} with statuses {statuses}; expected "
                          "done=[0, 1, 2, 3, 4]: 0/4 before the first page, then one event after each page, "
                          "the last one with status 'done'.")
    _expect_state(load_state(job_id), "after the task, load_state(job_id)", job_id, "done", 4, 4)
    if result != 4:
        raise CheckFailed(f"render_report(job, 4) returned {result!r}; expected 4 (the pages rendered).")

    job_id = create_job(4)
    ctx.step("running render_report(job_id, 4, fail_at=1): page 2 raises RenderError")
    events, _, error = ctx.run_async(_listen_and_run(layer, group_for(job_id), task, job_id, 4, 1, expect=4),
                                     timeout=8)
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


# -- 3. the consumer --------------------------------------------------------------------------
def _app(consumers):
    from channels.routing import URLRouter
    from django.urls import re_path

    from jobsite.asgi import JOB_PATH

    return URLRouter([re_path(JOB_PATH, consumers.JobConsumer.as_asgi())])


async def _next(communicator, what: str):
    try:
        output = await communicator.receive_output(RECV)
    except (asyncio.TimeoutError, TimeoutError):
        raise CheckFailed(f"waited {RECV:g} s for {what}; nothing came.") from None
    return output


async def _open(communicator, job_id: str) -> dict:
    output = await _next(communicator, "the consumer to accept")
    if output["type"] != "websocket.accept":
        raise CheckFailed(f"connecting to a job that exists got {output!r:.150}; expected the connection to be "
                          "accepted (await self.accept()).")
    output = await _next(communicator, "the job's current state right after accept()")
    if output["type"] != "websocket.send" or not output.get("text"):
        raise CheckFailed(f"after accept() the consumer sent {output!r:.150}; expected the state as JSON (send_json).")
    return json.loads(output["text"])


def _communicator(app, job_id: str):
    from channels.testing import WebsocketCommunicator

    return WebsocketCommunicator(app, f"/ws/jobs/{job_id}/")


async def _stop(communicator):
    with contextlib.suppress(BaseException):
        await communicator.disconnect(timeout=0.5)


def check_consumer_state(ctx: Context) -> None:
    client, consumers = _env(ctx, "consumers")
    from jobs.store import create_job, save_state

    app = _app(consumers)
    job_id = create_job(6)
    save_state(job_id, {"job": job_id, "status": "running", "done": 3, "total": 6})

    async def scenario():
        late = _communicator(app, job_id)
        await late.send_input({"type": "websocket.connect"})
        try:
            first = await _open(late, job_id)
        finally:
            await _stop(late)
        unknown = _communicator(app, uuid.uuid4().hex)
        await unknown.send_input({"type": "websocket.connect"})
        try:
            refused = await _next(unknown, "the consumer to refuse a job that does not exist")
        finally:
            await _stop(unknown)
        return first, refused

    ctx.step("a page connects to a job that is halfway (3/6)")
    first, refused = ctx.run_async(scenario, timeout=5)
    _expect_state(first, "the first frame to a page connecting late", job_id, "running", 3, 6)
    if refused["type"] != "websocket.close" or refused.get("code") != 4404:
        raise CheckFailed(f"connecting to a job nobody created got {refused!r:.150}; expected the connection to be "
                          "refused before accept(): await self.close(code=4404) when load_state() returns None.")


def check_consumer_forwards(ctx: Context) -> None:
    client, consumers = _env(ctx, "consumers")
    from jobs.store import create_job, group_for

    app = _app(consumers)
    layer = _layer()
    job_id = create_job(3)

    async def scenario():
        tabs = [_communicator(app, job_id), _communicator(app, job_id)]
        try:
            for tab in tabs:
                await tab.send_input({"type": "websocket.connect"})
                await _open(tab, job_id)
            got = []
            for done in (1, 2, 3):
                state = {"job": job_id, "status": "done" if done == 3 else "running", "done": done, "total": 3}
                await layer.group_send(group_for(job_id), {"type": "job.progress", "state": state})
                for number, tab in enumerate(tabs, 1):
                    output = await _next(tab, f"tab {number} to receive the job.progress event done={done}")
                    if output["type"] != "websocket.send":
                        raise CheckFailed(f"tab {number} got {output!r:.150} instead of the forwarded state.")
                    got.append((number, json.loads(output["text"]), state))
            return got
        finally:
            for tab in tabs:
                await _stop(tab)

    ctx.step("two tabs watch one job; the check sends job.progress events to the group")
    for number, received, sent in ctx.run_async(scenario, timeout=6):
        if received != sent:
            raise CheckFailed(f"tab {number} received {received!r:.200} for the event whose state was {sent!r:.200}; "
                              "job_progress(event) should send_json(event['state']) unchanged.")


def check_consumer_disconnect(ctx: Context) -> None:
    client, consumers = _env(ctx, "consumers")
    from jobs.store import create_job, group_for

    app = _app(consumers)
    job_id = create_job(3)
    key = f"asgi:group:{group_for(job_id)}"  # channels_redis keeps a group's members in this sorted set

    async def scenario():
        tab = _communicator(app, job_id)
        await tab.send_input({"type": "websocket.connect"})
        try:
            await _open(tab, job_id)
            members = client.zcard(key)
        except BaseException:
            await _stop(tab)
            raise
        await tab.disconnect(timeout=1)
        return members, client.zcard(key)

    ctx.step("connect, then disconnect")
    while_open, after = ctx.run_async(scenario, timeout=5)
    if while_open != 1:
        raise CheckFailed(f"while one page was connected, the group {group_for(job_id)!r} had {while_open} members; "
                          "expected 1: group_add(group_for(job_id), self.channel_name) in connect().")
    if after != 0:
        raise CheckFailed("after the page disconnected, its channel was still in the group: "
                          "group_discard(self.group, self.channel_name) in disconnect().")


# -- 4. the view -------------------------------------------------------------------------------
def _queued_messages(client) -> list[dict]:
    messages = []
    for raw in client.lrange(QUEUE, 0, -1):
        message = json.loads(raw)
        body = json.loads(base64.b64decode(message["body"]))
        messages.append({"task": message["headers"].get("task"), "args": body[0], "kwargs": body[1]})
    return messages


def check_start_job(ctx: Context) -> None:
    client, views = _env(ctx, "views")
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
    _expect_state(state, "right after POST /jobs/, load_state(job_id)", job_id, "queued", 0, 4)

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


# -- 5. real processes: Redis + Celery worker + Daphne -------------------------------------------
@contextlib.contextmanager
def _live(ctx: Context):
    from jobsite.launch import Worker, daphne_argv, lesson_env

    redis = ctx.redis()
    env = lesson_env(ctx.exercise_dir, redis.url, step_seconds=LIVE_STEP_SECONDS)
    port = ctx.free_port()
    with Worker(env) as worker:
        ctx.start_process(daphne_argv(port, access_log=False), port=port, env=env, cwd=str(ctx.lesson_dir),
                          ready_timeout=15)
        yield {"url": f"http://127.0.0.1:{port}", "port": port, "worker": worker}


def _servers(ctx: Context) -> dict:
    ctx.step("starting Redis, a Celery worker (--pool=solo) and Daphne")
    try:
        return ctx.resource("live", lambda: _live(ctx))
    except RuntimeError as err:
        raise CheckFailed(f"the servers did not start: {err}") from None


def _post_job(base: str, steps: int) -> tuple[str, float]:
    with urllib.request.urlopen(base + "/", timeout=5) as page:
        cookies = page.headers.get_all("Set-Cookie") or []
    token = next((c.split(";")[0].split("=", 1)[1] for c in cookies if c.startswith("csrftoken=")), "")
    request = urllib.request.Request(base + "/jobs/", data=f"steps={steps}".encode(), method="POST", headers={
        "Content-Type": "application/x-www-form-urlencoded", "X-CSRFToken": token, "Cookie": f"csrftoken={token}"})
    started = time.perf_counter()
    try:
        with urllib.request.urlopen(request, timeout=5) as answer:
            status, body = answer.status, answer.read()
    except urllib.error.HTTPError as err:
        status, body = err.code, err.read()
    took = time.perf_counter() - started
    if status != 202:
        raise CheckFailed(f"POST /jobs/ (real Daphne) answered {status}: {body[:200]!r}; expected 202.")
    return json.loads(body)["job"], took


def _worker_says(servers) -> str:
    tail = servers["worker"].log_tail(12)
    return f"\nThe worker's log ends with:\n{tail}" if tail else ""


def check_worker_daphne(ctx: Context) -> None:
    servers = _servers(ctx)
    steps = 6
    ctx.step("POST /jobs/ steps=6")
    # Whether the job ran inside the request shows below (the page then sees (nearly) no steps), not by a clock.
    job_id, _ = _post_job(servers["url"], steps)

    async def watch():
        from websockets.asyncio.client import connect

        states = []
        async with connect(f"ws://127.0.0.1:{servers['port']}/ws/jobs/{job_id}/",
                           origin=f"http://127.0.0.1:{servers['port']}", open_timeout=3) as ws:
            deadline = time.monotonic() + 6
            while time.monotonic() < deadline:
                try:
                    text = await asyncio.wait_for(ws.recv(), deadline - time.monotonic())
                except (asyncio.TimeoutError, TimeoutError):
                    break
                states.append(json.loads(text))
                if states[-1].get("status") in ("done", "failed"):
                    break
        return states

    ctx.step("a websockets client watches the job")
    try:
        states = ctx.run_async(watch, timeout=9)
    except CheckFailed:
        raise
    except Exception as exc:  # noqa: BLE001 - the handshake or the socket failed
        raise CheckFailed(f"the websockets client failed: {type(exc).__name__}: {exc}. Daphne refused or closed the "
                          "WebSocket: does JobConsumer.connect accept?") from None
    if not states:
        raise CheckFailed("the WebSocket sent nothing: the consumer must send the current state on connect.")
    last = states[-1]
    if last.get("status") == "queued" or (last.get("status") == "running" and last.get("done") == 0 and len(states) == 1):
        raise CheckFailed(f"the job never moved past {last!r:.150}: the worker did not run it or sent no progress. "
                          "Is the worker on the same Redis as Daphne (one REDIS_URL in the settings)?"
                          + _worker_says(servers))
    dones = [s.get("done") for s in states if s.get("status") != "queued"]
    if last.get("status") != "done" or last.get("done") != steps:
        raise CheckFailed(f"the page saw done={dones}, ending with {last!r:.150}; expected the job to reach "
                          f"{steps}/{steps} with status 'done' within 6 s." + _worker_says(servers))
    # Joining the group before reading the state (the right order: nothing is missed) can show the step that
    # lands in between twice; progress is idempotent, so a repeated step is fine, a missing one is not.
    dones = [d for i, d in enumerate(dones) if i == 0 or d != dones[i - 1]]
    if len(dones) < steps // 2:
        raise CheckFailed(f"the page saw only done={dones}: the job was (nearly) over before the WebSocket even "
                          "connected, so it ran inside the request. Enqueue it with render_report.delay(...).")
    if dones != list(range(dones[0], steps + 1)):
        raise CheckFailed(f"the page saw done={dones}; expected every step from its first state to {steps}, "
                          "in order, none missing.")


def check_browser_progress(ctx: Context) -> None:
    servers = _servers(ctx)
    page = ctx.new_page()
    ctx.step("opening the page in Chromium and starting a 5-page job")
    page.goto(servers["url"] + "/")
    page.fill("input[name=steps]", "5")
    page.click("#start-button")
    try:
        page.wait_for_function("['done', 'failed'].includes(document.body.dataset.status) || !!document.body.dataset.problem",
                               timeout=6000)
    except Exception:  # noqa: BLE001 - Playwright's TimeoutError
        pass
    status = page.evaluate("document.body.dataset.status")
    problem = page.evaluate("document.body.dataset.problem || ''")
    value = page.get_attribute("#bar", "aria-valuenow")
    if problem:
        raise CheckFailed(f"the page says: {problem}" + ("" if "POST /jobs/" in problem else _worker_says(servers)))
    if status != "done" or value != "100":
        raise CheckFailed(f"after 6 s the page shows status {status!r} and the progress bar at {value} %; expected "
                          "'done' and 100 %." + _worker_says(servers))
    events = int(page.evaluate("document.body.dataset.events || '0'"))
    if events < 3:
        raise CheckFailed(f"the page received only {events} state(s) for a 5-page job; expected one per page.")
    job_id = page.evaluate("document.body.dataset.job")

    ctx.step("a second tab opens the finished job (?job=...)")
    late = ctx.new_page()
    late.goto(f"{servers['url']}/?job={job_id}")
    try:
        late.wait_for_function("document.body.dataset.status === 'done'", timeout=3000)
    except Exception:  # noqa: BLE001
        raise CheckFailed("a tab opened after the job finished did not show it as done: the consumer must send the "
                          "stored state on connect.") from None


CHECKS = register(
    check_report_progress, check_render_report, check_consumer_state, check_consumer_forwards,
    check_consumer_disconnect, check_start_job, check_worker_daphne, check_browser_progress,
)
