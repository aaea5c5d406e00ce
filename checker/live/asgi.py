"""ASGI entry point of the live room (``daphne checker.live.asgi:application``).

HTTP goes to Django (static files included: Daphne serves them itself, so the room needs no
web server in front); WebSockets go to the instructor's consumer. ``BodyLimit`` refuses an
oversized learner request from its ``Content-Length`` alone, before Django reads any of it.
"""

import json
import os

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "checker.live.settings")

from django.core.asgi import get_asgi_application  # noqa: E402

django_app = get_asgi_application()  # sets Django up before the consumers are imported

from channels.routing import ProtocolTypeRouter, URLRouter  # noqa: E402
from django.conf import settings  # noqa: E402
from django.contrib.staticfiles.handlers import ASGIStaticFilesHandler  # noqa: E402
from django.urls import path  # noqa: E402

from checker.live.consumers import InstructorConsumer  # noqa: E402


class BodyLimit:
    """POSTs need a ``Content-Length`` of at most ``limit`` bytes (411 without, 413 above)."""

    def __init__(self, app, limit: int):
        self.app, self.limit = app, limit

    async def __call__(self, scope, receive, send):
        if scope["type"] == "http" and scope["method"] == "POST":
            length = dict(scope["headers"]).get(b"content-length", b"")
            if not length.isdigit() or int(length) > self.limit:
                status = 413 if length.isdigit() else 411
                message = f"a request body must declare its length and stay under {self.limit} bytes"
                await send({"type": "http.response.start", "status": status,
                            "headers": [(b"content-type", b"application/json")]})
                await send({"type": "http.response.body", "body": json.dumps({"error": message}).encode()})
                return
        await self.app(scope, receive, send)


application = ProtocolTypeRouter({
    "http": BodyLimit(ASGIStaticFilesHandler(django_app), settings.LIVE_BODY_MAX),
    "websocket": URLRouter([path("ws/room/", InstructorConsumer.as_asgi())]),
})
