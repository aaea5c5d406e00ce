"""One headless Chromium for every browser check of a grading run, reached over DevTools (CDP).

Launching Chromium through Playwright is the largest fixed cost of a browser check (its Node
driver, the browser, the first page: about a second on two cores, several under load), and
every grading process with a browser check paid it again: once per exercise in
``python -m checker --full``, three times at once when three exercises were graded side by side.

So the runner starts one Chromium when the first grading process with a browser check has
started, and does not wait for it: that process imports the learner's code and starts its
servers meanwhile, and waits for the DevTools port only when a check first asks for the browser
(``Context.browser``; it launches its own if this one never answers). Each check still gets a
fresh browser context (its own cookies and storage), closed when the check ends, so no check
sees another's pages. ``python -m checker watch`` holds it for all its saves (``checker.warm``).
"""

from __future__ import annotations

import contextlib
import os
import shutil
import subprocess
import tempfile
import threading

from workshop import browser, procs
from workshop.launch import Ports

#: ``CHECKER_SHARED_BROWSER=0``: each grading process launches its own (to measure what this saves).
ENABLED = os.environ.get("CHECKER_SHARED_BROWSER", "1") != "0"


#: What Playwright adds when it launches a browser itself, and a browser started by hand lacks. Without
#: them Chromium throttles the timers of a page that is not in front (a check's second tab), opens a
#: first window nobody uses, and runs field trials and background features: full grades were measured
#: 0.5-1 s slower than with a Chromium that Playwright launched.
AS_PLAYWRIGHT = ["--no-startup-window", "--disable-background-timer-throttling",
                 "--disable-backgrounding-occluded-windows", "--disable-renderer-backgrounding",
                 "--disable-ipc-flooding-protection", "--disable-hang-monitor", "--disable-field-trial-config",
                 "--disable-back-forward-cache", "--disable-breakpad", "--disable-extensions",
                 "--disable-component-extensions-with-background-pages", "--disable-default-apps",
                 "--disable-features=PaintHolding,OptimizationHints,MediaRouter,LensOverlay,HttpsUpgrades",
                 "--disable-popup-blocking", "--disable-prompt-on-repost", "--no-default-browser-check",
                 "--metrics-recording-only", "--password-store=basic", "--use-mock-keychain", "--mute-audio",
                 "--no-service-autorun"]


def argv(executable: str, port: int, profile: str) -> list[str]:
    """The command line of a headless Chromium answering DevTools on loopback ``port``."""
    return [executable, *browser.LAUNCH_ARGS, *AS_PLAYWRIGHT, f"--remote-debugging-port={port}",
            "--remote-debugging-address=127.0.0.1", f"--user-data-dir={profile}"]


class SharedBrowser:
    """A Chromium for a grading run: its URL reserved by the gradings that may use it, started by
    the first grading process that will, stopped when the last holder lets go.

    ``hold()``/``release(after)`` count the gradings that may use it (``grade_many`` holds it for
    the whole run, so it outlives one exercise). ``url()`` is what a grading process is told;
    ``start()`` is called once such a process exists. Starting it any earlier was measured to cost
    more than it saves: on two cores its start-up competed with the imports every group waits for
    (full grades 0.5-0.8 s slower than a Chromium per grading process).
    """

    def __init__(self):
        self._lock = threading.Lock()
        self._holders = 0
        self._proc: subprocess.Popen | None = None
        self._profile: str | None = None
        self._url = ""
        self._ports: Ports | None = None  # the DevTools port, held from everyone else (Ports.held)
        self._killed = False

    def url(self) -> str:
        """The DevTools URL a grading process is told ("" when no grading holds a browser)."""
        return self._url

    def hold_for(self, checks) -> bool:
        """If one of ``checks`` uses the browser, hold it (see ``hold``) and say so."""
        if not ENABLED or not any(check.browser for check in checks):
            return False
        self.hold()
        return True

    def hold(self) -> None:
        """Count one more user; reserve a loopback port for the DevTools URL if there is none.

        The port is named to the gradings before Chromium binds it, so it is *held* (``Ports.held``)
        until the last user lets go: nothing else can take it in between, and Chromium, which sets
        SO_REUSEADDR on its DevTools socket, binds it all the same (Linux; elsewhere a free port)."""
        with self._lock:
            self._holders += 1
            if not (self._url or self._killed):
                self._ports = Ports.held("devtools")
                self._url = self._ports.url("devtools")

    def _let_go_of_port(self) -> None:
        if self._ports is not None:
            self._ports.release()
            self._ports = None

    def start(self) -> None:
        """Start Chromium on the reserved port, without waiting for it, unless it runs already."""
        with self._lock:
            if self._proc is not None or not self._url or self._killed:
                return
            executable = browser.find_chromium()
            if executable is None:
                return  # each check then says how to install a browser
            self._profile = tempfile.mkdtemp(prefix="workshop-chromium-")
            port = int(self._url.rsplit(":", 1)[1])
            self._proc = procs.spawn(argv(executable, port, self._profile), stdin=subprocess.DEVNULL,
                                     stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)

    def release(self, after=None) -> None:
        """One user fewer; the last one stops Chromium once ``after()`` returns (in a thread:
        the gradings that used it close their pages in the background, after the verdict)."""
        with self._lock:
            self._holders = max(0, self._holders - 1)
            if self._holders > 0:
                return
            proc, profile = self._proc, self._profile
            self._proc, self._profile, self._url = None, None, ""
            self._let_go_of_port()
        if proc is None:
            return

        def stop():
            if after is not None:
                after()
            proc.terminate()  # Chromium alone first: it closes and reaps its own helper processes
            with contextlib.suppress(subprocess.TimeoutExpired):
                proc.wait(timeout=3)
            procs.kill_tree(proc)  # then whatever is left of its process group
            shutil.rmtree(profile, ignore_errors=True)

        threading.Thread(target=stop, name="stop-shared-chromium").start()

    def kill(self) -> None:
        """Ctrl-C: stop it now, whoever holds it."""
        with self._lock:
            proc, profile = self._proc, self._profile
            self._proc, self._profile, self._url, self._holders = None, None, "", 0
            self._killed = True  # the run is being stopped: start nothing more
            self._let_go_of_port()
        if proc is not None:
            procs.kill_tree(proc)
            shutil.rmtree(profile, ignore_errors=True)


SHARED = SharedBrowser()
