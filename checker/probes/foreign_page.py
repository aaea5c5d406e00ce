"""A page of *another* origin on the loopback interface: the attacker in a cross-site WebSocket test.

Any local dev server (a notebook, another lesson's demo) is a page on ``http://127.0.0.1:<port>``.
For cookies, every port of 127.0.0.1 is the *same site*, so a browser sends the chat's
``SameSite=Lax`` session cookie with a WebSocket that such a page opens to the chat's port. This
module serves that page, from a thread of this process, so a check or a test can open it in the
victim's Chromium and watch what the socket did::

    with serve(hijack_page(f"ws://127.0.0.1:{port}/ws/chat/lobby/")) as url:
        page.goto(url)       # the page reports in document.body.dataset (see hijack_page)
"""

from __future__ import annotations

import contextlib
import http.server
import json
import threading

from workshop.net import LOOPBACK

HIJACK_TEXT = "posted by a page of another origin"

_HIJACK = """<!doctype html>
<meta charset="utf-8"><title>another local app</title>
<body data-state="connecting">
<p>Nothing to see here: this page quietly opens another site's WebSocket with your cookies.</p>
<script>
const socket = new WebSocket(%(target)s);
const mark = (key, value) => { document.body.dataset[key] = value; };
socket.onopen = () => {
  mark("state", "open");
  socket.send(JSON.stringify({type: "message", text: %(text)s}));
};
socket.onmessage = (event) => {
  let frame = {};
  try { frame = JSON.parse(event.data); } catch (err) { return; }
  if (frame.type === "history") mark("history", JSON.stringify(frame.messages.map((m) => m.text)));
  if (frame.type === "message") mark("posted", frame.author || "?");
};
socket.onclose = (event) => {
  mark("closed", String(event.code));
  if (document.body.dataset.state !== "open") mark("state", "refused");
};
</script>
"""


def hijack_page(target: str, text: str = HIJACK_TEXT) -> str:
    """HTML that opens ``target`` (a ``ws://`` URL) and reports in ``document.body.dataset``:
    ``state`` (connecting, open, refused), ``history`` (the texts it read, as JSON), ``posted``
    (the author the server gave its message), ``closed`` (the close code)."""
    return _HIJACK % {"target": json.dumps(target), "text": json.dumps(text)}


@contextlib.contextmanager
def serve(html: str, host: str = LOOPBACK, port: int = 0):
    """Serve ``html`` at ``/`` on ``http://host:port/`` (a free port by default); yield the URL."""
    body = html.encode("utf-8")

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self):  # noqa: N802 - the standard library's name
            self.send_response(200)
            self.send_header("Content-Type", "text/html; charset=utf-8")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args):  # quiet
            pass

    server = http.server.ThreadingHTTPServer((host, port), Handler)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    try:
        yield f"http://{host}:{server.server_address[1]}/"
    finally:
        server.shutdown()
        server.server_close()
        thread.join()
