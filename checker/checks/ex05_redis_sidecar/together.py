"""Rings 2 and 3 together: Django (in this process) and the sidecar sharing one Redis.

A POST to Django reaches a ``websockets`` client, and two Chromium pages see each other's posts.
"""

from __future__ import annotations

import http.client
import json
import re
import threading
import urllib.parse

from checker.api import CheckFailed, Context
from checker.probes import page as page_probe

from .support import ROOM, Clients, redis_client, session, sidecar_says, site

SESSION = 8  # seconds for a whole client session (scaled by ctx.run_async)


def _http(url: str, method: str = "GET", *, timeout: float, cookie: str | None = None, form: dict | None = None,
          csrf: str | None = None) -> tuple[int, dict, bytes]:
    parts = urllib.parse.urlsplit(url)
    connection = http.client.HTTPConnection(parts.hostname, parts.port, timeout=timeout)
    headers = {"Accept": "application/json"}
    if csrf:
        headers["X-CSRFToken"] = csrf
    body = None
    if cookie:
        headers["Cookie"] = cookie
    if form is not None:
        body = urllib.parse.urlencode(form)
        headers["Content-Type"] = "application/x-www-form-urlencoded"
    try:
        connection.request(method, parts.path + (f"?{parts.query}" if parts.query else ""), body, headers)
        response = connection.getresponse()
        return response.status, {k.lower(): v for k, v in response.getheaders()}, response.read()
    finally:
        connection.close()


def _django_answer(what: str, status: int, headers: dict, body: bytes, expected: int) -> dict:
    if status != expected:
        problem = headers.get("x-workshop-error")
        raise CheckFailed(f"{what} answered HTTP {status}" + (f": {problem}" if problem else f" {body[:150]!r}")
                          + f"; expected {expected}.")
    return json.loads(body)


def _login(url: str, name: str, timeout: float) -> tuple[str, str]:
    """Log in as a browser would: the form on / (with its CSRF token), posted. The cookies and the token."""
    status, headers, body = _http(f"{url}/", timeout=timeout)
    found = re.search(rb'name="csrfmiddlewaretoken" value="([^"]+)"', body)
    if status != 200 or not found or "set-cookie" not in headers:
        raise CheckFailed(f"GET / answered HTTP {status} without a CSRF token (scaffolding); is the lesson folder "
                          "intact?")
    csrf_cookie = headers["set-cookie"].split(";", 1)[0]
    form = {"name": name, "next": f"/room/{ROOM}/", "csrfmiddlewaretoken": found.group(1).decode()}
    status, headers, _ = _http(f"{url}/login", "POST", cookie=csrf_cookie, form=form, timeout=timeout)
    if status != 302 or "set-cookie" not in headers:
        raise CheckFailed(f"logging in as {name} answered HTTP {status} (scaffolding); is the lesson folder intact?")
    return f"{csrf_cookie}; {headers['set-cookie'].split(';', 1)[0]}", found.group(1).decode()


def check_end_to_end(ctx: Context) -> None:
    launched = site(ctx)
    clients = Clients(ctx, launched)
    url = launched.url("http")
    redis_client(ctx)
    wait = ctx.timeout(3)
    cookie, csrf = _login(url, "ada", wait)
    ctx.step("GET /room/lobby/token (make_token) as ada")
    ticket = _django_answer("GET /room/lobby/token", *_http(f"{url}/room/{ROOM}/token", cookie=cookie, timeout=wait),
                            200)

    async def scenario():
        import asyncio

        ctx.step(f"connecting to {ticket['url']} with Django's token")
        client, ready = await clients.ready(ROOM, ticket["token"], "the client")
        try:
            if ready["user"] != "ada":
                raise CheckFailed(f"the sidecar's ready frame says user {ready['user']!r}; Django's token was for ada.")
            ctx.step("POST /room/lobby/messages text=… as ada (Django stores it and calls publish_message)")
            answer = await asyncio.get_running_loop().run_in_executor(
                None, lambda: _http(f"{url}/room/{ROOM}/messages", "POST", cookie=cookie, timeout=wait,
                                    form={"text": "from Django to the socket"}, csrf=csrf))
            stored = _django_answer("POST /room/lobby/messages", *answer, 201)
            await clients.expect_push(client, "the client", stored)
        finally:
            await client.close()

    session(ctx, launched, scenario, timeout=SESSION)


def check_browser_two_pages(ctx: Context) -> None:
    box: dict = {}

    def start_servers():
        try:
            box["site"] = site(ctx, via_proxy=False)
        except BaseException as exc:  # noqa: BLE001 - re-raised below, in the check's own thread
            box["error"] = exc

    starter = threading.Thread(target=start_servers, daemon=True)
    starter.start()
    ctx.browser()  # Chromium launches while the sidecar imports websockets, redis and Django's signing
    starter.join(ctx.timeout(20))
    if "error" in box:
        raise box["error"]
    launched = box["site"]
    url = launched.url("http")
    from newsroom import store

    store.save_message(redis_client(ctx), ROOM, "carol", "welcome to the lobby")

    def open_room(name: str):
        page = ctx.new_page()
        ctx.step(f"{name} opens {url}/room/{ROOM}/ in Chromium")
        page.goto(f"{url}/?next=/room/{ROOM}/")
        page.fill("#login input[name=name]", name)
        page.click("#login button")
        if page_probe.wait_for_state(page, ["live"], ctx.timeout(4)) != "live":
            problem = page_probe.dataset(page, "problem") or page.evaluate(
                "document.getElementById('status').textContent")
            raise CheckFailed(f"{name}'s page never went live (the sidecar's ready frame did not arrive): "
                              f"{problem}{sidecar_says(launched)}")
        return page

    def wait_for(page, name: str, text: str) -> None:
        ctx.step(f"waiting for {text!r} on {name}'s page")
        shown = f"[...document.querySelectorAll('#messages li')].some(li => li.textContent.includes({json.dumps(text)}))"
        if not page_probe.wait_for(page, shown, ctx.timeout(3)):
            raise CheckFailed(f"{name}'s page shows {page_probe.texts(page, '#messages li')}; expected a line with "
                              f"{text!r}.{sidecar_says(launched)}")

    ada = open_room("ada")
    grace = open_room("grace")
    wait_for(grace, "grace", "welcome to the lobby")
    ctx.step("ada types a message and presses Post")
    ada.fill("#post input[name=text]", "Hello Grace, via Redis!")
    ada.click("#post button")
    wait_for(grace, "grace", "Hello Grace, via Redis!")
    if page_probe.wait_for_count(grace, "#messages li.pushed", 1, ctx.timeout(0.1)) < 1:
        raise CheckFailed("grace's page shows ada's message, but not as a push from the sidecar.")
    wait_for(ada, "ada", "Hello Grace, via Redis!")
    grace.fill("#post input[name=text]", "Loud and clear")
    grace.press("#post input[name=text]", "Enter")
    wait_for(ada, "ada", "Loud and clear")
    for page, name in ((ada, "ada"), (grace, "grace")):
        lines = page_probe.texts(page, "#messages li")
        twice = sorted({line for line in lines if lines.count(line) > 1})
        if twice:
            raise CheckFailed(f"{name}'s page shows {twice} more than once; a message has one id and is shown once.")
