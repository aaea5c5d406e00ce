"""The WebSocket side: one consumer per browser tab watching one job."""

from __future__ import annotations

from asgiref.sync import sync_to_async
from channels.generic.websocket import AsyncJsonWebsocketConsumer

from jobs.store import group_for, load_state


class JobConsumer(AsyncJsonWebsocketConsumer):
    """``/ws/jobs/<job_id>/``: join ``job.<id>``, send the current state, forward ``job.progress``."""

    async def connect(self):
        self.group = None
        self.job_id = self.scope["url_route"]["kwargs"]["job_id"]
        if await sync_to_async(load_state)(self.job_id) is None:
            await self.close(code=4404)
            return
        self.group = group_for(self.job_id)
        await self.channel_layer.group_add(self.group, self.channel_name)
        await self.accept()
        # Read the state *after* joining the group: an event sent in between is not lost.
        state = await sync_to_async(load_state)(self.job_id)
        await self.send_json(state)

    async def job_progress(self, event):
        await self.send_json(event["state"])

    async def disconnect(self, code):
        if self.group:
            await self.channel_layer.group_discard(self.group, self.channel_name)
