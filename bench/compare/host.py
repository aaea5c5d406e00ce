"""One architecture's servers in a process of their own: the *host*.

The load generator starts ``python -m bench.compare.host KEY``; the host starts the
architecture (``servers.serve_*``: the lesson's launcher), prints one line ``READY {json}``
with what the clients need, and serves until its standard input closes; then it stops
everything it started and exits. A failure to start is one line ``ERROR why``.

Why a process: lessons 01, 02 and 05 serve Django *inside* the process that launches them,
and Django can be set up once per process; and ``/proc`` can only tell the servers' memory,
threads and CPU apart from the clients' if they are different processes.
"""

from __future__ import annotations

import json
import os
import select
import subprocess
import sys
import time
from pathlib import Path

from workshop import paths, procs

READY, ERROR = "READY ", "ERROR "


def main(argv: list[str]) -> int:
    from . import servers
    from .architectures import BY_KEY

    arch = BY_KEY[argv[0]]
    try:
        with getattr(servers, arch.serve)() as info:
            print(READY + json.dumps(info), flush=True)
            os.dup2(2, 1)  # whatever the servers print from now on goes to the log, never to a full pipe
            sys.stdin.read()  # until the load generator closes it
    except Exception as exc:  # noqa: BLE001 - reported to the load generator, which goes on
        print(ERROR + f"{type(exc).__name__}: {exc}".replace("\n", " ")[:600], flush=True)
        return 1
    return 0


class Host:
    """The load generator's handle on a host: ``info`` once ready, ``pids()`` to read in /proc."""

    def __init__(self, key: str, in_process: bool, log_path: Path, start_timeout: float = 120.0):
        self.key, self.in_process = key, in_process
        self.log = open(log_path, "wb")
        env = {**os.environ, "PYTHONUNBUFFERED": "1"}
        self.proc = procs.spawn([sys.executable, "-m", "bench.compare.host", key], stdin=subprocess.PIPE,
                                stdout=subprocess.PIPE, stderr=self.log, cwd=str(paths.REPO_ROOT), env=env)
        self.info = self._wait(start_timeout)

    def _wait(self, timeout: float) -> dict:
        end, buffer = time.monotonic() + timeout, b""
        while time.monotonic() < end:
            ready, _, _ = select.select([self.proc.stdout], [], [], 0.5)
            if ready:
                chunk = os.read(self.proc.stdout.fileno(), 65536)
                if not chunk:
                    break
                buffer += chunk
                for line in buffer.decode(errors="replace").splitlines():
                    if line.startswith(READY):
                        return json.loads(line[len(READY):])
                    if line.startswith(ERROR):
                        self.stop()
                        raise RuntimeError(line[len(ERROR):])
            elif self.proc.poll() is not None:
                break
        self.stop()
        raise RuntimeError(f"the host of {self.key} did not get ready (see {self.log.name})")

    def pids(self) -> list[int]:
        """Every server process of this architecture: the host's descendants, and the host when it serves."""
        found = sorted(procs.descendants(self.proc.pid))
        return ([self.proc.pid] if self.in_process else []) + found

    def stop(self) -> None:
        if self.proc.stdin and not self.proc.stdin.closed:
            try:
                self.proc.stdin.close()
            except OSError:
                pass
        try:
            self.proc.wait(timeout=40)
        except subprocess.TimeoutExpired:
            pass
        procs.stop_tree(self.proc)  # whatever is left of the tree, then reap the host
        if self.proc.stdout:
            self.proc.stdout.close()
        self.log.close()


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
