"""Lesson 06: where WebSocket connections go, and the ASGI application that routes them.

``chatsite/asgi.py`` (scaffolding) calls ``get_asgi_application()`` and then imports this
file; Daphne serves ``application``.

Build two things:

``websocket_urlpatterns``
    One ``re_path`` (or ``path``) for ``ws/chat/<room>/`` that captures ``room`` and routes to
    ``ChatConsumer.as_asgi()``. No leading slash: URLRouter strips it before matching, like
    Django's urls.py. Forgetting ``.as_asgi()`` passes the class instead of an ASGI app.

``application``
    A ``ProtocolTypeRouter`` with
    ``"http"``: ``get_asgi_application()`` (Django's views, as before) and
    ``"websocket"``: ``AllowedHostsOriginValidator(AuthMiddlewareStack(URLRouter(websocket_urlpatterns)))``.
    From the outside in: refuse pages of other sites (the Origin header must match
    ``ALLOWED_HOSTS``), then put the session's user in ``scope["user"]``, then route by path.
"""

from __future__ import annotations

from channels.auth import AuthMiddlewareStack  # noqa: F401
from channels.routing import ProtocolTypeRouter, URLRouter  # noqa: F401
from channels.security.websocket import AllowedHostsOriginValidator  # noqa: F401
from django.core.asgi import get_asgi_application  # noqa: F401
from django.urls import re_path  # noqa: F401

from consumers import ChatConsumer  # noqa: F401

websocket_urlpatterns = [
    # TODO: re_path(r"^ws/chat/(?P<room>[^/]+)/$", ...),
]

# TODO: the ProtocolTypeRouter. While this is None, the server refuses every WebSocket.
# (No `raise NotImplementedError` in this file: the server imports it at start-up, so it must load.)
application = None
