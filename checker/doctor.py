"""``python -m checker doctor``: is this machine ready for the workshop?

Run it before the day (at home, where the internet works): each line says what was
found and, when something is missing, the one command that fixes it.
"""

from __future__ import annotations

import importlib
import importlib.util
import shutil
import sys
import time

from workshop import browser, net, redis_server

PACKAGES = ["django", "channels", "daphne", "channels_redis", "redis", "websockets", "playwright", "nbclient",
            "pytest"]


def _line(ok: bool, what: str, detail: str) -> bool:
    print(f"  [{'ok' if ok else '!!'}] {what}: {detail}")
    return ok


def _node_line() -> None:
    """Lesson 05's node ring (sidecar.js): node, npm and the pinned packages. Optional: never blocks "ready"."""
    from checker.probes import node
    from workshop import install, paths

    folder = paths.LESSONS / "05-redis-sidecar" / "node"
    found = node.version()
    npm = shutil.which("npm")
    if node.find_node() is None:
        _line(False, "Node.js (optional, lesson 05's Node.js sidecar)", node.install_advice())
    elif node.packages_missing(folder) or not install.npm_current(folder):
        _line(False, "Node.js (optional, lesson 05's Node.js sidecar)",
              f"node {'.'.join(map(str, found))}, npm {'found' if npm else 'missing'}; the pinned ws and redis packages "
              "are not installed: run python3 setup_workshop.py (npm ci in lessons/05-redis-sidecar/node)")
    else:
        _line(True, "Node.js (optional, lesson 05's Node.js sidecar)",
              f"node {'.'.join(map(str, found))}, npm {'found' if npm else 'missing'}, ws and redis installed "
              "from package-lock.json")


def _uwsgi_line() -> None:
    """Lesson 04's uWSGI parts: the binary, its internal routing (PCRE) and gevent. Optional: never blocks "ready"."""
    from workshop import install, paths

    sys.path.insert(0, str(paths.LESSONS / "04-wsgi-limits"))
    import uwsgi_runner

    binary = uwsgi_runner.find_uwsgi()
    if binary is None:
        _line(False, "uWSGI (optional, lesson 04)", uwsgi_runner.INSTALL_HINT.replace("\n", " "))
    elif not install.uwsgi_has_routing(binary):
        _line(False, "uWSGI (optional, lesson 04)", install.UWSGI_ROUTING_ADVICE.replace("\n", " "))
    elif importlib.util.find_spec("gevent") is None:
        _line(False, "uWSGI (optional, lesson 04)", "internal routing, but no gevent for the offloading instance: "
              "run python3 setup_workshop.py")
    else:
        _line(True, "uWSGI (optional, lesson 04)", f"{binary} with internal routing (PCRE), gevent installed")


def _nginx_line() -> None:
    """Lesson 08's front: a real nginx, run as the learner. Optional: never blocks "ready"."""
    from workshop import nginx

    binary = nginx.find_nginx()
    if binary is None:
        _line(False, "nginx (optional, lesson 08's deployment checks)", nginx.install_instructions().replace("\n", " "))
    else:
        _line(True, "nginx (optional, lesson 08's deployment checks)",
              f"{binary} (nginx {nginx.version(binary)}), run as you from a temporary folder")


def run() -> int:
    print("Checking this machine for the WebSocket workshop ...")
    good = _line(sys.version_info >= (3, 11), "Python", sys.version.split()[0] +
                 ("" if sys.version_info >= (3, 11) else " (3.11 or newer needed: install it, then run setup again)"))
    missing = []
    for name in PACKAGES:
        try:
            importlib.import_module(name)
        except ImportError:
            missing.append(name)
    good &= _line(not missing, "Python packages", "all installed" if not missing else
                  f"missing {', '.join(missing)}; run: python3 setup_workshop.py")
    binary = redis_server.find_redis_server()
    if binary is None:
        good &= _line(False, "Redis", redis_server.INSTALL_HINT)
    else:
        try:
            started = time.monotonic()
            with redis_server.RedisServer():
                pass
            good &= _line(True, "Redis", f"{binary} starts in {time.monotonic() - started:.2f} s")
        except Exception as err:  # noqa: BLE001 - report, don't crash
            good &= _line(False, "Redis", f"{binary} did not start: {err}")
    chromium = browser.find_chromium()
    if chromium is None:
        _line(False, "Browser", browser.install_instructions().replace("\n", " "))
    else:
        try:
            from playwright.sync_api import sync_playwright

            with sync_playwright() as p:
                b = browser.launch(p, chromium)
                version = b.version
                b.close()
            _line(True, "Browser", f"{chromium} (Chromium {version}) runs headless")
        except Exception as err:  # noqa: BLE001
            _line(False, "Browser", f"{chromium} did not start headless: {str(err).splitlines()[0]}")
    _uwsgi_line()
    _node_line()
    _nginx_line()
    port_ok = net.port_is_free(8000)
    _line(port_ok, "Port 8000", "free for `python -m checker serve`" if port_ok else
          "in use: pass --port 8001 to `python -m checker serve`")
    print("Ready for the workshop." if good else "Fix the lines marked !! and run `python -m checker doctor` again.")
    return 0 if good else 1
