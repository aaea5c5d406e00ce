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

from channels.auth import AuthMiddlewareStack
from channels.routing import ProtocolTypeRouter, URLRouter
from channels.security.websocket import AllowedHostsOriginValidator
from django.core.asgi import get_asgi_application
from django.urls import re_path

from consumers import ChatConsumer

websocket_urlpatterns = [
    re_path(r"^ws/chat/(?P<room>[^/]+)/$", ChatConsumer.as_asgi()),
]

application = ProtocolTypeRouter({
    "http": get_asgi_application(),
    "websocket": AllowedHostsOriginValidator(AuthMiddlewareStack(URLRouter(websocket_urlpatterns))),
})
