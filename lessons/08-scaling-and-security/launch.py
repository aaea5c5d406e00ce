"""Lesson 08's cluster, started once for the demo, the checks and the benchmark::

    with launch(exercise_dir, Ports(http=8000, https=8443, backend1=8101, backend2=8102)) as site:
        site.url("http")                 # the front (nginx, or the TCP balancer): the one port browsers use
        site.extras["https_origin"]      # nginx terminating TLS (self-signed) on ports["https"], or None
        site.services["daphne-1"]        # each backend (.port, .log_tail())
        site.extras["origin"]            # the page's origin, the one the consumer must allow

A real Redis (unless ``redis_url`` names one already running: the channel layer and the
per-user connection counts), ``backends`` Daphne processes serving
``scalesite.asgi.application_for(exercise_dir)`` on ``ports["backend1"]``, ``ports["backend2"]``, ...
(a port not given is a free one), and the front on ``ports["http"]``: a real nginx when one is
installed (``front="auto"``), configured from ``nginx.conf.template`` with the proxy part
``proxy_conf`` (default: the learner's ``proxy.conf``) and, when ``ports`` names ``https``, TLS
terminated with a certificate made at start-up; else (or with ``front="balancer"``) the TCP
balancer of ``balancer.py``, in this process. Every Daphne shares one SQLite file (users and
sessions: a cookie set by one is valid on all). ``layer="memory"`` gives each process its own
in-memory channel layer instead: the broken setup the lesson demonstrates.
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
from workshop import net, nginx, paths  # noqa: E402
from workshop.launch import Launch, Ports, start_all  # noqa: E402
from workshop.redis_server import RedisServer  # noqa: E402

SETTINGS = "scalesite.settings"
TEMPLATE = LESSON_DIR / "nginx.conf.template"
READ_TIMEOUT = 60.0  # nginx's proxy_read_timeout (its default); the keep-alive check makes it short


def backend_names(count: int) -> list[str]:
    """The port names of ``count`` backends: backend1, backend2, ..."""
    return [f"backend{number}" for number in range(1, count + 1)]


def front_kind(front: str = "auto") -> str:
    """"nginx" or "balancer": what ``launch(front=...)`` puts in front of the Daphnes."""
    if front == "auto":
        return "nginx" if nginx.find_nginx() else "balancer"
    if front == "nginx" and nginx.find_nginx() is None:
        raise RuntimeError(nginx.install_instructions())
    return front


def nginx_front(backend_ports: list[int], prefix: Path, *, proxy_conf: Path, http_port: int,
                https_port: int | None = None, read_timeout: float = READ_TIMEOUT, host: str = net.LOOPBACK,
                name: str = "nginx", timeout: float = 10.0) -> nginx.Nginx:
    """An nginx (not started yet) on ``http_port`` (and TLS on ``https_port``) in front of ``backend_ports``.

    Its config is ``nginx.conf.template`` with ``proxy_conf`` included inside ``location /``;
    everything it writes stays in ``prefix`` (a folder of the caller's).
    """
    prefix = Path(prefix)
    prefix.mkdir(parents=True, exist_ok=True)
    tls = ""
    if https_port:
        cert, key = nginx.self_signed(prefix, host)
        tls = (f"        listen {host}:{https_port} ssl;\n        ssl_certificate {cert};\n"
               f"        ssl_certificate_key {key};")
    servers = "\n".join(f"        server {host}:{port} max_fails=1 fail_timeout=5s;" for port in backend_ports)
    config = nginx.render(TEMPLATE.read_text(), servers=servers, host=host, http_port=http_port, tls=tls,
                          read_timeout=f"{round(read_timeout * 1000)}ms",  # nginx times: whole units only
                          lesson_dir=LESSON_DIR, proxy_conf=Path(proxy_conf).resolve())
    return nginx.Nginx(config, prefix, http_port, name=name, host=host, timeout=timeout)


def reference_proxy() -> Path:
    """The reference proxy part (the solution's ``proxy.conf``): the front of the checks that grade
    the consumer, so a learner's unfinished proxy.conf costs only the checks that grade it."""
    return paths.exercise_dir(paths.SOLUTIONS, LESSON_DIR.name) / "proxy.conf"


def ping_argv(ping: dict | None) -> list[str]:
    """Daphne's options for ``ping`` ({"ping_interval": s, "ping_timeout": s}); [] keeps Daphne's 20 s and 30 s."""
    if not ping:
        return []
    return ["--ping-interval", f"{ping['ping_interval']:g}", "--ping-timeout", f"{ping['ping_timeout']:g}"]


def launch(exercise_dir: Path, ports: Ports, *, backends: int = 2, layer: str = "redis", redis_url: str | None = None,
           db_path: str | None = None, extra_env: dict | None = None, access_log: bool = True,
           ready_timeout: float = 20.0, echo: bool = False, front: str = "auto", proxy_conf: Path | None = None,
           read_timeout: float = READ_TIMEOUT, ping: dict | None = None, extra_origins: list[str] = ()) -> Launch:
    """Redis, ``backends`` Daphne processes and the front in front of them on ``ports["http"]``.

    ``extra_env`` reaches every backend's settings (the benchmark raises the limits with it);
    ``echo`` copies the backends' logs to this terminal, each line prefixed with its name;
    ``read_timeout`` is nginx's ``proxy_read_timeout`` and ``ping`` Daphne's ping options
    (``keepalive.ping_options``; None keeps Daphne's defaults); ``extra_origins`` are allowed too
    (the origins of another front the caller starts later, with ``nginx_front``).
    """
    exercise_dir = Path(exercise_dir).resolve()
    kind = front_kind(front)
    for name in backend_names(backends):
        ports.setdefault(name, net.free_port(ports.host))

    def start(site: Launch) -> None:
        folder = tempfile.mkdtemp(prefix="workshop-08-")
        site.callback(shutil.rmtree, folder, True)
        url = redis_url or site.enter(RedisServer()).url
        origin = ports.url("http")
        https_origin = ports.url("https", "https") if kind == "nginx" and "https" in ports else None
        site.extras.update(redis_url=url, origin=origin, https_origin=https_origin, front=kind,
                           db_path=db_path or str(Path(folder) / "scale.sqlite3"))
        origins = [origin, f"http://localhost:{ports['http']}"] + [ports.url(n) for n in backend_names(backends)]
        origins += ([https_origin, f"https://localhost:{ports['https']}"] if https_origin else []) + list(extra_origins)
        servers = []
        for number, port_name in enumerate(backend_names(backends), 1):
            name = f"daphne-{number}"
            env = {"WORKSHOP_BACKEND_NAME": name, "WORKSHOP_REDIS_URL": url, "WORKSHOP_LAYER": layer,
                   "WORKSHOP_SCALE_DB": site.extras["db_path"], "WORKSHOP_ALLOWED_ORIGINS": ",".join(origins),
                   **(extra_env or {})}
            servers.append(site.add(daphne.service(
                name, ports[port_name], lesson_dir=LESSON_DIR, exercise_dir=exercise_dir, settings=SETTINGS,
                factory="scalesite.asgi:application_for", env=env, host=ports.host, access_log=access_log,
                log_path=Path(folder) / f"{name}.log", timeout=ready_timeout, extra=ping_argv(ping))))
        start_all(servers)
        if echo:
            import threading

            stop = threading.Event()
            site.callback(stop.set)
            daphne.follow(servers, stop=stop)
        if kind == "nginx":
            proxy = nginx_front([s.port for s in servers], Path(folder) / "nginx", host=ports.host,
                                proxy_conf=proxy_conf or exercise_dir / "proxy.conf", http_port=ports["http"],
                                https_port=ports.get("https"), read_timeout=read_timeout, timeout=ready_timeout)
            site.add(proxy).start()
        else:
            balancer = BalancerThread([s.port for s in servers], ports.host, ports["http"]).start()
            site.callback(balancer.stop)

    return Launch(ports, start)


def logs(site: Launch, lines: int = 40) -> str:
    """The last ``lines`` lines of every server's log (nginx: its access and error logs), each under its name."""
    parts = []
    for name, server in site.services.items():
        if isinstance(server, nginx.Nginx):
            parts.append(f"--- {name} access.log\n{server.access_log(lines)}\n--- {name} error.log\n"
                         f"{server.error_log(lines)}")
        else:
            parts.append(f"--- {name}\n{daphne.log(server, lines)}")
    return "\n".join(parts)
