"""Ring 4, the page in headless Chromium: two pages whose sockets sit on two different backends
chat through the balancer (the page reports its backend in ``document.body.dataset``)."""

from __future__ import annotations

import contextlib
import json
import threading
import urllib.request

from checker.api import CheckFailed, Context
from checker.probes import page as page_probe

from . import support


def check_browser_two_backends(ctx: Context) -> None:
    box: dict = {}

    def start() -> None:
        try:
            box["cluster"] = support.cluster(ctx)
        except BaseException as exc:  # noqa: BLE001 - re-raised in the check's thread
            box["error"] = exc

    starter = threading.Thread(target=start, daemon=True)
    starter.start()
    ctx.browser()  # Chromium launches while the Daphnes import Django
    starter.join(ctx.timeout(30))
    if "error" in box:
        raise box["error"]
    cluster = box["cluster"]
    names = iter(support.users("ann", "ben", "cat", "dan"))

    def open_page(name: str):
        page = ctx.new_page()
        ctx.step(f"{name} opens {cluster.url} and enters the room")
        page.goto(cluster.url)
        page.fill("#login input[name=username]", name)
        page.click("#login button")
        page_probe.wait_for(page, "document.body.dataset.backend || document.body.dataset.state === 'closed'",
                            ctx.timeout(5))
        backend = page.evaluate("document.body.dataset.backend")
        if not backend:
            state = page.evaluate("document.body.dataset.state")
            code = page.evaluate("document.body.dataset.closeCode")
            raise CheckFailed(f"{name}'s page: the WebSocket is {state or 'not open'}"
                              f"{' (close code ' + code + ')' if code else ''} and no hello arrived."
                              f"{support.server_says(cluster)}")
        return page, backend

    pages = [open_page(next(names)) + (None,)]
    first_backend = pages[0][1]
    for _ in range(3):
        # Round-robin counts requests (nginx) or TCP connections (the TCP balancer), not pages: every
        # page makes the same number of each, so with two backends every page's socket would land on
        # the same one. One extra request on its own connection moves either turn on, as another
        # visitor would.
        ctx.step("one extra request to the front (another visitor, as far as round-robin knows)")
        with contextlib.suppress(OSError):
            urllib.request.urlopen(cluster.url, timeout=cluster.handshake).close()
        name = next(names)
        page, backend = open_page(name)
        if backend != first_backend:
            second = (page, backend, name)
            break
    else:
        raise CheckFailed(f"four pages through the balancer all held sockets on {first_backend}.")
    page_a, backend_a = pages[0][0], pages[0][1]
    page_b, backend_b, name_b = second
    name_a = page_a.evaluate("document.getElementById('me').textContent")

    def wait_for(page, who: str, author: str, text: str) -> None:
        ctx.step(f"waiting for {author}'s {text!r} on {who}'s page")
        found = page_probe.wait_for(
            page, f"[...document.querySelectorAll(\"#messages li[data-author='{author}']\")]"
                  f".some(li => li.textContent.includes({json.dumps(text)}))", cluster.wait)
        if not found:
            shown = page_probe.texts(page, "#messages li")
            raise CheckFailed(f"{who}'s page (socket on its backend) shows {shown}; expected {author}: {text}."
                              f"{support.server_says(cluster)}")

    ctx.step(f"{name_a} (socket on {backend_a}) sends; {name_b} is on {backend_b}")
    page_a.fill("#send input[name=text]", "from the first backend")
    page_a.click("#send button")
    wait_for(page_b, name_b, name_a, "from the first backend")
    page_b.fill("#send input[name=text]", "and back from the second")
    page_b.press("#send input[name=text]", "Enter")
    wait_for(page_a, name_a, name_b, "and back from the second")

