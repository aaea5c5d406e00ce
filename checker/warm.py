"""What ``python -m checker watch`` keeps warm between saves, and nothing else.

Every save is still graded in fresh grading processes, so nothing the learner's code did in
one run (module state, threads, monkey-patches) survives into the next. What is kept is what
the learner's code never touches and that is slow to start: a headless Chromium for all the
saves (``WORKSHOP_CDP_URL``; the runner tells each grading process, as it does of the one-run
Chromium of ``checker.shared_browser`` outside watch); each check still gets a fresh browser
context (its own cookies and storage), closed when the check ends.

And a zygote (``checker.zygote``) that has imported the checker, the lesson's checks and the
third-party modules once, and forks each grading process from that: never the learner's code.

Measured with ``bench/checker_speed.py`` (see its ``watch`` column): launching Chromium is the
largest fixed cost of a browser ring.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import tempfile

from checker import shared_browser, zygote
from workshop import browser, net, procs

ENV_CDP_URL = shared_browser.ENV_CDP_URL


@contextlib.contextmanager
def warm_browser():
    """A headless Chromium listening for DevTools on a loopback port; yields its URL (or None)."""
    executable = browser.find_chromium()
    if executable is None:
        yield None
        return
    profile = tempfile.mkdtemp(prefix="workshop-chromium-")
    port = net.free_port()
    server = procs.ServerProcess(shared_browser.argv(executable, port, profile), port, ready_timeout=15)
    try:
        server.start()
    except RuntimeError:
        shutil.rmtree(profile, ignore_errors=True)
        yield None
        return
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.stop()
        shutil.rmtree(profile, ignore_errors=True)


@contextlib.contextmanager
def warm_zygote(lesson, exercise_dir):
    """A ``checker.zygote`` for one exercise (or None): gradings fork from it instead of starting Python."""
    if lesson is None:
        yield None
        return
    try:
        forker = zygote.Zygote(lesson.id, exercise_dir)
    except OSError:
        yield None
        return
    if not forker.wait_ready(60):
        forker.close()
        yield None
        return
    try:
        yield forker
    finally:
        forker.close()


@contextlib.contextmanager
def warm_environment(lesson=None, exercise_dir=None):
    """Start what is kept warm and expose it to the grading processes through the environment.

    With a ``lesson`` (and its ``exercise_dir``), also a zygote that has imported what its
    gradings import, started after the browser so that its forks inherit ``WORKSHOP_CDP_URL``.
    """
    with warm_browser() as cdp_url:
        previous = os.environ.get(ENV_CDP_URL)
        if cdp_url:
            os.environ[ENV_CDP_URL] = cdp_url
        try:
            with warm_zygote(lesson, exercise_dir) as forker:
                yield {"browser": cdp_url, "zygote": forker}
        finally:
            if previous is None:
                os.environ.pop(ENV_CDP_URL, None)
            else:
                os.environ[ENV_CDP_URL] = previous
