"""Serve a Channels lesson's application with uvicorn instead of Daphne, for ``bench/compare``.

The same command line as ``workshop.asgi_server`` (the lesson's folder, the exercise folder, the
settings and the factory), the same ready line, so a ``Service`` waits for it the same way::

    python -m bench.compare.uvicorn_server --lesson-dir lessons/06-django-channels \\
        --exercise-dir solutions/06-django-channels --settings chatsite.settings \\
        --factory chatsite.asgi:application_for --port 8000

uvicorn runs one asyncio loop on one thread, speaking HTTP with h11 and WebSockets with the
``websockets`` library's sans-I/O protocol; Daphne runs Twisted on the asyncio reactor.
"""

from __future__ import annotations

import sys

from workshop import asgi_server


def main(args: list[str] | None = None) -> int:
    parser = asgi_server.application_parser(__doc__)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, required=True)
    options = parser.parse_args(args)
    asgi_server.prepare(options, quiet=True)
    import uvicorn

    application = asgi_server.build_application(options)

    class Server(uvicorn.Server):
        async def startup(self, sockets=None) -> None:
            await super().startup(sockets)
            if self.started:  # the socket listens: the line the launcher waits for
                print(f"{asgi_server.READY_LINE}{options.host}:{options.port}/", flush=True)

    config = uvicorn.Config(application, host=options.host, port=options.port, lifespan="off", access_log=False,
                            log_level="warning", ws="websockets-sansio", ws_ping_interval=None)
    server = Server(config)
    server.run()
    return 0 if server.started else 1


if __name__ == "__main__":
    sys.exit(main())
