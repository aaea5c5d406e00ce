"""Find a Chromium or Chrome on this machine and launch it headless with Playwright.

We never download a browser behind the learner's back (conference wifi): we look for one
that is installed, and if there is none we say how to install one.
"""

from __future__ import annotations

import os
import shutil
import sys
from pathlib import Path

ENV_BROWSER = "WORKSHOP_CHROMIUM"

# Flags for a quiet, offline-friendly headless browser: no sandbox (CI runs as root),
# and none of the background calls home that a closed network refuses.
LAUNCH_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-dev-shm-usage",
]

_CANDIDATE_NAMES = ["chromium", "chromium-browser", "google-chrome", "google-chrome-stable", "chrome"]
_MAC_APPS = [
    "/Applications/Google Chrome.app/Contents/MacOS/Google Chrome",
    "/Applications/Chromium.app/Contents/MacOS/Chromium",
]


def install_instructions() -> str:
    if sys.platform == "darwin":
        how = "brew install --cask chromium   (or install Google Chrome)"
    else:
        how = "sudo apt-get install chromium   (Debian/Ubuntu; Fedora: sudo dnf install chromium)"
    return (
        "No Chromium or Chrome found, so the browser checks were skipped. Install one:\n"
        f"    {how}\n"
        "or, where the internet works: python -m playwright install chromium\n"
        f"or point {ENV_BROWSER} at a Chrome/Chromium binary."
    )


def _playwright_download() -> str | None:
    """Chromium downloaded by `playwright install chromium`, if any."""
    cache = Path(os.environ.get("PLAYWRIGHT_BROWSERS_PATH") or (
        Path.home() / ("Library/Caches/ms-playwright" if sys.platform == "darwin" else ".cache/ms-playwright")))
    if not cache.is_dir():
        return None
    patterns = ["chromium-*/chrome-linux*/chrome", "chromium-*/chrome-mac*/Chromium.app/Contents/MacOS/Chromium",
                "chromium-*/chrome-mac*/Google Chrome for Testing.app/Contents/MacOS/Google Chrome for Testing"]
    for pattern in patterns:
        for hit in sorted(cache.glob(pattern), reverse=True):
            if os.access(hit, os.X_OK):
                return str(hit)
    return None


def find_chromium() -> str | None:
    """Path of a Chromium/Chrome binary, or None."""
    chosen = os.environ.get(ENV_BROWSER)
    if chosen:
        return chosen if os.access(chosen, os.X_OK) else None
    for name in _CANDIDATE_NAMES:
        found = shutil.which(name)
        if found:
            return found
    for app in _MAC_APPS:
        if os.access(app, os.X_OK):
            return app
    return _playwright_download()


def launch(playwright, executable: str | None = None):
    """Launch headless Chromium through a started Playwright (sync or async API)."""
    executable = executable or find_chromium()
    if executable is None:
        raise BrowserMissing(install_instructions())
    return playwright.chromium.launch(executable_path=executable, args=LAUNCH_ARGS, headless=True)


class BrowserMissing(RuntimeError):
    """No browser to run a browser check with; ``str()`` says how to install one."""
