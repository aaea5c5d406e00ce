"""Chat clients for the delivery benchmarks and attack tests of lessons 06 and 08.

A browser's way in, without a browser: ``login`` fetches the lesson's page for its CSRF token,
posts a name to the login form and keeps the ``sessionid`` cookie, so the WebSocket handshake
that follows carries a real session, on whichever backend made it. ``Tally`` counts what every
client received, per message: arrivals, duplicates, and (for numbered messages) arrivals out of
order, which is what "lost", "exactly once" and "in order" are measured with. ``Load`` is a
benchmark's load (clients, interval, seconds); ``send_on_beat``, ``read_into`` and
``wait_for_deliveries`` are the three phases every delivery benchmark runs through.

    cookie = login(port, "ann", page="/", action="/login/")        # lesson 08
    cookie = login(port, "ann", extra={"next": "/room/lobby/"})    # lesson 06 (page /login/)
    tally = Tally()
    tally.sent_at[key] = time.perf_counter()
    tally.arrived(client_index, key, seq)
"""

from __future__ import annotations

import argparse
import asyncio
import http.client
import json
import re
import time
import urllib.parse
from collections.abc import Callable
from dataclasses import dataclass, field
from http.cookies import SimpleCookie


def login(port: int, username: str, *, page: str = "/login/", action: str = "/login/", extra: dict | None = None,
          host: str = "127.0.0.1", timeout: float = 30.0) -> str:
    """Log in through the lesson's form, as a browser does; returns the ``sessionid`` cookie."""
    connection = http.client.HTTPConnection(host, port, timeout=timeout)
    try:
        connection.request("GET", page)
        answer = connection.getresponse()
        text = answer.read().decode()
        cookies = SimpleCookie()
        for header in answer.headers.get_all("Set-Cookie") or []:
            cookies.load(header)
        token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', text)
        if token is None or "csrftoken" not in cookies:
            raise RuntimeError(f"GET {page} on port {port} (HTTP {answer.status}) showed no login form with a CSRF token")
        body = urllib.parse.urlencode({"username": username, "csrfmiddlewaretoken": token.group(1), **(extra or {})})
        connection.request("POST", action, body=body, headers={
            "Content-Type": "application/x-www-form-urlencoded", "Cookie": f"csrftoken={cookies['csrftoken'].value}",
            "Origin": f"http://{host}:{port}", "Referer": f"http://{host}:{port}{page}"})
        answer = connection.getresponse()
        answer.read()
        for header in answer.headers.get_all("Set-Cookie") or []:
            cookies.load(header)
        if answer.status != 302 or "sessionid" not in cookies:
            raise RuntimeError(f"logging in as {username} on port {port} answered HTTP {answer.status}, no session")
        return cookies["sessionid"].value
    finally:
        connection.close()


@dataclass
class Tally:
    """What a room of clients received: ``arrivals[key][client] = perf_counter()`` at receipt."""

    sent_at: dict = field(default_factory=dict)   # message key -> perf_counter() at send
    arrivals: dict = field(default_factory=dict)  # message key -> {client index: perf_counter() at receipt}
    duplicates: int = 0
    out_of_order: int = 0                         # numbered arrivals below a number the client already had
    last_arrival: float = 0.0
    _highest: dict = field(default_factory=dict)  # client index -> highest seq received

    def arrived(self, index: int, key: str, seq: int | None = None) -> None:
        """Client ``index`` received the message ``key`` (numbered ``seq`` when the chat numbers them)."""
        seen = self.arrivals.setdefault(key, {})
        self.duplicates += index in seen
        seen[index] = self.last_arrival = time.perf_counter()
        if seq is not None:
            if seq < self._highest.get(index, 0):
                self.out_of_order += 1
            self._highest[index] = max(seq, self._highest.get(index, 0))

    def delivered(self) -> int:
        return sum(len(seen) for seen in self.arrivals.values())

    def reached_none(self) -> int:
        return sum(1 for key in self.sent_at if not self.arrivals.get(key))


@dataclass(frozen=True)
class Load:
    """``clients`` clients each sending one message every ``interval`` s for ``seconds`` s."""

    clients: int
    interval: float
    seconds: float

    @property
    def label(self) -> str:
        rate = f"1 msg/{self.interval:g} s" if self.interval >= 1 else f"every {self.interval * 1000:g} ms"
        return f"{self.clients} clients, {rate}, {self.seconds:g} s"

    @classmethod
    def parse(cls, text: str, *, most_clients: int, most_interval: float, most_seconds: float) -> Load:
        """``CLIENTS:INTERVAL:SECONDS`` from a command line, within the bounds a benchmark can run."""
        try:
            clients, interval, seconds = text.split(":")
            load = cls(int(clients), float(interval), float(seconds))
        except ValueError:
            raise argparse.ArgumentTypeError(f"--load wants CLIENTS:INTERVAL:SECONDS, like 20:0.5:5, "
                                             f"not {text!r}") from None
        if not (2 <= load.clients <= most_clients and 0.01 <= load.interval <= most_interval
                and 0 < load.seconds <= most_seconds):
            raise argparse.ArgumentTypeError(f"2-{most_clients} clients, an interval of 0.01-{most_interval:g} s, "
                                             f"at most {most_seconds:g} s")
        return load


async def send_on_beat(index: int, ws, load: Load, run: str, tally: Tally, start: float) -> None:
    """Client ``index`` sends ``"{run} {index} {n}"`` every ``load.interval`` s from ``start``.

    The clients are spread evenly over the first interval and then each keeps its own beat, so the
    server sees a steady rate rather than a burst every interval."""
    offset = load.interval * index / load.clients
    for number in range(round(load.seconds / load.interval)):
        await asyncio.sleep(max(0.0, start + offset + number * load.interval - time.perf_counter()))
        key = f"{run} {index} {number}"
        tally.sent_at[key] = time.perf_counter()
        await ws.send(json.dumps({"type": "message", "text": key}))


async def read_into(index: int, ws, run: str, tally: Tally) -> None:
    """Count every chat message of this ``run`` that client ``index`` receives (with its ``seq``, if any)."""
    async for text in ws:
        data = json.loads(text)
        key = str(data.get("text", ""))
        if data.get("type") == "message" and key.startswith(run):
            tally.arrived(index, key, data.get("seq"))


async def wait_for_deliveries(tally: Tally, clients: int, since: float, *, most: float, quiet: float,
                              sending: Callable[[], bool] = lambda: False,
                              broken: Callable[[], bool] = lambda: False) -> None:
    """Return once every client has every message sent, or nothing arrived for ``quiet`` s after
    ``since`` (the end of sending), or ``most`` s passed, or ``broken()`` says a reader died.

    Waiting for silence rather than a fixed time is what tells *lost* from *late*: a delivery
    still missing after the servers went quiet is not coming."""
    end = time.perf_counter() + most
    while time.perf_counter() < end and not broken():
        silent = time.perf_counter() - max(tally.last_arrival, since)
        if (not sending() and tally.delivered() >= len(tally.sent_at) * clients) or silent > quiet:
            break
        await asyncio.sleep(0.2)
