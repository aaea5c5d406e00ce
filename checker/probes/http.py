"""A tiny HTTP client for checks, whose failures read as advice rather than tracebacks."""

from __future__ import annotations

import json
import socket
import urllib.error
import urllib.parse
import urllib.request
from dataclasses import dataclass

from checker.api import CheckFailed
from workshop.django_support import ERROR_HEADER


@dataclass
class Response:
    status: int
    headers: dict
    body: bytes
    elapsed: float
    what: str

    def json(self):
        try:
            return json.loads(self.body)
        except ValueError:
            raise CheckFailed(f"{self.what} answered with something that is not JSON: {self.body[:200]!r}") from None


def request(method: str, url: str, *, data: dict | None = None, timeout: float = 3.0
            ) -> Response:
    import time

    parsed = urllib.parse.urlsplit(url)
    what = f"{method} {parsed.path}{'?' + parsed.query if parsed.query else ''}"
    body = json.dumps(data).encode() if data is not None else None
    req = urllib.request.Request(url, data=body, method=method,
                                 headers={"Content-Type": "application/json"} if body else {})
    started = time.monotonic()
    try:
        with urllib.request.urlopen(req, timeout=timeout) as resp:
            payload = resp.read()
            status, headers = resp.status, dict(resp.headers)
    except urllib.error.HTTPError as err:
        payload, status, headers = err.read(), err.code, dict(err.headers)
    except (socket.timeout, TimeoutError):
        raise CheckFailed(f"{what}: connected, but no reply within {timeout:g} s. "
                          "Is the view stuck in a loop or waiting for something that never comes?") from None
    except urllib.error.URLError as err:
        if isinstance(err.reason, (socket.timeout, TimeoutError)):
            raise CheckFailed(f"{what}: connected, but no reply within {timeout:g} s.") from None
        raise CheckFailed(f"{what}: could not connect ({err.reason}).") from None
    except ConnectionError as err:
        raise CheckFailed(f"{what}: the connection broke ({err}).") from None
    elapsed = time.monotonic() - started
    problem = headers.get(ERROR_HEADER)
    if problem and status in (500, 501):
        if status == 501:
            raise CheckFailed(f"{what} answered HTTP 501: {problem}.\n"
                              "Replace the TODO with your code, save, and run the checker again.")
        raise CheckFailed(f"{what} crashed on the server (HTTP 500): {problem}")
    return Response(status, headers, payload, elapsed, what)


def get(url: str, **kwargs) -> Response:
    return request("GET", url, **kwargs)


def post(url: str, data: dict, **kwargs) -> Response:
    return request("POST", url, data=data, **kwargs)
