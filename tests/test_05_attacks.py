"""Issue 16's attacks on lesson 05 (finding 5), kept as tests against the reference solution.

Real parts only: a real Redis, the reference sidecar as its own process and Django, started by the
lesson's launcher, real sockets on 127.0.0.1, and headless Chromium for the pages on another port.
Loads are bounded; nothing is timed: each test waits (boundedly) for a state and asserts it.

What each attack did before the fix, on the same setup:
* ``signing.dumps({"user": "admin", "room": "not-a-real-room"}, key=<the key printed in protocol.py
  and the README>, salt=TOKEN_SALT)`` got ``ready`` as admin in a room Django does not serve.
* One token opened 1,000 sockets: 1,001 Redis connections, 2,007 file descriptors, +100 MB, all of
  which stayed while the sockets did.
* A form on another port posted to ``/room/lobby/messages`` as the logged-in victim (no CSRF).
* ``<img src="http://127.0.0.1:8000/login?name=mallory">`` logged the victim in as the attacker.

Run with ``-s`` to see the measured numbers (``MEASURED``), which the lesson's README quotes.
"""

from __future__ import annotations

import asyncio
import http.server
import os
import re
import secrets
import stat
import threading
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path

import pytest

from checker import launchers
from workshop import browser, paths
from workshop.launch import Ports

pytestmark = pytest.mark.timeout(240)

SLUG = "05-redis-sidecar"
LESSON = paths.lesson_dir(SLUG)
SOLUTION = paths.exercise_dir(paths.SOLUTIONS, SLUG)
ONCE_PUBLISHED_KEY = "workshop-lesson-05-not-a-secret"
REPLAYS = 300  # sockets opened with one token
SOCKETS = 200  # sockets open at once, each with a token of its own
WAIT = 20.0  # the longest any state may take to appear, on a loaded machine


@pytest.fixture(scope="module")
def site():
    with launchers.load(LESSON).launch(SOLUTION, Ports(http=0, sidecar=0), ready_timeout=60) as launched:
        yield launched


def _sign(payload: dict, key: str | None = None) -> str:
    from django.core import signing

    from newsroom.protocol import TOKEN_SALT

    return signing.dumps(payload, salt=TOKEN_SALT, key=key)


def _ticket(user: str = "ada", room: str = "lobby") -> str:
    return _sign({"user": user, "room": room, "nonce": secrets.token_urlsafe(16)})


def _sidecar(site) -> dict:
    """The sidecar process's own numbers: open file descriptors and resident memory (KiB)."""
    pid = site.services["sidecar"].proc.pid
    rss = re.search(r"VmRSS:\s+(\d+)", Path(f"/proc/{pid}/status").read_text()).group(1)
    return {"fds": len(os.listdir(f"/proc/{pid}/fd")), "rss_kib": int(rss)}


def _redis(site):
    import redis

    return redis.Redis.from_url(site.extras["redis_url"], decode_responses=True)


async def _open(site, token: str, room: str = "lobby"):
    from websockets.asyncio.client import connect

    url = f"{site.url('sidecar', 'ws')}/ws/{room}?token={urllib.parse.quote(token)}"
    return await connect(url, origin=site.extras["origin"], open_timeout=WAIT)


async def _answer(ws) -> str | int:
    """The first frame's text, or the close code when the sidecar closed instead."""
    from websockets.exceptions import ConnectionClosed

    try:
        return await asyncio.wait_for(ws.recv(), WAIT)
    except ConnectionClosed:
        return ws.close_code


async def _settle(predicate, wait: float = WAIT) -> bool:
    for _ in range(int(wait / 0.05)):
        if predicate():
            return True
        await asyncio.sleep(0.05)
    return predicate()


