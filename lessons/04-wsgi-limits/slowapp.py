"""A plain WSGI application (no framework) with one slow and one ordinary endpoint.

    GET /                  the demo page (pool_page.html)
    GET /slow?seconds=S    holds its worker for S seconds (at most 30), like a long poll or an
                           SSE stream would, then answers {"slept": S, ...}
    GET /ping              an ordinary request: answers at once
    GET /stats             the pool's state (this request needs a worker too!)

This is the whole WSGI contract (PEP 3333): the server calls ``application(environ,
start_response)`` once per request; the application calls ``start_response(status, headers)``
and returns an iterable of bytes; the server's worker is busy until that iterable is exhausted.
``time.sleep`` below stands for any wait: a long poll's ``Condition.wait``, an SSE generator
between two events, a slow database.
"""

from __future__ import annotations

import json
import time
from pathlib import Path
from urllib.parse import parse_qs

MAX_SLEEP = 30.0
PAGE = Path(__file__).resolve().parent / "pool_page.html"


def _json(start_response, status: str, body: dict, environ: dict):
    data = json.dumps(body).encode()
    start_response(status, [
        ("Content-Type", "application/json"),
        ("Content-Length", str(len(data))),
        ("Cache-Control", "no-store"),
        # What the pool did with this request, for the page and for curl -i:
        ("X-Worker", str(environ.get("workshop.worker", "?"))),
        ("X-Queue-Wait-Ms", f"{1000 * environ.get('workshop.queued_seconds', 0.0):.1f}"),
    ])
    return [data]


def make_app(*, pool=None, uwsgi_url: str | None = None, uwsgi_problem: str | None = None):
    """The WSGI application. ``pool`` (a PoolWSGIServer) feeds /stats; the page links to ``uwsgi_url``."""

    def application(environ, start_response):
        path = environ.get("PATH_INFO", "/")
        query = parse_qs(environ.get("QUERY_STRING", ""))
        if path == "/":
            html = PAGE.read_text(encoding="utf-8")
            config = {"workers": pool.workers if pool else None, "uwsgiUrl": uwsgi_url, "uwsgiProblem": uwsgi_problem}
            body = html.replace("/*CONFIG*/{}", json.dumps(config)).encode()
            start_response("200 OK", [("Content-Type", "text/html; charset=utf-8"), ("Content-Length", str(len(body)))])
            return [body]
        if path == "/slow":
            try:
                seconds = float(query.get("seconds", ["1"])[0])
            except ValueError:
                seconds = -1.0
            if not 0 <= seconds <= MAX_SLEEP:
                return _json(start_response, "400 Bad Request",
                             {"error": f"seconds must be a number from 0 to {MAX_SLEEP:g}"}, environ)
            started = time.monotonic()
            time.sleep(seconds)  # the worker can do nothing else meanwhile
            return _json(start_response, "200 OK", {"slept": round(time.monotonic() - started, 3)}, environ)
        if path == "/ping":
            return _json(start_response, "200 OK", {"pong": True}, environ)
        if path == "/stats" and pool is not None:
            return _json(start_response, "200 OK", pool.stats(), environ)
        return _json(start_response, "404 Not Found", {"error": f"no page at {path}"}, environ)

    return application
