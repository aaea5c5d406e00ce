"""What a lesson's checks see: ``CheckFailed`` and the ``Context`` handed to every check.

See ``checker/AUTHORING.md`` for how checks are written.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import threading
from pathlib import Path

from workshop import browser as browser_support
from workshop import learner, net, procs
from workshop.redis_server import RedisServer


class CheckFailed(Exception):
    """Raise with a message for the learner: what happened, and what was expected."""


class CheckSkipped(Exception):
    """The check could not run on this machine (for example, no browser)."""


class Context:
    """Per-exercise state for checks: paths, shared resources, progress steps."""

    def __init__(self, *, exercise, target: Path, exercise_dir: Path, lesson_dir: Path, repo_root: Path, emit):
        self.exercise = exercise
        self.target = target
        self.exercise_dir = exercise_dir
        self.lesson_dir = lesson_dir
        self.repo_root = repo_root
        self._emit = emit
        self._stack = contextlib.ExitStack()
        self._resources: dict[str, object] = {}
        self._check_stack: contextlib.ExitStack | None = None
        self.console: list[str] = []

    # -- progress ----------------------------------------------------------------
    def step(self, text: str) -> None:
        """Say what the check is doing now; a timeout message names the last step."""
        self._emit({"event": "step", "text": text})

    # -- learner code ------------------------------------------------------------
    def import_learner(self, name: str):
        return learner.import_learner(name, self.exercise_dir)

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
        server = procs.ServerProcess(argv, port, env=merged, cwd=cwd, ready_timeout=ready_timeout)
        if key is not None:
            return self.resource(key, lambda: server)
        return self._stack.enter_context(server)

    def run_async(self, coroutine_function, *args, timeout: float = 5.0):
        """Run ``coroutine_function(*args)`` in a new event loop on its own thread.

        Playwright's sync API owns this thread's event loop, so asyncio code (the
        ``websockets`` client, channel layers) gets a thread of its own.
        """
        box: dict[str, object] = {}

        def runner():
            try:
                box["value"] = asyncio.run(asyncio.wait_for(coroutine_function(*args), timeout))
            except BaseException as exc:  # noqa: BLE001 - handed back to the caller
                box["error"] = exc

        thread = threading.Thread(target=runner, daemon=True)
        thread.start()
        thread.join(timeout + 5)
        if thread.is_alive():
            raise CheckFailed(f"an asynchronous step did not finish within {timeout + 5:g} s")
        if "error" in box:
            error = box["error"]
            if isinstance(error, (asyncio.TimeoutError, TimeoutError)):
                raise CheckFailed(f"no answer within {timeout:g} s") from None
            raise error
        return box.get("value")

    # -- browser -----------------------------------------------------------------
    def browser(self):
        """A headless Chromium (Playwright sync API), launched once per exercise."""
        if "browser" not in self._resources:
            if browser_support.find_chromium() is None:
                raise CheckSkipped(browser_support.install_instructions())
            from playwright.sync_api import sync_playwright

            playwright = self._stack.enter_context(sync_playwright())
            browser = browser_support.launch(playwright)
            self._stack.callback(browser.close)
            self._resources["browser"] = browser
        return self._resources["browser"]

    def new_page(self):
        """A fresh page in a fresh browser context, closed when the check ends."""
        context = self.browser().new_context()
        assert self._check_stack is not None, "new_page() is only available inside a check"
        self._check_stack.callback(context.close)
        page = context.new_page()
        page.set_default_timeout(5000)
        page.on("console", lambda msg: self.console.append(f"{msg.type}: {msg.text}") if msg.type == "error" else None)
        page.on("pageerror", lambda err: self.console.append(f"uncaught: {err}"))
        return page

    # -- lifecycle (used by the worker) ------------------------------------------
    def begin_check(self) -> None:
        self.console = []
        self._check_stack = contextlib.ExitStack()

    def end_check(self) -> None:
        if self._check_stack is not None:
            with contextlib.suppress(Exception):
                self._check_stack.close()
            self._check_stack = None

    def close(self) -> None:
        self._stack.close()