def test_a_token_signed_with_the_once_published_key_is_refused(site):
    """The key is random per run, handed over in a private file; the old printed key signs nothing."""
    from django.conf import settings

    from newsroom.protocol import CLOSE_UNAUTHORIZED

    assert settings.SECRET_KEY != ONCE_PUBLISHED_KEY and len(settings.SECRET_KEY) >= 32
    for text in [LESSON / "README.md", LESSON / "newsroom" / "protocol.py",
                 LESSON / "node" / "newsroom" / "protocol.js"]:
        assert ONCE_PUBLISHED_KEY not in text.read_text(), f"{text} prints a signing key"
    key_file = Path(site.services["sidecar"].argv[site.services["sidecar"].argv.index("--secret-file") + 1])
    assert stat.S_IMODE(key_file.stat().st_mode) == 0o600 and key_file.read_text().strip() == settings.SECRET_KEY

    async def attack():
        codes = []
        for room in ("lobby", "not-a-real-room"):
            forged = _sign({"user": "admin", "room": room, "nonce": "x" * 22}, key=ONCE_PUBLISHED_KEY)
            ws = await _open(site, forged, room)
            codes.append(await _answer(ws))
        return codes

    assert asyncio.run(attack()) == [CLOSE_UNAUTHORIZED, CLOSE_UNAUTHORIZED]


def test_a_room_django_does_not_serve_is_refused_even_with_the_right_key(site):
    from newsroom.protocol import CLOSE_UNAUTHORIZED

    async def attack():
        ws = await _open(site, _ticket("admin", "not-a-real-room"), "not-a-real-room")
        return await _answer(ws), ws.close_reason

    code, reason = asyncio.run(attack())
    assert code == CLOSE_UNAUTHORIZED and "no room" in reason
    with pytest.raises(urllib.error.HTTPError) as refused:
        urllib.request.urlopen(f"{site.url('http')}/room/not-a-real-room/token", timeout=WAIT)
    assert refused.value.code == 404


def test_one_token_opens_one_socket_and_replays_cost_nothing(site):
    from newsroom.hub import COMMAND_CONNECTIONS
    from newsroom.protocol import CLOSE_TOKEN_USED

    client = _redis(site)
    token = _ticket()

    async def attack():
        first = await _open(site, token)
        assert '"ready"' in await _answer(first)
        before = {"redis": len(client.client_list()), **_sidecar(site)}
        codes = []
        for start in range(0, REPLAYS, 50):  # 50 at a time: bounded, and still concurrent
            replays = await asyncio.gather(*(_open(site, token) for _ in range(start, min(start + 50, REPLAYS))))
            codes += await asyncio.gather(*(_answer(ws) for ws in replays))
            await asyncio.gather(*(ws.close() for ws in replays))
        await _settle(lambda: _sidecar(site)["fds"] - before["fds"] <= len(client.client_list()) - before["redis"])
        after = {"redis": len(client.client_list()), **_sidecar(site)}
        await first.close()
        return codes, before, after

    codes, before, after = asyncio.run(attack())
    print(f"MEASURED replays: {REPLAYS} sockets with one token: before {before}, after {after}")
    assert codes == [CLOSE_TOKEN_USED] * REPLAYS
    # Concurrent replays may fill the hub's small command pool (SET NX), never more: N replays, not N connections.
    assert after["redis"] - before["redis"] < COMMAND_CONNECTIONS, "replays opened Redis connections of their own"
    kept = after["redis"] - before["redis"]  # the pool's connections are the only descriptors that may stay
    assert after["fds"] - before["fds"] <= kept, "a replay left a file descriptor open"
    assert after["rss_kib"] - before["rss_kib"] < 20 * 1024, "replays grew the sidecar by 20 MB or more"
    ttl = max(client.ttl(key) for key in client.scan_iter("newsroom:nonce:*"))
    assert 0 < ttl <= 60, "a spent nonce must expire with its token"


