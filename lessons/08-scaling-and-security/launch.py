"""Lesson 08's cluster, started once for the demo, the checks and the benchmark::

    with launch(exercise_dir, Ports(http=8000, backend1=8101, backend2=8102)) as site:
        site.url("http")                 # the round-robin balancer: the one port browsers use
        site.services["daphne-1"]        # each backend (.port, .log_tail())
        site.extras["origin"]            # the page's origin, the one the consumer must allow

A real Redis (unless ``redis_url`` names one already running: the channel layer and the
per-user connection counts), ``backends`` Daphne processes serving
``scalesite.asgi.application_for(exercise_dir)`` on ``ports["backend1"]``, ``ports["backend2"]``, ...
(a port not given is a free one), and the balancer (``balancer.py``) on ``ports["http"]``.
Every Daphne shares one SQLite file (users and sessions: a cookie set by one is valid on all).
``layer="memory"`` gives each process its own in-memory channel layer instead: the broken setup
the lesson demonstrates. (The balancer stays in this process; a later version may put nginx there.)
"""

from __future__ import annotations

import shutil
import sys
import tempfile
from pathlib import Path

LESSON_DIR = Path(__file__).resolve().parent
if str(LESSON_DIR) not in sys.path:
    sys.path.insert(0, str(LESSON_DIR))  # balancer.py, run as scaffolding from here

from balancer import BalancerThread  # noqa: E402
from checker.probes import daphne  # noqa: E402
from workshop import net  # noqa: E402
from workshop.launch import Launch, Ports, start_all  # noqa: E402
from workshop.redis_server import RedisServer  # noqa: E402

SETTINGS = "scalesite.settings"


def backend_names(count: int) -> list[str]:
    """The port names of ``count`` backends: backend1, backend2, ..."""
    return [f"backend{number}" for number in range(1, count + 1)]


def launch(exercise_dir: Path, ports: Ports, *, backends: int = 2, layer: str = "redis", redis_url: str | None = None,
           db_path: str | None = None, extra_env: dict | None = None, access_log: bool = True,
           ready_timeout: float = 20.0, echo: bool = False) -> Launch:
    """Redis, ``backends`` Daphne processes and the balancer in front of them on ``ports["http"]``.

    ``extra_env`` reaches every backend's settings (the benchmark raises the limits with it);
    ``echo`` copies the backends' logs to this terminal, each line prefixed with its name.
    """
    exercise_dir = Path(exercise_dir).resolve()
    for name in backend_names(backends):
        ports.setdefault(name, net.free_port(ports.host))

    def start(site: Launch) -> None:
        folder = tempfile.mkdtemp(prefix="workshop-08-")
        site.callback(shutil.rmtree, folder, True)
        url = redis_url or site.enter(RedisServer()).url
        origin = ports.url("http")
        site.extras.update(redis_url=url, origin=origin, db_path=db_path or str(Path(folder) / "scale.sqlite3"))
        origins = [origin, f"http://localhost:{ports['http']}"] + [ports.url(n) for n in backend_names(backends)]
        servers = []
        for number, port_name in enumerate(backend_names(backends), 1):
            name = f"daphne-{number}"
            env = {"WORKSHOP_BACKEND_NAME": name, "WORKSHOP_REDIS_URL": url, "WORKSHOP_LAYER": layer,
                   "WORKSHOP_SCALE_DB": site.extras["db_path"], "WORKSHOP_ALLOWED_ORIGINS": ",".join(origins),
                   **(extra_env or {})}
            servers.append(site.add(daphne.service(
                name, ports[port_name], lesson_dir=LESSON_DIR, exercise_dir=exercise_dir, settings=SETTINGS,
                factory="scalesite.asgi:application_for", env=env, host=ports.host, access_log=access_log,
                log_path=Path(folder) / f"{name}.log", timeout=ready_timeout)))
        start_all(servers)
        if echo:
            import threading

            stop = threading.Event()
            site.callback(stop.set)
            daphne.follow(servers, stop=stop)
        balancer = BalancerThread([s.port for s in servers], ports.host, ports["http"]).start()
        site.callback(balancer.stop)

    return Launch(ports, start)


def logs(site: Launch, lines: int = 40) -> str:
    """The last ``lines`` lines of every backend's log, each under its name."""
    return "\n".join(f"--- {name}\n{daphne.log(server, lines)}" for name, server in site.services.items())
