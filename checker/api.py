"""What a lesson's checks see: ``CheckFailed`` and the ``Context`` handed to every check.

Every wait inside a check takes its limit from the context, ``ctx.timeout(seconds)``: the
seconds are multiplied by ``CHECKER_TIMEOUT_SCALE`` and never reach past the check's own
deadline, so a slow laptop stretches every wait alike and no inner wait outlives its check.
See ``checker/AUTHORING.md`` for how checks are written.
"""

from __future__ import annotations

import asyncio
import contextlib
import importlib
import os
import threading
import time
from pathlib import Path
from urllib.parse import urlsplit

from checker.pipeline import CheckFailed, CheckSkipped, Step
from workshop import browser as browser_support
from workshop import learner, net, procs
from workshop.redis_server import RedisServer

__all__ = ["CheckFailed", "CheckSkipped", "Context", "lazy_import"]

#: What an inner wait leaves of its check's time, so the check can still say what went wrong.
REPORT_MARGIN = 0.3
MIN_WAIT = 0.05


class _LazyModule:
    def __init__(self, name: str):
        self._name = name

    def __getattr__(self, attribute: str):
        return getattr(importlib.import_module(self._name), attribute)


def lazy_import(name: str):
    """Module ``name``, imported when first used rather than when the check module is.

    A grading process imports a lesson's whole check package; a module of an outer ring that needs
    Django only in its checks then costs nothing to a first-ring grading of plain functions.
    """
    return _LazyModule(name)


def _connection_failed(error: BaseException) -> str | None:
    """What went wrong when a client lost the learner's server (refused, reset, closed mid-handshake,
    answered the handshake with an error status), in words; ``None`` for anything else."""
    if isinstance(error, (ConnectionError, EOFError)):
        return f"{type(error).__name__}: {str(error)[:200]}"
    try:
        from websockets.exceptions import ConnectionClosed, InvalidHandshake, InvalidStatus
    except ImportError:
        return None
    if isinstance(error, InvalidStatus):
        return f"the handshake was answered with HTTP {error.response.status_code}"
    if isinstance(error, (ConnectionClosed, InvalidHandshake)):
        return f"{type(error).__name__}: {str(error)[:200]}"
    return None


