"""Rings 3 and 4, the real thing: Redis, a Celery worker subprocess and Daphne started by the
lesson's launcher (``lessons/07-task-queues/launch.py``), watched by a ``websockets`` client and
by Chromium. Every wait is for a state the servers report (a final job state), within a scaled limit."""

from __future__ import annotations

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
    # Whether the job ran inside the request shows below (the page then sees (nearly) no steps), not by a clock.
    posted = jobs.post_job(site.url("http"), steps, timeout=ctx.timeout(HTTP))
    if posted.status != 202 or posted.job is None:
        raise CheckFailed(f"POST /jobs/ (real Daphne) answered {posted.status}: {posted.body[:200]!r}; expected 202 "
                          "with {'job': job_id}.")
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
    # lands in between twice; progress is idempotent, so a repeated step is fine, a missing one is not.
    dones = [d for i, d in enumerate(dones) if i == 0 or d != dones[i - 1]]
    if len(dones) < steps // 2:
        raise CheckFailed(f"the page saw only done={dones}: the job was (nearly) over before the WebSocket even "
                          "connected, so it ran inside the request. Enqueue it with render_report.delay(...).")
    if dones != list(range(dones[0], steps + 1)):
        raise CheckFailed(f"the page saw done={dones}; expected every step from its first state to {steps}, "
                          "in order, none missing.")


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
    events = int(page_probe.dataset(page, "events") or 0)
    if events < 3:
        raise CheckFailed(f"the page received only {events} state(s) for a 5-page job; expected one per page.")
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
        ctx.step("starting a Celery worker (--pool=solo) and Daphne on the check's Redis")
        launcher = launchers.load(ctx.lesson_dir)
        return launcher.launch(ctx.exercise_dir, Ports.free(*ctx.lesson.ports), redis_url=ctx.redis().url,
                               step_seconds=LIVE_STEP_SECONDS, access_log=False, ready_timeout=ctx.timeout(20))

    try:
        return ctx.resource("live", factory)
    except RuntimeError as err:
        raise CheckFailed(f"the servers did not start: {err}") from None


async def _watch(base: str, job: str, limit: float):
    return await jobs.watch(base, job, timeout=limit)


def _worker_says(site) -> str:
    tail = site.services["worker"].log_tail(12)
    return f"\nThe worker's log ends with:\n{tail}" if tail else ""
