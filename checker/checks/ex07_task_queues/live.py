"""Rings 3 and 4, the real thing: Redis, a Celery worker, Channels' worker (``runworker``) and
Daphne started by the lesson's launcher (``lessons/07-task-queues/launch.py``), watched by
``websockets`` clients and by Chromium. Every wait is for a state the servers report (a final job state), within a scaled limit."""

from __future__ import annotations

import asyncio

from checker import launchers
from checker.api import CheckFailed, Context
from checker.probes import jobs, page as page_probe
from workshop.launch import Ports

LIVE_STEP_SECONDS = 0.15  # per page in the worker: long enough for a page to watch, on a busy laptop too
HTTP = 5.0                # seconds (at scale 1) for one HTTP request
JOB = 6.0                 # seconds (at scale 1) for a 6-page job to be watched to its end
WATCH = JOB + 3.0         # the asynchronous step that contains the watch


def check_worker_daphne(ctx: Context) -> None:
    site = _servers(ctx)
    steps = 6
    ctx.step("POST /jobs/ steps=6")
    posted = jobs.post_job(site.url("http"), steps, timeout=ctx.timeout(HTTP))
    if posted.status != 202 or posted.job is None:
        raise CheckFailed(f"POST /jobs/ (real Daphne) answered {posted.status}: {posted.body[:200]!r}; expected 202 "
                          "with {'job': job_id}.")
    # Whether the job ran inside the request, by the store rather than by a clock: a job the request ran
    # is over when its answer arrives; an enqueued one has barely started (6 pages take 0.9 s).
    at_answer = jobs.stored_state(ctx.redis().url, posted.job, timeout=ctx.timeout(HTTP)) or {}
    if at_answer.get("status") in jobs.TERMINAL:
        raise CheckFailed(f"when POST /jobs/ answered, the job was already {at_answer.get('status')!r} "
                          f"({at_answer.get('done')}/{steps}): it ran inside the request. Enqueue it with "
                          "render_report.delay(...) so that the request answers at once.")
    ctx.step("a websockets client watches the job")
    limit = ctx.timeout(JOB)
    try:
        states = [state for _, state in ctx.run_async(_watch, site.url("http"), posted.job, limit, timeout=WATCH)]
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
                          + _worker_says(site))
    dones = [s.get("done") for s in states if s.get("status") != "queued"]
    if last.get("status") != "done" or last.get("done") != steps:
        raise CheckFailed(f"the page saw done={dones}, ending with {last!r:.150}; expected the job to reach "
                          f"{steps}/{steps} with status 'done' within {limit:g} s." + _worker_says(site))
    # Joining the group before reading the state (the right order: nothing is missed) can show the step that
    # lands in between twice; progress is idempotent, so a repeated step is fine, a missing one is not. How
    # many steps the watch saw depends on when it connected (a busy machine connects late), so not judged.
    dones = [d for i, d in enumerate(dones) if i == 0 or d != dones[i - 1]]
    if dones != list(range(dones[0], steps + 1)):
        raise CheckFailed(f"the page saw done={dones}; expected every step from its first state to {steps}, "
                          "in order, none missing.")


