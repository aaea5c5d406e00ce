"""Ring 2, attacks on the learner's ``routing.py`` through the communicator: look-alike origins (the
cross-port hijack an attack run found with ``AllowedHostsOriginValidator``) and paths that match no
route (a 500 with a traceback before the catch-all route).
"""

from __future__ import annotations

from checker.api import CheckFailed, Context

from .chat import Participant, fresh_layer, leave
from .routing import HOST, OWN_ORIGIN, application
from .support import cookies, env, run

ALLOWED = [OWN_ORIGIN, "https://chat.example"]
SAME = [(OWN_ORIGIN, "the site's own origin"), ("HTTP://127.0.0.1:8006", "the same, in capitals"),
        ("https://chat.example:443", "https://chat.example with its default port written out")]
LOOKALIKES = [
    (None, "no Origin header"), ("", "an empty Origin"), ("null", "the origin of a sandboxed or file:// page"),
    ("http://127.0.0.1:1", "another port"), ("http://127.0.0.1:8888", "another port (a notebook)"),
    ("HTTP://127.0.0.1:18599", "another port, in capitals"), ("http://127.0.0.1", "no port (80)"),
    ("https://127.0.0.1:8006", "https instead of http"), ("https://127.0.0.1", "https, no port"),
    ("ws://127.0.0.1:8006", "a ws:// origin"), ("http://localhost:8006", "another host name"),
    ("http://127.0.0.1.evil.example:8006", "a host that starts like ours"),
    ("http://127.0.0.1:8006.evil.example", "a port that is not a number"),
    ("http://127.0.0.1:8006@evil.example", "user info (the host is evil.example)"),
    ("http://evil.example/?http://127.0.0.1:8006", "ours in the query"),
    ("http://127.0.0.1:8006/chat", "a path"), ("http://127.0.0.1:99999", "a port out of range"),
    ("http://[::1:8006", "a broken IPv6 literal"), ("https://chat.example:8443", "a trusted host on another port"),
]
# (Host header, Origin, what): through routing.application, with alice's session cookie.
HANDSHAKES = [
    (HOST, "http://127.0.0.1:18599", "a page on another port of 127.0.0.1 (the attack run's page)"),
    (HOST, "http://127.0.0.1:1", "a page on port 1"),
    (HOST, "https://127.0.0.1", "an https page on 127.0.0.1"),
    (HOST, "HTTP://127.0.0.1:18599", "a page on another port, Origin in capitals"),
    (HOST, "http://localhost:8006", "a page on localhost:8006 (another origin)"),
    (HOST, "http://127.0.0.1:8006.evil.example", "a malformed Origin"),
    (HOST, "null", "a sandboxed page (Origin: null)"),
    ("evil.example:8006", "http://evil.example:8006", "a DNS-rebinding page (Host evil.example:8006)"),
]
BAD_PATHS = ["/ws/chat/lobby", "/ws/chat/lobby/extra/", "/ws/chat/", "/ws/chat/a/b/", "/ws/", "/ws/chat/../python/",
             "/chat/lobby/"]
AT_ALLOWED_HOSTS = ("compares the host only (AllowedHostsOriginValidator does: every port and scheme of 127.0.0.1 "
                    "passes, and the browser sends your users' cookies to every port)")


def check_lookalike_origins(ctx: Context) -> None:
    env(ctx)
    routing = ctx.import_learner("routing")
    allowed = getattr(routing, "exact_origin_allowed", None)
    if allowed is None:
        raise CheckFailed("routing.exact_origin_allowed is missing: keep the function from the exercise file.")
    for origin, what in SAME:
        ctx.step(f"exact_origin_allowed({origin!r}, {ALLOWED})")
        if allowed(origin, list(ALLOWED)) is not True:
            raise CheckFailed(f"exact_origin_allowed({origin!r}, {ALLOWED}) did not return True, but it is {what}: "
                              "scheme and host compare without regard to case, and no port means the scheme's "
                              "default (80, 443).")
    for origin, what in LOOKALIKES:
        ctx.step(f"exact_origin_allowed({origin!r}, ...) ({what})")
        try:
            verdict = allowed(origin, list(ALLOWED))
        except NotImplementedError:
            raise
        except Exception as exc:  # noqa: BLE001 - a crash is a 500 at the handshake
            raise CheckFailed(f"exact_origin_allowed({origin!r}, ...) ({what}) raised {type(exc).__name__}: {exc}. "
                              "Return False: a malformed Origin is refused, never a crash (HTTP 500).") from None
        if verdict is not False:
            rule = AT_ALLOWED_HOSTS if "port" in what or "https" in what else "must be an exact match"
            raise CheckFailed(f"exact_origin_allowed({origin!r}, {ALLOWED}) returned {verdict!r} for {what}; it must "
                              f"be False. The check {rule}. Compare (scheme, host, port) for equality.")
    app = application(ctx)
    session = cookies("alice")["alice"]

    async def scenario():
        await fresh_layer()
        for host, origin, what in HANDSHAKES:
            ctx.step(f"alice's browser opens the lobby from {what}")
            await refused(ctx, app, f"a WebSocket from {what}", "/ws/chat/lobby/", host=host, origin=origin,
                          session=session, fix="routing.application must refuse every origin but the site's own: "
                          "ExactOriginValidator(AuthMiddlewareStack(URLRouter(...))), not AllowedHostsOriginValidator")

    run(ctx, scenario)


def check_bad_paths(ctx: Context) -> None:
    env(ctx)
    app = application(ctx)
    session = cookies("alice")["alice"]

    async def scenario():
        await fresh_layer()
        for path in BAD_PATHS:
            ctx.step(f"a WebSocket to {path}, from the site's own page, logged in")
            await refused(ctx, app, f"a WebSocket to {path}", path, host=HOST, origin=OWN_ORIGIN, session=session,
                          fix="only ws/chat/<room>/ leads to the consumer; add a last route re_path(r\"\", "
                          "WebsocketDenier.as_asgi()) that refuses every other path")

    run(ctx, scenario)


async def refused(ctx: Context, app, what: str, path: str, *, fix: str, **headers) -> None:
    """Fail unless ``app`` refuses this handshake cleanly: no accept, and no exception (a 500)."""
    visitor = Participant(ctx, app, what, path=path, **headers)
    try:
        accepted, _code = await visitor.handshake()
    except CheckFailed:
        raise
    except NotImplementedError:
        raise
    except Exception as exc:  # noqa: BLE001 - Daphne turns this into HTTP 500 and a traceback
        text = f"{type(exc).__name__}: {exc}"
        raise CheckFailed(f"{what} crashed the application ({text:.160}): Daphne answers HTTP 500 with a traceback "
                          f"in its log. Refuse it cleanly instead: {fix}.") from None
    finally:
        await leave(ctx, visitor)
    if accepted:
        raise CheckFailed(f"{what} was accepted; it must be refused at the handshake: {fix}.")
