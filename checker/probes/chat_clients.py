"""Chat clients for the delivery benchmarks and attack tests of lessons 06 and 08.

A browser's way in, without a browser: ``login`` fetches the lesson's page for its CSRF token,
posts a name to the login form and keeps the ``sessionid`` cookie, so the WebSocket handshake
that follows carries a real session, on whichever backend made it. ``Tally`` counts what every
client received, per message: arrivals, duplicates, and (for numbered messages) arrivals out of
order, which is what "lost", "exactly once" and "in order" are measured with.

    cookie = login(port, "ann", page="/", action="/login/")        # lesson 08
    cookie = login(port, "ann", extra={"next": "/room/lobby/"})    # lesson 06 (page /login/)
    tally = Tally()
    tally.sent_at[key] = time.perf_counter()
    tally.arrived(client_index, key, seq)
"""

from __future__ import annotations

import http.client
import re
import time
import urllib.parse
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
