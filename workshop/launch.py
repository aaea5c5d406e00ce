"""Launchers: how a lesson starts its servers, once, for its demo, its checks and its benchmark.

Each lesson has one ``lessons/NN-slug/launch.py`` whose ``launch(...)`` returns a ``Launch``:
a context manager that starts the lesson's servers on the ports it is *given* (explicit ports,
never ``port + 1``), waits until each is ready (its port accepts connections, or a line appears
in its log), and stops every one of them, whatever happens::

    with launch(exercise_dir, ports=Ports(http=8000, sidecar=8001)) as site:
        site.url("http")            # http://127.0.0.1:8000
        site.services["sidecar"]    # a ServerProcess: .log_tail(), .proc

``supervise(site, banner)`` is the body of every ``demo.py``: start, print the banner, serve until
Ctrl-C / SIGTERM or until a server dies (saying which and why), stop everything.
"""

from __future__ import annotations

import contextlib
import re
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field

from . import net, procs


class Ports(dict):
    """Named loopback ports, ``Ports(http=8000, sidecar=0)``; 0 means "any free port"."""

    def __init__(self, host: str = net.LOOPBACK, **named: int):
        super().__init__({name: port or net.free_port(host) for name, port in named.items()})
        self.host = host

    def url(self, name: str, scheme: str = "http") -> str:
        return f"{scheme}://{self.host}:{self[name]}"

    @classmethod
    def free(cls, *names: str, host: str = net.LOOPBACK) -> "Ports":
        return cls(host, **{name: 0 for name in names})

    @classmethod
    def held(cls, *names: str, host: str = net.LOOPBACK) -> "Ports":
        """Free ports kept from every other process until ``release()`` (or the end of ``with``), for
        servers started long after their ports are known; they must set SO_REUSEADDR (``net.hold_port``).
        Where ports cannot be held (not Linux), the same as ``free``."""
        if not net.CAN_HOLD_PORTS:
            return cls.free(*names, host=host)
        holds = [net.hold_port(host) for _ in names]
        ports = cls(host, **{name: sock.getsockname()[1] for name, sock in zip(names, holds)})
        ports._holds = holds
        return ports

    def release(self) -> None:
        """Let go of the ports ``held`` kept (the servers that bound them keep them)."""
        for sock in getattr(self, "_holds", ()):
            sock.close()
        self._holds = []

    def __enter__(self) -> "Ports":
        return self

    def __exit__(self, *exc) -> None:
        self.release()


class Service(procs.ServerProcess):
    """A server subprocess that is *ready when* its port accepts connections and, if given,
    when a line matching ``ready_line`` (a regular expression) has appeared in its log."""

    def __init__(self, name: str, argv, port: int, *, ready_line: str | None = None, **kwargs):
        super().__init__(argv, port, **kwargs)
        self.name = name
        self.ready_line = re.compile(ready_line) if ready_line else None

    def start(self) -> "Service":
        super().start()
        if self.ready_line is not None:
            self.wait_ready(lambda: self.ready_line.search(self.log_tail(200)),
                            f"{self.name} never logged a line matching {self.ready_line.pattern!r}.")
        return self

    def wait_ready(self, ready, failure: str, interval: float = 0.05) -> None:
        """After the port answers, wait for ``ready()`` as well, within ``ready_timeout``; if the
        server exits or the time passes first, stop it and raise ``failure`` with its log's tail."""
        end = time.monotonic() + self.ready_timeout
        while not ready():
            if self.proc.poll() is not None or time.monotonic() > end:
                tail = self.log_tail()
                self.stop()
                raise RuntimeError(f"{failure}\n{tail}")
            time.sleep(interval)


def start_all(services: list[procs.ServerProcess]) -> None:
    """Start ``services`` side by side (their start-ups overlap); stop them all if one fails."""
    if not services:
        return

    def start(service):
        try:
            service.start()
        except Exception as exc:  # noqa: BLE001 - reported below, after every start has ended
            return exc
        return None

    with ThreadPoolExecutor(max_workers=len(services)) as pool:
        errors = [e for e in pool.map(start, services) if e is not None]
    if errors:
        stop_all(services)
        raise errors[0]


def stop_all(services) -> None:
    services = list(services)
    if services:
        with ThreadPoolExecutor(max_workers=len(services)) as pool:
            list(pool.map(lambda s: s.stop(), services))


@dataclass
class Launch:
    """What a lesson's ``launch()`` returns: running services and the ports they use.

    ``start`` is a function that starts the lesson's servers on ``self`` (adding them with
    ``add``/``callback``) and returns nothing; everything added is stopped by ``stop()``.
    """

    ports: Ports
    start: object = None
    services: dict = field(default_factory=dict)
    extras: dict = field(default_factory=dict)  # anything else the lesson hands out (a Redis URL, a folder)
    _stack: contextlib.ExitStack = field(default_factory=contextlib.ExitStack)

    def url(self, name: str | None = None, scheme: str = "http") -> str:
        return self.ports.url(name or next(iter(self.ports)), scheme)

    def add(self, service: procs.ServerProcess, name: str | None = None):
        """Keep ``service`` (started or not) to be stopped with the launch."""
        self.services[name or getattr(service, "name", str(len(self.services)))] = service
        self._stack.callback(service.stop)
        return service

    def enter(self, context_manager):
        """Enter a context manager (a Redis server, an in-process server) until the launch stops."""
        return self._stack.enter_context(context_manager)

    def callback(self, function, *args) -> None:
        self._stack.callback(function, *args)

    def died(self) -> str | None:
        """A message naming a service whose process has exited, or ``None`` while all run."""
        for name, service in self.services.items():
            proc = getattr(service, "proc", None)
            if proc is not None and proc.poll() is not None:
                return f"{name} exited with code {proc.returncode}:\n{service.log_tail()}"
        return None

    def __enter__(self) -> "Launch":
        try:
            if self.start is not None:
                self.start(self)
        except BaseException:
            self.stop()
            raise
        return self

    def stop(self) -> None:
        self._stack.close()

    def __exit__(self, *exc) -> None:
        self.stop()


def supervise(site: Launch, banner: str, poll: float = 0.5) -> int:
    """The body of a demo: start ``site``, print ``banner``, serve until Ctrl-C or a death."""
    from . import demo

    demo.stop_on_signals()
    try:
        with site:
            print(banner, flush=True)
            while True:
                problem = site.died()
                if problem:
                    print(f"\nA server stopped, so the demo stops too: {problem}", file=sys.stderr)
                    return 1
                time.sleep(poll)
    except KeyboardInterrupt:
        print("\nStopped.", flush=True)
        return 0
    except RuntimeError as err:  # a server that could not start says why
        print(f"Cannot start the demo: {err}", file=sys.stderr)
        return 1
