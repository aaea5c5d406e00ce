"""Lesson 00's demo: watch a heartbeat freeze when a blocking call runs on the event loop.

    python -m checker serve 00                      # your primer.py
    python -m checker serve 00 --target solutions   # the reference solution

One asyncio server (``asyncio.start_server``, plain HTTP) streams a heartbeat to the page every
50 ms (Server-Sent Events) and, when you press a button, waits one second in the same event loop:
with ``time.sleep`` (the heartbeat freezes for everyone), with your ``greet_later`` (an
``await asyncio.sleep``) or with your ``off_the_loop`` (``asyncio.to_thread``). Open it in two tabs:
the freeze hits both, because one loop serves every connection. Ctrl-C stops it (exit code 0).
"""

from __future__ import annotations

import asyncio
import json
import sys
import time
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

LESSON_DIR = Path(__file__).resolve().parent
REPO_ROOT = LESSON_DIR.parent.parent
if str(REPO_ROOT) not in sys.path:
    sys.path.insert(0, str(REPO_ROOT))

from workshop import demo, learner  # noqa: E402

BEAT = 0.05
PAGE = """<!doctype html><meta charset="utf-8"><title>Lesson 00: one loop, every connection</title>
<style>body{font:16px system-ui;margin:2em}#late{font-size:3em}button{font-size:1em;margin:.3em}</style>
<h1>Heartbeat of the event loop</h1>
<p>The server sends a beat every 50 ms. Lateness of the last beat: <span id="late">-</span> ms,
worst so far: <span id="worst">0</span> ms.</p>
<button data-way="block">time.sleep(1) on the loop</button>
<button data-way="greet">await greet_later(..., 1)</button>
<button data-way="thread">await off_the_loop(time.sleep, 1)</button>
<p id="answer"></p>
<script>
let worst = 0;
new EventSource("/beats").onmessage = (e) => {
  const late = JSON.parse(e.data).late_ms; worst = Math.max(worst, late);
  document.getElementById("late").textContent = late.toFixed(1);
  document.getElementById("worst").textContent = worst.toFixed(1);
};
for (const b of document.querySelectorAll("button")) b.onclick = async () => {
  worst = 0; document.getElementById("answer").textContent = "waiting...";
  document.getElementById("answer").textContent = await (await fetch("/wait?way=" + b.dataset.way)).text();
};
</script>
"""


async def _wait(way: str, primer) -> str:
    """One second of waiting, the way the button asked; what happened, in words."""
    started = time.perf_counter()
    try:
        if way == "block":
            time.sleep(1)
        elif way == "greet":
            await primer.greet_later("demo", 1)
        else:
            await primer.off_the_loop(time.sleep, 1)
    except NotImplementedError as missing:
        return f"{missing} is still a stub in primer.py: write it, then restart the demo."
    return f"{way}: waited {time.perf_counter() - started:.2f} s"


async def _respond(writer, status: str, content_type: str, body: bytes) -> None:
    writer.write(f"HTTP/1.1 {status}\r\nContent-Type: {content_type}\r\nContent-Length: {len(body)}\r\n"
                 "Connection: close\r\n\r\n".encode() + body)
    await writer.drain()


async def _beats(writer) -> None:
    writer.write(b"HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\nCache-Control: no-cache\r\n\r\n")
    while True:
        due = time.perf_counter() + BEAT
        await asyncio.sleep(BEAT)
        late = max(0.0, time.perf_counter() - due) * 1000
        writer.write(f"data: {json.dumps({'late_ms': late})}\n\n".encode())
        await writer.drain()


def handler(primer):
    async def handle(reader, writer):
        try:
            request = (await reader.readline()).decode("latin-1").split()
            while (await reader.readline()) not in (b"\r\n", b"\n", b""):
                pass
            url = urlsplit(request[1] if len(request) > 1 else "/")
            if url.path == "/beats":
                await _beats(writer)
            elif url.path == "/wait":
                way = parse_qs(url.query).get("way", ["block"])[0]
                await _respond(writer, "200 OK", "text/plain; charset=utf-8", (await _wait(way, primer)).encode())
            else:
                await _respond(writer, "200 OK", "text/html; charset=utf-8", PAGE.encode())
        except (ConnectionError, asyncio.IncompleteReadError):
            pass
        finally:
            writer.close()
    return handle


async def serve(host: str, port: int, primer) -> None:
    server = await asyncio.start_server(handler(primer), host, port)
    print(f"Lesson 00 demo at http://{host}:{port}/ : press the buttons and watch the heartbeat. Ctrl-C to stop.",
          flush=True)
    async with server:
        await server.serve_forever()


def main(argv: list[str] | None = None) -> int:
    args = demo.argument_parser(LESSON_DIR, __doc__.splitlines()[0], "primer.py").parse_args(argv)
    code = demo.cannot_start(args.host, [args.port], args.exercise_dir, ["primer"], "the lesson 00 demo")
    if code is not None:
        return code
    learner.activate(LESSON_DIR, args.exercise_dir)
    try:
        primer = learner.import_learner("primer", args.exercise_dir)
    except learner.LearnerCodeError as problem:
        print(f"Cannot start the demo: {problem}", file=sys.stderr)
        return demo.EXIT_START_FAILED
    demo.stop_on_signals()
    try:
        asyncio.run(serve(args.host, args.port, primer))
    except KeyboardInterrupt:
        print("stopped", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
