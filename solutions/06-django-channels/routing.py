"""Lesson 06: where WebSocket connections go, and the ASGI application that routes them.

``chatsite/asgi.py`` (scaffolding) calls ``get_asgi_application()`` and then imports this
file; Daphne serves ``application``.

Build four things:

``exact_origin_allowed(origin, allowed)`` and ``ExactOriginValidator``
    The Origin check. Channels' ``AllowedHostsOriginValidator`` compares the Origin's *host*
    with ``ALLOWED_HOSTS`` and nothing else, so a page on ``http://127.0.0.1:8888`` (a notebook,
    any other local dev server) passes for a site on ``http://127.0.0.1:8000``, and the browser
    sends it the site's session cookie, because every port of one host is the *same site* for
    cookies. An origin is scheme, host and port: compare all three, exactly.

``websocket_urlpatterns``
    A ``re_path`` (or ``path``) for ``ws/chat/<room>/`` that captures ``room`` and routes to
    ``ChatConsumer.as_asgi()``; no leading slash (URLRouter strips it before matching, like
    Django's urls.py); forgetting ``.as_asgi()`` passes the class instead of an ASGI app. Then,
    **last**, a catch-all ``re_path(r"", ...)`` to an application that refuses the handshake
    (Channels' ``WebsocketDenier.as_asgi()``): without it a path that matches nothing
    (``/ws/chat/lobby`` without its slash) makes URLRouter raise, and Daphne answers HTTP 500
    with a traceback instead of a clean refusal.

``application``
    A ``ProtocolTypeRouter`` with ``"http"``: ``get_asgi_application()`` (Django's views, as
    before) and ``"websocket"``:
    ``ExactOriginValidator(AuthMiddlewareStack(URLRouter(websocket_urlpatterns)))``.
    From the outside in: refuse pages of other origins, then put the session's user in
    ``scope["user"]``, then route by path.
"""

from __future__ import annotations

from urllib.parse import urlsplit

from channels.auth import AuthMiddlewareStack
from channels.routing import ProtocolTypeRouter, URLRouter
from channels.security.websocket import WebsocketDenier
from django.conf import settings
from django.core.asgi import get_asgi_application
from django.http.request import split_domain_port, validate_host
from django.urls import re_path

from consumers import ChatConsumer

DEFAULT_PORTS = {"http": 80, "https": 443}


def exact_origin_allowed(origin: str | None, allowed) -> bool:
    """True when ``origin`` is exactly one of the ``allowed`` origins: same scheme, host and port.

    ``origin`` is the handshake's ``Origin`` header as text (``None`` when there is none);
    ``allowed`` is a list of origins such as ``["http://127.0.0.1:8000"]``.

    * ``None``, ``""`` and ``"null"`` (a sandboxed page, a ``file://`` page) are refused.
    * Split with ``urllib.parse.urlsplit``. Only ``http`` and ``https``; scheme and host compare
      without regard to case; a missing port is the scheme's default (``DEFAULT_PORTS``).
    * An origin is ``scheme://host[:port]`` and nothing more: refuse user info
      (``http://127.0.0.1:8000@evil.example`` is evil.example), a path, a query, a fragment, and a
      port that is not a number (``.port`` raises ``ValueError`` for
      ``http://127.0.0.1:8000.evil.example``: refuse it, never let it escape as a crash).
    * Compare the ``(scheme, host, port)`` triple for equality with each allowed origin, parsed the
      same way. Never ``startswith`` or ``in`` on the text, and never the host alone.

    >>> exact_origin_allowed("http://127.0.0.1:8000", ["http://127.0.0.1:8000"])
    True
    >>> exact_origin_allowed("http://127.0.0.1:8888", ["http://127.0.0.1:8000"])
    False
    """
    if not origin or origin == "null":
        return False
    wanted = _origin_triple(origin)
    return wanted is not None and any(wanted == _origin_triple(item) for item in allowed)


def _origin_triple(origin: str):
    """``(scheme, host, port)`` of an origin, or ``None`` when it is anything else."""
    try:
        parts = urlsplit(origin)
        port = parts.port
    except ValueError:  # a port that is not a number, a bad IPv6 literal
        return None
    scheme = parts.scheme.lower()
    if origin.lower() != f"{parts.scheme}://{parts.netloc}".lower() or "@" in parts.netloc:  # a path, user info
        return None
    if scheme not in DEFAULT_PORTS or not parts.hostname:
        return None
    return scheme, parts.hostname.lower(), DEFAULT_PORTS[scheme] if port is None else port


def site_origins(scope) -> list[str]:
    """The origins a WebSocket of this site may come from: its own, and ``CSRF_TRUSTED_ORIGINS``.

    The site's own origin is the one the browser put in the WebSocket's URL: ``http://`` (``https://``
    for ``wss``) and the ``Host`` header, the same rule Django's CSRF protection applies to a
    form's ``Origin``. A page cannot choose the ``Host`` its browser sends, so a page on another
    port cannot pass for this one. The host must be in ``ALLOWED_HOSTS`` (a DNS-rebinding page on
    ``evil.example`` resolved to 127.0.0.1 sends ``Host: evil.example:8000``). Written for you.
    """
    host = dict(scope.get("headers") or []).get(b"host", b"").decode("latin-1")
    domain, _port = split_domain_port(host)
    own = []
    if domain and validate_host(domain, settings.ALLOWED_HOSTS):
        scheme = "https" if scope.get("scheme") == "wss" else "http"
        own = [f"{scheme}://{host}"]
    return own + list(getattr(settings, "CSRF_TRUSTED_ORIGINS", []))


class ExactOriginValidator:
    """ASGI middleware: a WebSocket goes on to ``application`` only when its ``Origin`` passes
    ``exact_origin_allowed(origin, site_origins(scope))``; any other handshake is refused (HTTP 403)
    by Channels' ``WebsocketDenier``, as ``AllowedHostsOriginValidator`` refuses.

    Read the ``Origin`` from ``scope["headers"]`` (a list of ``(bytes, bytes)`` pairs; decode with
    ``latin-1``). A handshake with no ``Origin``, or with more than one, is refused.
    """

    def __init__(self, application):
        self.application = application

    async def __call__(self, scope, receive, send):
        origins = [value.decode("latin-1") for name, value in scope.get("headers", []) if name == b"origin"]
        if len(origins) == 1 and exact_origin_allowed(origins[0], site_origins(scope)):
            return await self.application(scope, receive, send)
        return await WebsocketDenier()(scope, receive, send)


websocket_urlpatterns = [
    re_path(r"^ws/chat/(?P<room>[^/]+)/$", ChatConsumer.as_asgi()),
    re_path(r"", WebsocketDenier.as_asgi()),  # last: every other path is refused, not a 500
]

application = ProtocolTypeRouter({
    "http": get_asgi_application(),
    "websocket": ExactOriginValidator(AuthMiddlewareStack(URLRouter(websocket_urlpatterns))),
})

