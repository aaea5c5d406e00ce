"""Lesson 06 under attack: the attack run's findings, replayed against the reference solution.

Everything is loopback and bounded: one Daphne from the lesson's launcher serving
``solutions/06-django-channels``, real ``websockets`` clients, real headless Chromium, a page of
another origin served by ``checker.probes.foreign_page``. Each attack must be refused cleanly (no
open socket, no history, no message posted, no HTTP 500, no traceback in Daphne's log).

One test runs the cross-port attack against a copy of the reference that still uses
``AllowedHostsOriginValidator``, and asserts the attack *works* there: the harness can tell a
hijack from a refusal, and the lesson's numbers (what the page read and posted) come from it.
"""

from __future__ import annotations

import asyncio
import json
import shutil
from concurrent.futures import ThreadPoolExecutor
import urllib.error
import urllib.request
from pathlib import Path

import pytest

from checker import launchers
from checker.probes import daphne, foreign_page
from checker.probes import ws as wsprobe
from tests.test_06_extras import _login
from workshop.launch import Ports

ROOT = Path(__file__).resolve().parent.parent
LESSON = ROOT / "lessons" / "06-django-channels"
SOLUTION = ROOT / "solutions" / "06-django-channels"
WAIT = 10.0  # seconds for any one answer; generous for a loaded machine, never a measured duration
SECRET = "only the lobby may read this"
VULNERABLE = ('"websocket": ExactOriginValidator(', '"websocket": __import__("channels.security.websocket")'
              '.security.websocket.AllowedHostsOriginValidator(')


def _run(coroutine):
    """``asyncio.run`` on a thread of its own: Playwright's sync API owns this thread's event loop."""
    with ThreadPoolExecutor(1) as pool:
        return pool.submit(asyncio.run, coroutine).result()


def _serve(folder: Path):
    return launchers.load(LESSON).launch(folder, Ports.free("http"), timeout=60)


@pytest.fixture(scope="module")
def chat():
    with _serve(SOLUTION) as site:
        yield site.services["http"]


