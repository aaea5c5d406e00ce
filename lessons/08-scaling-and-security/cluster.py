"""Start a small cluster (scaffolding): a real Redis, N Daphne processes, the round-robin balancer.

The demo, the checker and the benchmark all use it::

    with Cluster(exercise_dir, backends=2) as cluster:
        cluster.url          # http://127.0.0.1:PORT/ (the balancer)
        cluster.backends     # [ServerProcess, ...], each .port and .name

Every Daphne shares one SQLite file (users and sessions) and one Redis (channel layer and
connection counts). ``layer="memory"`` gives each process its own in-memory channel layer
instead: the broken setup the lesson demonstrates.
"""

from __future__ import annotations

import shutil
import sys
import tempfile
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

HERE = Path(__file__).resolve().parent
for _p in (str(HERE), str(HERE.parent.parent)):
    if _p not in sys.path:
        sys.path.insert(0, _p)

from balancer import BalancerThread  # noqa: E402
from scalesite.launch import daphne_argv, daphne_env  # noqa: E402
from workshop import net, procs  # noqa: E402
from workshop.redis_server import RedisServer  # noqa: E402


class Cluster:
    def __init__(self, exercise_dir: Path, *, backends: int = 2, host: str = net.LOOPBACK, port: int = 0,
                 layer: str = "redis", redis_url: str | None = None, db_path: str | None = None,
                 extra_env: dict | None = None, access_log: bool = True, log_dir: Path | None = None):
        self.exercise_dir = Path(exercise_dir).resolve()
        self.count = backends
        self.host = host
        self.port = port or net.free_port(host)
        self.layer = layer
        self.redis_url = redis_url
        self.db_path = db_path
        self.extra_env = extra_env or {}
        self.access_log = access_log
        self.log_dir = log_dir
        self.redis: RedisServer | None = None
        self.backends: list[procs.ServerProcess] = []
        self.balancer: BalancerThread | None = None
        self._folder: str | None = None

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}/"

    @property
    def origin(self) -> str:
        return f"http://{self.host}:{self.port}"

    def start(self) -> "Cluster":
        try:
            self._start()
        except BaseException:
            self.stop()
            raise
        return self

    def _start(self) -> None:
        self._folder = tempfile.mkdtemp(prefix="workshop-08-")
        if self.redis_url is None:
            self.redis = RedisServer().start()
            self.redis_url = self.redis.url
        db_path = self.db_path or str(Path(self._folder) / "scale.sqlite3")
        ports = [net.free_port(self.host) for _ in range(self.count)]
        origins = [self.origin, f"http://localhost:{self.port}"] + [f"http://{self.host}:{p}" for p in ports]
        for number, port in enumerate(ports, 1):
            name = f"daphne-{number}"
            env = daphne_env(self.exercise_dir, name=name, redis_url=self.redis_url, db_path=db_path,
                             allowed_origins=origins, layer=self.layer, extra=self.extra_env)
            log = Path(self.log_dir or self._folder) / f"{name}.log"
            server = procs.ServerProcess(daphne_argv(port, self.host, access_log=self.access_log), port,
                                         host=self.host, env=env, cwd=str(HERE), log_path=log, ready_timeout=20)
            server.name = name
            self.backends.append(server)
        with ThreadPoolExecutor(max_workers=self.count) as pool:
            errors = [e for e in pool.map(_start_one, self.backends) if e]
        if errors:
            raise RuntimeError("Daphne did not start: " + errors[0])
        self.balancer = BalancerThread([s.port for s in self.backends], self.host, self.port).start()

    def stop(self) -> None:
        if self.balancer is not None:
            self.balancer.stop()
            self.balancer = None
        if self.backends:
            with ThreadPoolExecutor(max_workers=len(self.backends)) as pool:
                list(pool.map(lambda s: s.stop(), self.backends))
        if self.redis is not None:
            self.redis.stop()
            self.redis = None
        if self._folder:
            shutil.rmtree(self._folder, ignore_errors=True)
            self._folder = None

    def logs(self, lines: int = 40) -> str:
        return "\n".join(f"--- {s.name}\n{s.log_tail(lines)}" for s in self.backends)

    def __enter__(self) -> "Cluster":
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()


def _start_one(server) -> str:
    try:
        server.start()
    except RuntimeError as exc:
        return str(exc)
    return ""
