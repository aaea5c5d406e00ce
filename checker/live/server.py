"""``python -m checker room serve``: start the live room and say how to join it.

The dashboard is Daphne serving ``checker.live.asgi`` in a subprocess (with the Redis channel
layer when a ``redis-server`` is found, the in-memory one otherwise), supervised like a lesson's
demo (``workshop.launch``): Ctrl-C stops everything it started.

The join code and the instructor's token are kept in the checker's state folder and reused, so
a dashboard restarted after a crash takes the same code: the learners' queued statuses arrive
without anyone joining again. ``--new-code`` makes fresh ones.
"""

from __future__ import annotations

import argparse
import json
import os
import secrets
import socket
import sys

from checker import cli
from workshop import channels_support, launch, net, paths, redis_server

DEFAULT_PORT = 8700
CODE_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"  # no 0/O or 1/I: the code is read off a projector
WILDCARDS = ("0.0.0.0", "::", "")


def new_code() -> str:
    """40 random bits in two groups of four (``K7QF-M2XD``): too many to guess at 12 tries a minute."""
    letters = "".join(secrets.choice(CODE_ALPHABET) for _ in range(8))
    return f"{letters[:4]}-{letters[4:]}"


def lan_address() -> str | None:
    """This machine's address on the room's network (a UDP "connect" sends no packet)."""
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as probe:
        try:
            probe.connect(("10.255.255.255", 1))
            address = probe.getsockname()[0]
        except OSError:
            return None
    return None if address.startswith("127.") else address


def host_names(host: str) -> list[str]:
    """The names the dashboard answers to (Host header) and whose origins it accepts, reachable first."""
    names = [net.LOOPBACK, "localhost"]
    if host in WILDCARDS:
        names[:0] = [name for name in (lan_address(), socket.gethostname()) if name]
    elif host not in names:
        names.insert(0, host)
    return list(dict.fromkeys(names))


def room_secrets(code: str | None, token: str | None, renew: bool) -> tuple[str, str]:
    """The join code and instructor token: given, else remembered, else new (and remembered)."""
    path = cli.STATE_DIR / "room-serve.json"
    try:
        saved = {} if renew else json.loads(path.read_text())
    except (OSError, ValueError):
        saved = {}
    code, token = code or saved.get("code") or new_code(), token or saved.get("token") or secrets.token_urlsafe(18)
    try:
        cli.STATE_DIR.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps({"code": code, "token": token}))
        path.chmod(0o600)
    except OSError:
        pass  # a read-only checkout: new secrets at every start
    return code, token


def run(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="python -m checker room serve",
                                     description="Start the live room: a dashboard learners report their gradings to.")
    parser.add_argument("--port", type=int, default=DEFAULT_PORT)
    parser.add_argument("--host", default=net.LOOPBACK,
                        help="address to listen on (default 127.0.0.1: this machine only; "
                             "0.0.0.0 lets the room's laptops join)")
    parser.add_argument("--stuck-minutes", type=float, default=5.0,
                        help="a learner failing the same check this long is listed as stuck (default 5)")
    parser.add_argument("--code", help="join code to use (default: the last one, or a new one)")
    parser.add_argument("--token", help="instructor token to use (default: the last one, or a new one)")
    parser.add_argument("--new-code", action="store_true", help="forget the last code and token")
    parser.add_argument("--no-redis", action="store_true", help="use the in-memory channel layer")
    args = parser.parse_args(argv)
    if args.stuck_minutes < 0:
        raise cli.UsageError("--stuck-minutes must be 0 or more")
    if not net.port_is_free(args.port, args.host if args.host not in WILDCARDS else "0.0.0.0"):
        print(net.busy_port_message(args.port, args.host), file=sys.stderr)
        return 1
    code, token = room_secrets(args.code, args.token, args.new_code)
    names = host_names(args.host)
    local = net.LOOPBACK if args.host in WILDCARDS else args.host
    learner_url = f"http://{names[0]}:{args.port}/"
    found = None if args.no_redis else redis_server.find_redis_server()

    def start(site: launch.Launch) -> None:
        env = {**os.environ, "DJANGO_SETTINGS_MODULE": "checker.live.settings", "PYTHONUNBUFFERED": "1",
               "PYTHONPATH": os.pathsep.join(filter(None, [str(paths.REPO_ROOT), os.environ.get("PYTHONPATH")])),
               "WORKSHOP_LIVE_CODE": code, "WORKSHOP_LIVE_TOKEN": token, "WORKSHOP_LIVE_PORT": str(args.port),
               "WORKSHOP_LIVE_HOSTS": ",".join(names), "WORKSHOP_LIVE_LEARNER_URL": learner_url,
               "WORKSHOP_LIVE_STUCK_SECONDS": str(args.stuck_minutes * 60), "WORKSHOP_LIVE_REDIS": ""}
        if found:
            env["WORKSHOP_LIVE_REDIS"] = site.enter(redis_server.RedisServer()).url
        argv = channels_support.daphne_argv("checker.live.asgi:application", args.port, args.host, access_log=False)
        cli.STATE_DIR.mkdir(parents=True, exist_ok=True)
        dashboard = launch.Service("dashboard", argv, args.port, host=local, env=env, cwd=str(paths.REPO_ROOT),
                                   log_path=cli.STATE_DIR / "room-serve.log", ready_timeout=30)
        site.add(dashboard)
        dashboard.start()

    layer = "Redis channel layer" if found else "in-memory channel layer" + ("" if args.no_redis else ", no redis-server found")
    banner = "\n".join([
        f"Live room on http://{local}:{args.port}/ ({layer})",
        f"  Join code: {code}",
        f"  Learners run: python -m checker join {learner_url} {code}",
        f"  Your view (keep the token to yourself): http://{local}:{args.port}/?token={token}",
        f"  Stuck means: the same failing check for {args.stuck_minutes:g} min. Ctrl-C to stop.",
    ])
    if args.host == net.LOOPBACK:
        banner += "\n  Only this machine can join: start with --host 0.0.0.0 to let the room's laptops in."
    site = launch.Launch(ports=launch.Ports(local, http=args.port), start=start)
    return launch.supervise(site, banner)
