"""Ring 4, the attack an attack run made work against ``AllowedHostsOriginValidator``: cross-site
WebSocket hijacking from another port, in headless Chromium.

The victim logs in on the chat (the lesson's launcher, the learner's code) and opens the lobby:
their own page gets its socket and the history, which proves the cookie works. Then, in the same
browser (same cookies), a page served by a tiny server on *another* loopback port opens
``ws://127.0.0.1:<chat port>/ws/chat/lobby/``. Chromium attaches the victim's ``SameSite=Lax``
session cookie (every port of 127.0.0.1 is the same site), so only the Origin check stands between
that page and the victim's chat. The page must see its socket refused, read no history, and post
nothing.
"""

from __future__ import annotations

import json

from checker.api import CheckFailed, Context
from checker.probes import db, foreign_page, page as pages

from .servers import server_says, site
from .support import ROOM, env

WAIT = 5.0  # seconds (scaled) for a page to reach a state
SECRET = "the victim's room history"


def check_cross_port_page(ctx: Context) -> None:
    env(ctx)
    from chat.models import Message

    db.run(lambda: Message.objects.create(room=ROOM, author="carol", text=SECRET), timeout=ctx.timeout(10))
    server = site(ctx).services["http"]
    victim = ctx.new_page()
    ctx.step(f"the victim logs in on {server.url} and opens the lobby (their own page: it must work)")
    try:
        victim.goto(f"{server.url}/login/?next=/room/{ROOM}/")
        victim.fill("input[name=username]", "victim")
        victim.click("#login button")
        victim.wait_for_url(f"**/room/{ROOM}/")
    except Exception as exc:  # noqa: BLE001 - Playwright's TimeoutError or a navigation error
        raise CheckFailed(f"the victim could not log in and open the room ({type(exc).__name__}: "
                          f"{str(exc).splitlines()[0]}).{server_says(server)}") from None
    if not pages.wait_for(victim, "document.body.dataset.history !== undefined", ctx.timeout(WAIT)):
        raise CheckFailed("the victim's own page (the site's own origin) got no history: the chat must work for its "
                          f"own pages before refusing others (the check browser_two_tabs says more).{server_says(server)}")
    target = f"ws://127.0.0.1:{server.port}/ws/chat/{ROOM}/"
    with foreign_page.serve(foreign_page.hijack_page(target)) as url:
        ctx.step(f"in the same browser, a page on {url} opens {target} (the victim's cookie rides along)")
        attacker = victim.context.new_page()
        attacker.goto(url)
        pages.wait_for(attacker, "['refused', 'open'].includes(document.body.dataset.state)", ctx.timeout(WAIT))
        if pages.dataset(attacker, "state") == "open":
            pages.wait_for(attacker, "document.body.dataset.history !== undefined "
                                     "|| document.body.dataset.closed !== undefined", ctx.timeout(WAIT))
        state, history = pages.dataset(attacker, "state"), pages.dataset(attacker, "history")
    if history is not None:
        texts = json.loads(history)
        raise CheckFailed(f"a page on {url} (another port of 127.0.0.1) opened the chat's WebSocket as the victim and "
                          f"read the lobby's history ({len(texts)} message(s): {texts[-1:]!r:.80}). Chromium sent the "
                          "victim's session cookie: every port of 127.0.0.1 is the same *site*, but not the same "
                          "*origin*. Refuse every Origin but the site's own, with its scheme and port "
                          "(ExactOriginValidator), not only its host (AllowedHostsOriginValidator).")
    if state == "open":
        raise CheckFailed(f"a page on {url} (another port) got an open WebSocket to the chat with the victim's cookie; "
                          "it must be refused at the handshake (the Origin's port is not the site's).")
    if state != "refused":
        raise CheckFailed(f"the page on {url} saw its WebSocket neither open nor refused (state {state!r}).")
    posted = db.run(lambda: Message.objects.filter(text=foreign_page.HIJACK_TEXT).count(), timeout=ctx.timeout(10))
    if posted:
        raise CheckFailed(f"the page on {url} posted {posted} message(s) as the victim; it must be refused.")
