"""Run Channels' background worker (``manage.py runworker``) on a lesson's application, handed its
exercise folder explicitly.

``python manage.py runworker jobs-worker`` takes the application from the ``ASGI_APPLICATION``
setting, a dotted name that cannot say *whose* code to run. This entry point builds it with the
lesson's factory, from the folder on its command line, then does what ``runworker`` does::

    python -m workshop.channels_worker --lesson-dir lessons/07-task-queues \\
        --exercise-dir exercises/07-task-queues --settings jobsite.settings \\
        --factory jobsite.asgi:application_for jobs-worker

That is Channels' ``channels.worker.Worker(application, channels, channel_layer).run()``: for
each named channel it loops on ``channel_layer.receive(name)`` and hands every message to *one*
application instance for that channel, built from the ``"channel"`` entry of the application's
``ProtocolTypeRouter`` with the scope ``{"type": "channel", "channel": name}``. The worker opens
no port: it logs ``Running worker for channels [...]`` (``READY_LINE``, the launchers' ready-when
test, the same words as ``runworker``'s) just before it starts receiving; a message sent before
that waits in Redis (up to the layer's ``expiry``) and is not lost.
"""

from __future__ import annotations

import sys
import warnings

from workshop import asgi_server

READY_LINE = "Running worker for channels"

# Safe to import before a fork (workshop.server_forks): no thread, socket, event loop at import.
WARM_IMPORTS = ("django", "channels", "channels.routing", "channels.layers", "channels.worker",
                "channels.consumer", "channels_redis.core", "redis")


def argv(lesson_dir, exercise_dir, settings: str, factory: str, channels: list[str]) -> list[str]:
    """The command line of a worker for ``channels`` on this interpreter (``-P``)."""
    return [sys.executable, "-P", "-m", "workshop.channels_worker", "--lesson-dir", str(lesson_dir),
            "--exercise-dir", str(exercise_dir), "--settings", settings, "--factory", factory, *channels]


def main(args: list[str] | None = None) -> int:
    parser = asgi_server.application_parser(__doc__)
    parser.add_argument("--layer", default="default", help="the channel layer's alias (CHANNEL_LAYERS)")
    parser.add_argument("channels", nargs="+", help="the channel names to receive from, e.g. jobs-worker")
    options = parser.parse_args(args)
    asgi_server.prepare(options)
    application = asgi_server.build_application(options)  # sets Django up

    from channels.layers import get_channel_layer
    from channels.worker import Worker

    layer = get_channel_layer(options.layer)
    if layer is None:
        print(f"No channel layer {options.layer!r}: CHANNEL_LAYERS is not configured.", file=sys.stderr)
        return 1
    if "channel" not in getattr(application, "application_mapping", {"channel": None}):
        print("The application routes no 'channel' messages: ProtocolTypeRouter needs a \"channel\" entry "
              "(a ChannelNameRouter).", file=sys.stderr)
        return 1
    # Channels' Worker hands each consumer a plain lambda as its ``send``, and a SyncConsumer wraps it in
    # async_to_sync, which warns once per consumer instance: noise in the learner's terminal, not their bug.
    warnings.filterwarnings("ignore", message="async_to_sync was passed a non-async-marked callable")
    worker = Worker(application=application, channels=options.channels, channel_layer=layer)
    print(f"{READY_LINE} {options.channels} on {type(layer).__name__}", flush=True)
    worker.run()
    return 0


if __name__ == "__main__":
    sys.exit(main())
