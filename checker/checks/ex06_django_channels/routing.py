"""Ring 2, the learner's ``routing.application`` through the communicator: the Origin check, the
session's user, the URL route, with the headers a browser sends.
"""

from __future__ import annotations

from checker.api import CheckFailed, Context
from checker.expect import see

from .chat import Participant, fresh_layer, leave
from .support import FOREIGN_ORIGIN, classic, cookies, env, expect_message, run

HOST = "127.0.0.1:8006"
OWN_ORIGIN = f"http://{HOST}"


def check_routing(ctx: Context) -> None:
    env(ctx)
    app = application(ctx)
    session = cookies("alice")["alice"]
    refused = [
        (dict(origin=FOREIGN_ORIGIN, session=session), f"from a page of another site (Origin {FOREIGN_ORIGIN})",
         "wrap everything in ExactOriginValidator(...) (a missing Origin check lets any site use your users' "
         "cookies)"),
        (dict(session=session), "without any Origin header",
         "wrap everything in ExactOriginValidator(...): it also refuses a handshake with no Origin"),
        (dict(origin=OWN_ORIGIN), "without a session cookie (an anonymous visitor)",
         "refuse users that are not authenticated in connect()"),
    ]

    async def scenario():
        await fresh_layer()
        ctx.step(f"alice (session cookie, Origin {OWN_ORIGIN}) connects through routing.application")
        alice = Participant(ctx, app, "alice", host=HOST, origin=OWN_ORIGIN, session=session)
        try:
            accepted, code = await alice.handshake()
            if not accepted:
                raise CheckFailed(f"a logged-in user from the site's own Origin was refused (close code {code}). Is "
                                  "the URLRouter wrapped in AuthMiddlewareStack (it fills scope[\"user\"] from the "
                                  "session cookie)?")
            await alice.history()
            await alice.send({"type": "message", "text": "via routing"})
            expect_message(await alice.frame("her own message back"), "alice", "alice", "via routing")
        finally:
            await leave(ctx, alice)
        for headers, why, fix in refused:
            ctx.step(f"a connection {why}")
            other = Participant(ctx, app, f"a connection {why}", host=HOST, **headers)
            try:
                accepted, _ = await other.handshake()
            finally:
                await leave(ctx, other)
            if accepted:
                raise CheckFailed(f"a connection {why} was accepted; it must be refused: {fix}.")

    run(ctx, scenario)


ROUTING = "3. `ProtocolTypeRouter`, `URLRouter`, `.as_asgi()`"


def application(ctx: Context):
    routing = ctx.import_learner("routing")
    patterns = getattr(routing, "websocket_urlpatterns", None)
    if not patterns:
        raise CheckFailed("routing.websocket_urlpatterns is empty (routing.py is not written yet); expected a route "
                          "from /ws/chat/<room>/ to ChatConsumer. " + see("06", ROUTING))
    for pattern in patterns:
        callback = getattr(pattern, "callback", None)
        if isinstance(callback, type):
            raise CheckFailed(f"websocket_urlpatterns routes {pattern.pattern} to the class {callback.__name__}: "
                              + classic("can't be used in 'await' expression"))
    app = getattr(routing, "application", None)
    if app is None:
        raise CheckFailed("routing.application is still None: build the ProtocolTypeRouter (not written yet). "
                          "Until then the server refuses every WebSocket.")
    mapping = getattr(app, "application_mapping", None)
    if isinstance(mapping, dict):
        missing = [kind for kind in ("http", "websocket") if kind not in mapping]
        if missing:
            raise CheckFailed(f"routing.application has no {' and no '.join(repr(m) for m in missing)} entry; "
                              "expected both: 'http' for Django's own views (the login page), 'websocket' for your "
                              "routes. " + see("06", ROUTING))
    return app