@pytest.fixture(scope="module")
def browser():
    from workshop.browser import find_chromium, launch

    if find_chromium() is None:
        pytest.skip("no Chromium/Chrome found: apt-get install chromium (or set WORKSHOP_CHROMIUM)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = launch(playwright)
        yield chromium
        chromium.close()


def _hijack(browser, server) -> dict:
    """The victim logs in and opens the lobby; then a page on another loopback port opens the
    lobby's WebSocket in the same browser. What that page saw, and what the victim's page saw."""
    context = browser.new_context()
    try:
        victim = context.new_page()
        victim.set_default_timeout(WAIT * 1000)
        victim.goto(f"{server.url}/login/?next=/room/lobby/")
        victim.fill("input[name=username]", "victim")
        victim.click("#login button")
        victim.wait_for_url("**/room/lobby/")
        victim.wait_for_function("document.body.dataset.history !== undefined")
        victim.fill("#send input[name=text]", SECRET)
        victim.click("#send button")
        victim.wait_for_function(f"document.querySelector('#messages').textContent.includes({json.dumps(SECRET)})")
        with foreign_page.serve(foreign_page.hijack_page(f"ws://127.0.0.1:{server.port}/ws/chat/lobby/")) as url:
            attacker = context.new_page()
            attacker.set_default_timeout(WAIT * 1000)
            attacker.goto(url)
            attacker.wait_for_function("['refused', 'open'].includes(document.body.dataset.state)")
            if attacker.evaluate("document.body.dataset.state") == "open":
                attacker.wait_for_function("document.body.dataset.posted !== undefined")
            seen = attacker.evaluate("({...document.body.dataset})")
        cookie = {c["name"]: c for c in context.cookies()}["sessionid"]
        seen.update(origin=url, same_site=cookie.get("sameSite"), victim_page=victim.inner_text("#messages"))
        return seen
    finally:
        context.close()


def test_a_page_on_another_port_cannot_use_the_victims_cookie(chat, browser):
    seen = _hijack(browser, chat)
    assert seen["same_site"] == "Lax"  # the cookie the browser would attach across ports
    assert seen["state"] == "refused", seen
    assert "history" not in seen and "posted" not in seen, seen
    assert foreign_page.HIJACK_TEXT not in seen["victim_page"]
    log = daphne.log(chat, 400)
    assert "WSREJECT /ws/chat/lobby/" in log and "Traceback" not in log


def test_the_same_attack_works_with_allowed_hosts_origin_validator(browser, tmp_path, capsys):
    """The control: the attack run's finding, reproduced on the version it broke."""
    folder = tmp_path / "06-django-channels"
    shutil.copytree(SOLUTION, folder)
    routing = folder / "routing.py"
    assert routing.read_text().count(VULNERABLE[0]) == 1
    routing.write_text(routing.read_text().replace(*VULNERABLE))
    with _serve(folder) as site:
        seen = _hijack(browser, site.services["http"])
    assert seen["state"] == "open", seen
    assert SECRET in json.loads(seen["history"])
    assert seen["posted"] == "victim"  # the server stored the page's message under the victim's name
    assert foreign_page.HIJACK_TEXT in seen["victim_page"]
    with capsys.disabled():
        print(f"\n  AllowedHostsOriginValidator: a page on {seen['origin']} read {len(json.loads(seen['history']))} "
              f"message(s) of history and posted as {seen['posted']!r}")


LOOKALIKES = ["http://127.0.0.1:1", "https://127.0.0.1", "HTTP://127.0.0.1:18599", "http://127.0.0.1:18599",
              "http://localhost:{port}", "https://127.0.0.1:{port}", "http://127.0.0.1", "null",
              "http://127.0.0.1:{port}.evil.example", "http://127.0.0.1:{port}@evil.example",
              "http://127.0.0.1.evil.example:{port}", "http://127.0.0.1:{port}/chat"]


async def _handshake(port: int, path: str, origin: str | None, session: str | None) -> int:
    """101 when the WebSocket opened (then closed at once), else the HTTP status of the refusal."""
    from websockets.exceptions import InvalidStatus

    try:
        async with wsprobe.connect(f"ws://127.0.0.1:{port}{path}", timeout=WAIT, origin=origin,
                                   cookie=f"sessionid={session}" if session else None) as client:
            await wsprobe.recv(client, timeout=WAIT)  # the history
            return 101
    except InvalidStatus as refused:
        return refused.response.status_code


def test_look_alike_origins_are_refused(chat):
    session = _login(chat.port, "grace")
    own = f"http://127.0.0.1:{chat.port}"
    assert _run(_handshake(chat.port, "/ws/chat/lobby/", own, session)) == 101  # the control
    statuses = {origin: _run(_handshake(chat.port, "/ws/chat/lobby/", origin and origin.format(port=chat.port),
                                        session))
                for origin in LOOKALIKES + [None]}
    # 403: the validator refused; 400: Daphne refused a malformed Origin before the application saw it
    assert {o: s for o, s in statuses.items() if s not in (400, 403)} == {}
    assert "Traceback" not in daphne.log(chat, 400)


def test_deep_and_huge_json_get_an_error_and_the_socket_stays_open(chat):
    session = _login(chat.port, "hopper")

    async def talk():
        async with wsprobe.connect(f"ws://127.0.0.1:{chat.port}/ws/chat/lobby/", timeout=WAIT,
                                   origin=f"http://127.0.0.1:{chat.port}", cookie=f"sessionid={session}",
                                   max_size=None) as client:
            await wsprobe.recv(client, timeout=WAIT)  # the history
            answers = []
            for frame in ("[" * 100_000 + "]" * 100_000, '{"type": "message", "x": ' + "[" * 3000 + "]" * 3000 + "}",
                          '{"type": "message", "text": "hi"}' + " " * 1_000_000):
                await client.send(frame)
                answers.append(json.loads(await wsprobe.recv(client, timeout=WAIT)))
            await client.send(json.dumps({"type": "message", "text": "still here"}))
            answers.append(json.loads(await wsprobe.recv(client, timeout=WAIT)))
            return answers

    *errors, last = _run(talk())
    assert [e["type"] for e in errors] == ["error"] * 3, errors
    assert last["type"] == "message" and last["text"] == "still here" and last["author"] == "hopper"
    log = daphne.log(chat, 400)
    assert "RecursionError" not in log and "Traceback" not in log


BAD_PATHS = ["/ws/chat/lobby", "/ws/chat/../", "/ws/chat/a%2fb/", "/ws/chat/lobby/x/", "/ws/", "/ws/../etc/passwd"]


def test_paths_with_no_route_are_refused_not_a_500(chat):
    session = _login(chat.port, "lovelace")
    own = f"http://127.0.0.1:{chat.port}"
    statuses = {path: _run(_handshake(chat.port, path, own, session)) for path in BAD_PATHS}
    assert statuses == dict.fromkeys(BAD_PATHS, 403)
    for path in BAD_PATHS:
        with pytest.raises(urllib.error.HTTPError) as answer:
            urllib.request.urlopen(f"{chat.url}{path}", timeout=WAIT)
        assert answer.value.code == 404, path
    log = daphne.log(chat, 400)
    assert "No route found" not in log and "Traceback" not in log