def check_runworker_daphne(ctx: Context) -> None:
    site = _servers(ctx)
    base, limit = site.url("http"), ctx.timeout(JOB)
    ctx.step("POST /jobs/ engine=channels twice: 4 pages failing on page 2, then 5 pages")
    token = jobs.csrf_token(base, timeout=ctx.timeout(HTTP))
    posted = [jobs.post_job(base, steps, token=token, fail_at=fail_at, engine="channels", timeout=ctx.timeout(HTTP))
              for steps, fail_at in ((4, "2"), (5, ""))]
    for answer in posted:
        if answer.status != 202 or answer.job is None:
            raise CheckFailed(f"POST /jobs/ engine=channels (real Daphne) answered {answer.status}: "
                              f"{answer.body[:200]!r}; expected 202 with {{'job': job_id}}.")
    ctx.step("websockets clients watch both jobs run by the runworker process")
    try:
        failing, after = ctx.run_async(_watch_all, base, [a.job for a in posted], limit, timeout=WATCH)
    except Exception as exc:  # noqa: BLE001 - the handshake or the socket failed
        raise CheckFailed(f"the websockets client failed: {type(exc).__name__}: {exc}.") from None
    says = _worker_says(site, "runworker")
    if not failing or failing[-1].get("status") == "queued":
        raise CheckFailed("the first job never left 'queued': no Channels worker took the message off the channel "
                          "jobs-worker, or ReportWorker ran nothing." + says)
    if (failing[-1].get("status"), failing[-1].get("done")) != ("failed", 1):
        raise CheckFailed(f"the job failing on page 2 ended with {failing[-1]!r:.150}; expected 'failed' at 1/4."
                          + says)
    if not after or after[-1].get("status") != "done" or after[-1].get("done") != 5:
        last = after[-1] if after else None
        raise CheckFailed(f"the job sent right after the failing one ended with {last!r:.150} within {limit:g} s; "
                          "expected done 5/5. If the worker's log shows 'Exception inside application', the failure "
                          "escaped job_render and took the queued job with it." + says)


def check_browser_progress(ctx: Context) -> None:
    site = _servers(ctx)
    page = ctx.new_page()
    ctx.step("opening the page in Chromium and starting a 5-page job")
    page.goto(site.url("http") + "/")
    page.fill("input[name=steps]", "5")
    page.click("#start-button")
    limit = ctx.timeout(JOB)
    page_probe.wait_for(page, "['done', 'failed'].includes(document.body.dataset.status) "
                              "|| !!document.body.dataset.problem", limit)
    status = page_probe.dataset(page, "status")
    problem = page_probe.dataset(page, "problem")
    value = page.get_attribute("#bar", "aria-valuenow")
    if problem:
        raise CheckFailed(f"the page says: {problem}" + ("" if "POST /jobs/" in problem else _worker_says(site)))
    if status != "done" or value != "100":
        raise CheckFailed(f"after {limit:g} s the page shows status {status!r} and the progress bar at {value} %; "
                          "expected 'done' and 100 %." + _worker_says(site))
    # How many states the page received depends on how soon Chromium connected, so it is not judged
    # here: a job run inside the request is caught by the store (worker_daphne), and a consumer that
    # forwards no progress leaves the page short of 'done' (above).
    job_id = page_probe.dataset(page, "job")

    ctx.step("a second tab opens the finished job (?job=...)")
    late = ctx.new_page()
    late.goto(f"{site.url('http')}/?job={job_id}")
    if not page_probe.wait_for(late, "document.body.dataset.status === 'done'", ctx.timeout(3)):
        raise CheckFailed("a tab opened after the job finished did not show it as done: the consumer must send the "
                          "stored state on connect.")


# -- helpers ---------------------------------------------------------------------------------
def _servers(ctx: Context):
    """The lesson's launch (Redis from the context, worker, Daphne): once per grading process."""

    def factory():
        ctx.step("starting a Celery worker (--pool=solo), Channels' worker (runworker) and Daphne on the check's Redis")
        launcher = launchers.load(ctx.lesson_dir)
        return launcher.launch(ctx.exercise_dir, Ports.free(*ctx.lesson.ports), redis_url=ctx.redis().url,
                               step_seconds=LIVE_STEP_SECONDS, access_log=False, ready_timeout=ctx.timeout(20))

    try:
        return ctx.resource("live", factory)
    except RuntimeError as err:
        raise CheckFailed(f"the servers did not start: {err}") from None


async def _watch(base: str, job: str, limit: float):
    return await jobs.watch(base, job, timeout=limit)


async def _watch_all(base: str, job_ids: list[str], limit: float):
    """Watch several jobs at once: each one's states, in the order they came."""
    watched = await asyncio.gather(*(jobs.watch(base, job, timeout=limit) for job in job_ids))
    return [[state for _, state in seen] for seen in watched]


def _worker_says(site, name: str = "worker") -> str:
    tail = site.services[name].log_tail(12)
    return f"\nThe {name} log ends with:\n{tail}" if tail else ""
