"""What ``python -m checker watch`` keeps warm between saves, and nothing else.

Every save is still graded in fresh grading processes, so nothing the learner's code did in
one run (module state, threads, monkey-patches) survives into the next. What is kept is what
the learner's code never touches and that is slow to start: the run's headless Chromium
(``checker.shared_browser``), held for every save instead of one grading; each check still gets
a fresh browser context (its own cookies and storage), closed when the check ends.

And a zygote (``checker.zygote``) that has imported the checker, the lesson's checks and the
third-party modules once, and forks each grading process from that: never the learner's code.

Measured with ``bench/checker_speed.py`` (see its ``watch`` column): launching Chromium is the
largest fixed cost of a browser ring.
"""

from __future__ import annotations

import contextlib

from checker import zygote
from checker.shared_browser import SHARED


@contextlib.contextmanager
def warm_browser():
    """Hold the run's Chromium (``checker.shared_browser``) for the whole session, started now."""
    SHARED.hold()
    SHARED.start()
    try:
        yield SHARED.url()
    finally:
        SHARED.release()


@contextlib.contextmanager
def warm_zygote(lesson, exercise_dir):
    """A ``checker.zygote`` for one exercise (or None): gradings fork from it instead of starting Python."""
    if lesson is None:
        yield None
        return
    try:
        forker = zygote.Zygote(lesson.id, exercise_dir, session=True)
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
    """Start what is kept warm: the browser and, with a ``lesson`` (and its ``exercise_dir``), a
    zygote that has imported what its gradings import. The runner tells each grading the browser's
    URL (``WorkerSpec.browser``), forked or not."""
    with warm_browser() as cdp_url, warm_zygote(lesson, exercise_dir) as forker:
        yield {"browser": cdp_url, "zygote": forker}
