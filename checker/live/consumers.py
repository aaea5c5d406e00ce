"""The instructor page's WebSocket: a snapshot of the room now, and again whenever it changes.

Every learner status sends ``room.changed`` to one group; each instructor consumer then redraws
from the room's state rather than from the message, so a burst of thirty statuses becomes a few
snapshots (at most one every ``COALESCE`` seconds) and a page that missed a message (the Redis
layer is at most once) is corrected by the next. Snapshots also go out every
``LIVE_REFRESH_SECONDS`` without any change, because "stuck for N minutes" changes with time alone.
"""

from __future__ import annotations

import asyncio
from urllib.parse import parse_qs

from channels.generic.websocket import AsyncJsonWebsocketConsumer
from django.conf import settings

from checker.live import views

COALESCE = 0.1  # seconds


class InstructorConsumer(AsyncJsonWebsocketConsumer):
    async def connect(self):
        headers = dict(self.scope.get("headers", ()))
        origin = headers.get(b"origin", b"").decode("latin-1") or None
        if not views.origin_ok(origin, required=True):
            await self.close()  # before accept: the handshake is refused with HTTP 403
            return
        token = parse_qs(self.scope.get("query_string", b"").decode()).get("token", [None])[0]
        if not views.token_ok(token):
            await self.accept()  # accept, then close with a code the page can explain
            await self.close(code=4403, reason="wrong instructor token")
            return
        self.changed = asyncio.Event()
        self.changed.set()  # the first snapshot at once
        await self.channel_layer.group_add(views.GROUP, self.channel_name)
        await self.accept()
        self.pusher = asyncio.create_task(self.push_snapshots())

    async def disconnect(self, code):
        pusher = getattr(self, "pusher", None)
        if pusher is not None:
            pusher.cancel()
            await self.channel_layer.group_discard(views.GROUP, self.channel_name)

    async def room_changed(self, event):
        self.changed.set()

    async def receive_json(self, content, **kwargs):
        pass  # the page only listens

    async def push_snapshots(self):
        while True:
            try:
                await asyncio.wait_for(self.changed.wait(), settings.LIVE_REFRESH_SECONDS)
            except TimeoutError:
                pass
            self.changed.clear()
            await self.send_json(views.ROOM.snapshot())
            await asyncio.sleep(COALESCE)
