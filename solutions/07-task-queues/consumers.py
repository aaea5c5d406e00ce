"""The WebSocket side: one consumer per browser tab watching one job."""

from __future__ import annotations

from asgiref.sync import sync_to_async
from channels.generic.websocket import AsyncJsonWebsocketConsumer

from jobs.store import group_for, load_state


class JobConsumer(AsyncJsonWebsocketConsumer):
    """``/ws/jobs/<job_id>/`` (routed by ``jobsite/asgi.py``): a page watching one job."""

    async def connect(self):
        """Join the job's group, accept, and send the job's current state.

        * ``self.group = None`` first (``disconnect`` runs even after a refusal).
        * The job id: ``self.scope["url_route"]["kwargs"]["job_id"]``.
        * ``load_state`` is sync (it talks to Redis with redis-py): call it as
          ``await sync_to_async(load_state)(job_id)``. None means no such job: refuse with
          ``await self.close(code=4404)`` and return, before accepting.
        * ``self.group = group_for(job_id)``; ``await self.channel_layer.group_add(self.group,
          self.channel_name)``; ``await self.accept()``.
        * Then load the state again and ``await self.send_json(state)``: a page that connects
          late (a reload, a second tab) starts from where the job is. Reading it *after* joining
          the group means no event can slip between the read and the join.
        """
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
        """An event ``{"type": "job.progress", "state": {...}}`` sent to the group by the worker:
        send ``event["state"]`` to the browser with ``send_json``. (The dot in the type becomes an
        underscore in the method name.)"""
        await self.send_json(event["state"])

    async def disconnect(self, code):
        """Leave the group (``group_discard``) if ``connect`` joined one."""
        if self.group:
            await self.channel_layer.group_discard(self.group, self.channel_name)