class Context:
    """Per-exercise state for checks: paths, deadlines, shared resources, progress steps."""

    def __init__(self, *, lesson, exercise_dir: Path, timeout_scale: float, emit, cdp_url: str = ""):
        self.lesson = lesson
        self.cdp_url = cdp_url  # the run's Chromium, reached over DevTools (checker.shared_browser)
        self.exercise_dir = Path(exercise_dir)
        self.lesson_dir = lesson.lesson_dir
        self.scale = timeout_scale
        self._emit = emit
        self._stack = contextlib.ExitStack()
        self._resources: dict[str, object] = {}
        self._check_stack: contextlib.ExitStack | None = None
        self.deadline = float("inf")  # set for each check: its limit from the record, scaled
        self.console: list[str] = []

    # -- progress ----------------------------------------------------------------
    def step(self, text: str) -> None:
        """Say what the check is doing now; a timeout message names the last step."""
        self._emit(Step(text))

    # -- time --------------------------------------------------------------------
    def remaining(self) -> float:
        """Seconds left before this check's deadline."""
        return self.deadline - time.monotonic()

    def timeout(self, seconds: float) -> float:
        """The limit for one inner wait of ``seconds`` (as written for a scale of 1).

        Scaled by ``CHECKER_TIMEOUT_SCALE`` and cut to what the check has left (less a margin to
        report), so the check, not the runner's kill, says what did not happen in time.
        """
        return max(MIN_WAIT, min(seconds * self.scale, self.remaining() - REPORT_MARGIN))

    def sleep(self, seconds: float) -> None:
        """Let a server act (scaled like every wait): use only where no state can be polled."""
        time.sleep(self.timeout(seconds))

    def wait_until(self, predicate, seconds: float, interval: float = 0.02) -> bool:
        """Poll ``predicate()`` until it is true (``True``) or the scaled wait ends (``False``)."""
        end = time.monotonic() + self.timeout(seconds)
        while True:
            if predicate():
                return True
            if time.monotonic() >= end:
                return False
            time.sleep(interval)

    # -- learner code ------------------------------------------------------------
    def import_learner(self, name: str):
        return learner.import_learner(name, self.exercise_dir)

    def require_written(self, *functions) -> None:
        """Fail at once, with the usual "not written yet", if one of the learner's ``functions`` is
        still its stub: a pristine exercise hears so before the check starts servers for it."""
        import inspect

        for function in functions:
            if learner.is_stub(function):
                raise CheckFailed(learner.unwritten_message(function.__name__, Path(inspect.getsourcefile(function))))

    # -- resources ---------------------------------------------------------------
    def resource(self, key: str, factory):
        """Enter ``factory()`` (a context manager) once; exit it when grading ends."""
        if key not in self._resources:
            self._resources[key] = self._stack.enter_context(factory())
        return self._resources[key]

    def free_port(self) -> int:
        return net.free_port()

    def redis(self) -> RedisServer:
        return self.resource("redis", RedisServer)

    def start_process(self, argv, *, port: int, env=None, cwd=None, key: str | None = None,
                      ready_timeout: float = 10.0) -> procs.ServerProcess:
        merged = {**os.environ, **(env or {})}
        server = procs.ServerProcess(argv, port, env=merged, cwd=cwd, ready_timeout=self.timeout(ready_timeout))
        if key is not None:
            return self.resource(key, lambda: server)
        return self._stack.enter_context(server)

    def run_async(self, coroutine_function, *args, timeout: float = 5.0):
        """Run ``coroutine_function(*args)`` in a new event loop on its own thread.

        Playwright's sync API owns this thread's event loop, so asyncio code (the
        ``websockets`` client, channel layers) gets a thread of its own. ``timeout`` is scaled
        like every wait (``ctx.timeout``).
        """
        limit = self.timeout(timeout)
        box: dict[str, object] = {}

        def runner():
            try:
                box["value"] = asyncio.run(asyncio.wait_for(coroutine_function(*args), limit))
            except BaseException as exc:  # noqa: BLE001 - handed back to the caller
                box["error"] = exc

        thread = threading.Thread(target=runner, daemon=True)
        thread.start()
        thread.join(limit + 2)
        if thread.is_alive():
            raise CheckFailed(f"an asynchronous step did not finish within {limit + 2:g} s")
        if "error" in box:
            error = box["error"]
            if isinstance(error, (asyncio.TimeoutError, TimeoutError)):
                raise CheckFailed(f"no answer within {limit:g} s") from None
            lost = _connection_failed(error)
            if lost:  # the learner's server went away: theirs to see, not a checker crash
                raise CheckFailed(f"the connection to the server failed before the check was done ({lost}). "
                                  f"Run `python -m checker serve {self.lesson.id}` and watch its output for the "
                                  "reason.") from None
            raise error
        return box.get("value")

    # -- browser -----------------------------------------------------------------
    def browser(self):
        """A headless Chromium (Playwright sync API), once per grading process: the one the runner
        started for this run (reached over DevTools), else one launched here."""
        if "browser" not in self._resources:
            if browser_support.find_chromium() is None:
                raise CheckSkipped(browser_support.install_instructions())
            from playwright.sync_api import sync_playwright

            playwright = self._stack.enter_context(sync_playwright())
            browser = self._shared_browser(playwright) or browser_support.launch(playwright)
            self._stack.callback(browser.close)
            self._resources["browser"] = browser
        return self._resources["browser"]

    def _shared_browser(self, playwright):
        """The runner's Chromium over DevTools, once its port answers; None if it never does."""
        port = urlsplit(self.cdp_url).port if self.cdp_url else None
        if port is None or not net.wait_for_port(port, timeout=self.timeout(10)):
            return None
        try:
            return playwright.chromium.connect_over_cdp(self.cdp_url, timeout=self.timeout(5) * 1000)
        except Exception:  # noqa: BLE001 - it died meanwhile: launch one of our own instead
            return None

    def new_page(self, **context_options):
        """A fresh page in a fresh browser context, closed when the check ends (``context_options``
        go to Playwright's ``new_context``, e.g. ``ignore_https_errors=True`` for a self-signed certificate)."""
        context = self.browser().new_context(**context_options)
        assert self._check_stack is not None, "new_page() is only available inside a check"
        self._check_stack.callback(context.close)
        page = context.new_page()
        page.set_default_timeout(self.timeout(5) * 1000)
        page.on("console", lambda msg: self.console.append(f"{msg.type}: {msg.text}") if msg.type == "error" else None)
        page.on("pageerror", lambda err: self.console.append(f"uncaught: {err}"))
        return page

    # -- lifecycle (used by the grading process) ------------------------------------
    def begin_check(self, check) -> None:
        self.console = []
        self.deadline = time.monotonic() + check.timeout * self.scale
        self._check_stack = contextlib.ExitStack()

    def end_check(self) -> None:
        if self._check_stack is not None:
            with contextlib.suppress(Exception):
                self._check_stack.close()
            self._check_stack = None
        self.deadline = float("inf")

    def close(self) -> None:
        self._stack.close()
