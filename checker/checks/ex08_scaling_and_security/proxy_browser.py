"""Ring 3 through the learner's nginx with TLS: Chromium on https:// (trusting the certificate made
at start-up, for this browser context only), signing in through Django's CSRF check, a wss://
socket, and a page of another origin whose socket is refused."""

from __future__ import annotations

import json
import threading

from checker.api import CheckFailed, Context
from checker.probes import page as page_probe

from . import proxy, support


def check_browser_tls(ctx: Context) -> None:
    proxy.require_nginx()
    box: dict = {}

    def start() -> None:
        try:
            cluster = support.cluster(ctx)
            box["front"] = proxy.learner_front(ctx, cluster)
            box["cluster"] = cluster
        except BaseException as exc:  # noqa: BLE001 - re-raised in the check's thread
            box["error"] = exc

    starter = threading.Thread(target=start, daemon=True)
    starter.start()
    ctx.browser()  # Chromium launches while the servers start
    starter.join(ctx.timeout(30))
    if "error" in box:
        raise box["error"]
    cluster, front = box["cluster"], box["front"]
    ports = cluster.site.extras["learner_ports"]
    url = ports.url("https", "https") + "/"
    (uma,) = support.users("uma")
    page = ctx.new_page(ignore_https_errors=True)
    sockets: list[str] = []
    page.on("websocket", lambda socket: sockets.append(socket.url))
    ctx.step(f"Chromium opens {url} (TLS ends at your nginx) and signs in as {uma}")
    page.goto(url)
    page.fill("#login input[name=username]", uma)
    page.click("#login button")
    page.wait_for_load_state()
    if "CSRF" in page.content():
        raise CheckFailed("signing in over https:// was refused by Django's CSRF check (403, \"Origin checking "
                          f"failed - {url[:-1]} does not match any trusted origins\"): behind nginx Daphne sees plain "
                          "HTTP, so Django expected an http:// origin. proxy.conf must pass the scheme on "
                          "(X-Forwarded-Proto $scheme) and the Host with its port ($http_host)."
                          f"{proxy.nginx_says(front, 'POST /login/')}")
    page_probe.wait_for(page, "document.body.dataset.backend || document.body.dataset.state === 'closed'",
                        cluster.handshake + cluster.wait)
    if not page_probe.dataset(page, "backend"):
        raise CheckFailed(f"the https:// page's socket ({', '.join(sockets) or 'none opened'}) did not open: state "
                          f"{page_probe.dataset(page, 'state')}, close code {page_probe.dataset(page, 'closeCode')}."
                          f"{page_probe.console_note(ctx.console)}{proxy.nginx_says(front)}")
    wss = f"wss://127.0.0.1:{ports['https']}/ws/chat/"
    if not sockets or not sockets[-1].startswith(wss):
        raise CheckFailed(f"the https:// page opened {sockets}; expected {wss} (TLS all the way to nginx).")
    ctx.step("a message over wss:// comes back through the room")
    page.fill("#send input[name=text]", "sent over TLS")
    page.click("#send button")
    shown = page_probe.wait_for(page, f"[...document.querySelectorAll(\"#messages li[data-author='{uma}']\")]"
                                      ".some(li => li.textContent.includes('sent over TLS'))", cluster.wait)
    if not shown:
        raise CheckFailed(f"the page shows {page_probe.texts(page, '#messages li')}; expected {uma}: sent over TLS."
                          f"{support.server_says(cluster)}")
    foreign = f"https://localhost:{ports['https']}/"
    ctx.step(f"a page on another origin ({foreign}) opens {wss}: refused")
    other = ctx.new_page(ignore_https_errors=True)
    other.goto(foreign)
    ctx.console.clear()
    outcome = other.evaluate("""url => new Promise(done => {
        const socket = new WebSocket(url);
        socket.onopen = () => { socket.close(); done("open"); };
        socket.onclose = event => done("closed " + event.code);
    })""", wss)
    if outcome == "open":
        raise CheckFailed(f"a page on {foreign} opened {wss}: its Origin is not the site's ({url[:-1]}), and a "
                          "foreign page must be refused before accept() (HTTP 403).")
    if not any("403" in line for line in ctx.console):
        raise CheckFailed(f"the foreign page's socket ended with {outcome}, but Chromium's console does not show the "
                          f"403 refusal: {json.dumps(ctx.console[-2:])}{proxy.nginx_says(front)}")
