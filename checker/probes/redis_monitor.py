"""Watch the commands a real Redis server executes, in the order it executes them (``MONITOR``).

Order is what some mistakes are made of: saving a job's state after announcing it, joining a
group after reading the state. Redis runs commands one at a time, so its own log of them says
which came first, whatever the clocks or the threads of the clients did::

    with monitor(redis_url, timeout=2) as seen:
        ... code that talks to Redis ...
    seen.commands   # [["SET", "job:3f...", "{...}"], ["ZADD", "asgi:group:job.3f...", ...], ...]
"""

from __future__ import annotations

import contextlib
import threading
import uuid


class Seen:
    def __init__(self):
        self.commands: list[list[str]] = []

    def first(self, name: str, key: str) -> int | None:
        """The position of the first ``name`` command on ``key`` (``None`` if there was none)."""
        return next((i for i, c in enumerate(self.commands) if c[:2] == [name.upper(), key]), None)

    def last(self, name: str, key: str) -> int | None:
        found = [i for i, c in enumerate(self.commands) if c[:2] == [name.upper(), key]]
        return found[-1] if found else None


@contextlib.contextmanager
def monitor(url: str, *, timeout: float):
    """Record every command Redis runs inside the block (``timeout`` bounds the final catch-up)."""
    import redis

    seen = Seen()
    marker = f"probe-monitor-end-{uuid.uuid4().hex}"
    client = redis.Redis.from_url(url, decode_responses=True, socket_timeout=timeout)
    ready = threading.Event()

    def record():
        with client.monitor() as watching:
            ready.set()
            while True:
                try:
                    command = watching.next_command()["command"]
                except Exception:  # noqa: BLE001 - the socket timed out: stop recording
                    return
                if marker in command:
                    return
                seen.commands.append(_split(command))

    thread = threading.Thread(target=record, daemon=True)
    thread.start()
    ready.wait(timeout)
    try:
        yield seen
    finally:
        redis.Redis.from_url(url).echo(marker)
        thread.join(timeout)
        client.close()


def _split(command: str) -> list[str]:
    """``'SET job:1 "x y"'`` -> ``['SET', 'job:1', 'x y']`` (MONITOR quotes each argument)."""
    import shlex

    try:
        parts = shlex.split(command)
    except ValueError:
        parts = command.split()
    return [parts[0].upper(), *parts[1:]] if parts else []
