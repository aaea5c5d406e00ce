"""Ring 4, the page in headless Chromium: two people log in, open the lobby and chat over Daphne.

The room page reports its socket in ``document.body.dataset`` (``state``: connecting, open,
closed; ``history`` once the history arrived; ``problem``): the check waits for those states.
"""

from __future__ import annotations

import json

from checker.api import CheckFailed, Context
from checker.probes import db, page as pages

from .servers import NEVER_ANSWERED, server_says, site, unanswered
from .support import ROOM, env

WAIT = 5.0  # seconds (scaled) for the page to reach a state


def check_browser_two_tabs(ctx: Context) -> None:
    env(ctx)
    from chat.models import Message

    db.run(lambda: Message.objects.create(room=ROOM, author="carol", text="welcome to the lobby"),
           timeout=ctx.timeout(10))
    server = site(ctx).services["http"]
    url = server.url

    def open_room(name: str):
        page = ctx.new_page()
        ctx.step(f"{name} logs in and opens {url}/room/{ROOM}/")
        try:
            answer = page.goto(f"{url}/login/?next=/room/{ROOM}/")
            if answer is None or answer.status != 200:
                raise CheckFailed(f"the login page answered HTTP {answer.status if answer else '?'}: is \"http\": "
                                  f"get_asgi_application() in routing.application?{server_says(server)}")
            page.fill("input[name=username]", name)
            page.click("#login button")
            page.wait_for_url(f"**/room/{ROOM}/")
        except CheckFailed:
            raise
        except Exception as exc:  # noqa: BLE001 - Playwright's TimeoutError or a navigation error
            raise CheckFailed(f"{name} could not log in and open the room ({type(exc).__name__}: "
                              f"{str(exc).splitlines()[0]}).{server_says(server)}") from None
        pages.wait_for(page, "document.body.dataset.history !== undefined || document.body.dataset.state === 'closed'",
                       ctx.timeout(WAIT))
        state = pages.dataset(page, "state")
        if state == "open" and pages.dataset(page, "history") is not None:
            return page
        if state == "connecting" or unanswered(server):  # a dropped handshake looks refused to the page
            raise CheckFailed(f"{name}'s page: {NEVER_ANSWERED}")
        problem = pages.dataset(page, "problem") or ""
        routing = page.evaluate("document.getElementById('routing-problem')?.textContent") or ""
        raise CheckFailed(f"{name}'s page: the WebSocket is {state or 'not open'} and no history arrived. "
                          f"{routing or problem}{server_says(server)}")

    def wait_for(page, name: str, author: str, text: str) -> None:
        ctx.step(f"waiting for {author}'s {text!r} on {name}'s page")
        selector = f"#messages li[data-author='{author}']"
        shown = (f"[...document.querySelectorAll({json.dumps(selector)})]"
                 f".some(li => li.textContent.includes({json.dumps(text)}))")
        if not pages.wait_for(page, shown, ctx.timeout(3)):
            raise CheckFailed(f"{name}'s page shows {pages.texts(page, '#messages li')}; expected \"{author}: {text}\"."
                              f"{server_says(server)}{pages.console_note(ctx.console)}")

    ada = open_room("ada")
    grace = open_room("grace")
    wait_for(grace, "grace", "carol", "welcome to the lobby")
    ctx.step("ada types a message and presses Send")
    ada.fill("#send input[name=text]", "Hello Grace!")
    ada.click("#send button")
    wait_for(grace, "grace", "ada", "Hello Grace!")
    wait_for(ada, "ada", "ada", "Hello Grace!")
    grace.fill("#send input[name=text]", "Hi Ada, loud and clear")
    grace.press("#send input[name=text]", "Enter")
    wait_for(ada, "ada", "grace", "Hi Ada, loud and clear")
    ctx.step("ada sends 5,000 characters (the page's bad-input button)")
    ada.click("[data-bad=too-long]")
    if not pages.wait_for_count(ada, "#errors li", 1, ctx.timeout(3)):
        raise CheckFailed("ada's page sent a 5,000-character message and no error answer came back.")
    if grace.eval_on_selector_all("#errors li", "items => items.length"):
        raise CheckFailed("grace's page shows an error for ada's bad input: errors go to the sender only.")
    if pages.dataset(ada, "state") != "open":
        raise CheckFailed("ada's socket closed after bad input; answer with an error and keep it open.")