def test_many_sockets_share_one_redis_connection(site):
    client = _redis(site)
    from newsroom.hub import COMMAND_CONNECTIONS

    async def load():
        idle = {"redis": len(client.client_list()), **_sidecar(site)}
        sockets = await asyncio.gather(*(_open(site, _ticket(f"u{i}")) for i in range(SOCKETS)))
        ready = await asyncio.gather(*(_answer(ws) for ws in sockets))
        busy = {"redis": len(client.client_list()), "numsub": client.pubsub_numsub("room:lobby")[0][1],
                **_sidecar(site)}
        await asyncio.gather(*(ws.close() for ws in sockets))
        await _settle(lambda: client.pubsub_numsub("room:lobby")[0][1] == 0
                      and _sidecar(site)["fds"] <= idle["fds"])
        after = {"redis": len(client.client_list()), "numsub": client.pubsub_numsub("room:lobby")[0][1],
                 **_sidecar(site)}
        return ready, idle, busy, after

    ready, idle, busy, after = asyncio.run(load())
    print(f"MEASURED {SOCKETS} sockets, one token each: idle {idle}, all open {busy}, all closed {after}")
    assert all('"ready"' in r for r in ready)
    assert busy["numsub"] == 1, "one subscription per room, whatever the number of sockets"
    assert busy["redis"] - idle["redis"] <= COMMAND_CONNECTIONS, "Redis connections grew with the sockets"
    assert after["numsub"] == 0 and after["redis"] <= busy["redis"] and after["fds"] <= idle["fds"]


def test_login_by_get_is_refused_and_sets_no_cookie(site):
    request = urllib.request.Request(f"{site.url('http')}/login?name=mallory&next=/")
    with pytest.raises(urllib.error.HTTPError) as refused:
        urllib.request.urlopen(request, timeout=WAIT)
    assert refused.value.code == 405
    assert "newsroom_user" not in (refused.value.headers.get("Set-Cookie") or "")


class _AttackerPage(http.server.BaseHTTPRequestHandler):
    """A page on another port of 127.0.0.1: same site as the newsroom for the browser, another origin."""

    pages: dict[str, str] = {}

    def do_GET(self):  # noqa: N802 - http.server's name
        body = self.pages.get(self.path, "").encode()
        self.send_response(200 if body else 404)
        self.send_header("Content-Type", "text/html; charset=utf-8")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


@pytest.fixture(scope="module")
def attacker(site):
    django = site.url("http")
    _AttackerPage.pages = {
        "/post": f'<form method="post" action="{django}/room/lobby/messages"><input name="text" value="pwned by a '
                 'page on another port"></form><script>document.forms[0].submit()</script>',
        "/forced-login": f'<img src="{django}/login?name=mallory&next=/"><form method="post" action="{django}/login">'
                  '<input name="name" value="mallory"></form><script>setTimeout(() => document.forms[0].submit(), '
                  '200)</script>',
    }
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _AttackerPage)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()
        thread.join(WAIT)


@pytest.fixture(scope="module")
def victim(site):
    """Chromium, logged in as 'victim' through the newsroom's own form."""
    from playwright.sync_api import sync_playwright

    try:
        with sync_playwright() as playwright:
            chrome = browser.launch(playwright)
            try:
                context = chrome.new_context()
                page = context.new_page()
                page.goto(f"{site.url('http')}/?next=/room/lobby/")
                page.fill("#login input[name=name]", "victim")
                with page.expect_navigation():
                    page.click("#login button")
                assert page.text_content("#me") == "victim"
                yield context, page
            finally:
                chrome.close()
    except browser.BrowserMissing as missing:
        pytest.skip(str(missing))


def test_a_form_on_another_port_cannot_post_as_the_victim(site, attacker, victim):
    from newsroom import store

    context, page = victim
    with page.expect_response(lambda r: r.url.endswith("/room/lobby/messages")) as answer:
        page.goto(f"{attacker}/post")
    assert answer.value.status == 403
    texts = [m["text"] for m in store.recent_messages(_redis(site), "lobby")]
    assert not any("pwned" in text for text in texts)
    page.goto(f"{attacker}/post")  # same site, so the cookies for 127.0.0.1 are there: but not readable here
    assert "csrftoken" not in page.evaluate("document.cookie")
    assert {c["name"] for c in context.cookies(site.url("http"))} >= {"csrftoken", "newsroom_user"}


def test_a_page_on_another_port_cannot_log_the_victim_in_as_the_attacker(site, attacker, victim):
    context, page = victim
    with page.expect_response(lambda r: r.request.method == "POST" and r.url.endswith("/login")) as answer:
        page.goto(f"{attacker}/forced-login")
    assert answer.value.status == 403
    page.wait_for_url(f"{site.url('http')}/login")  # the form's navigation ends on Django's 403 page
    page.goto(f"{site.url('http')}/")
    assert page.text_content("#me") == "victim"
