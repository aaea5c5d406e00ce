"""Lesson 07's jobsite takes a WebSocket only from a page of the site itself (lesson 06's exact rule).

Channels' ``AllowedHostsOriginValidator`` compares the Origin's host with ``ALLOWED_HOSTS``, so a
page served on another port of 127.0.0.1 would pass; ``SameOriginOnly`` wants scheme, host and
port. Run with Channels' own communicator, in a process of its own (it configures Django).
"""

from __future__ import annotations

import subprocess
import sys

from tests.helpers import ROOT

SCRIPT = r'''
import asyncio, json
from django.conf import settings
settings.configure(CHANNEL_LAYERS={"default": {"BACKEND": "channels.layers.InMemoryChannelLayer"}})
import django
django.setup()
from channels.generic.websocket import AsyncWebsocketConsumer
from channels.testing import WebsocketCommunicator
from workshop.channels_support import SameOriginOnly

class Accept(AsyncWebsocketConsumer):
    async def connect(self):
        await self.accept()

async def attempt(origin):
    headers = [(b"host", b"127.0.0.1:8000")] + ([(b"origin", origin.encode())] if origin else [])
    communicator = WebsocketCommunicator(SameOriginOnly(Accept.as_asgi()), "/ws/jobs/x/", headers=headers)
    connected, _ = await communicator.connect(timeout=5)
    await communicator.disconnect()
    return connected

origins = ["http://127.0.0.1:8000", "HTTP://127.0.0.1:8000/", "http://127.0.0.1:8001", "http://localhost:8000",
           "https://127.0.0.1:8000", "http://127.0.0.1:8000.evil.example", "null", ""]
print(json.dumps({o: asyncio.run(attempt(o)) for o in origins}))
'''


def test_only_the_sites_own_origin_opens_a_job_socket():
    done = subprocess.run([sys.executable, "-c", SCRIPT], cwd=ROOT, capture_output=True, text=True, timeout=60,
                          env={"PATH": "/usr/bin:/bin", "PYTHONPATH": str(ROOT)})
    assert done.returncode == 0, done.stderr
    import json

    accepted = json.loads(done.stdout.strip().splitlines()[-1])
    assert accepted == {"http://127.0.0.1:8000": True, "HTTP://127.0.0.1:8000/": True,
                        "http://127.0.0.1:8001": False,  # another port of the same host: the hijack of lesson 06
                        "http://localhost:8000": False, "https://127.0.0.1:8000": False,
                        "http://127.0.0.1:8000.evil.example": False, "null": False, "": False}
