"""The deployment checks: the learner's ``proxy.conf`` in a real nginx, and ``keepalive.py``.

The consumer checks run behind a front with the reference proxy part, so an unfinished proxy.conf
costs only these. Here a second nginx, with the learner's proxy.conf included, stands in front of
the same two Daphnes on ports the cluster allowed from the start (``support.cluster``), plain
HTTP and TLS (a certificate made at start-up, trusted by these clients only). The keep-alive
check starts a small cluster of its own (one Daphne pinging as ``keepalive.ping_options`` says,
behind an nginx whose ``proxy_read_timeout`` is a few seconds) and keeps one socket quiet.
Without nginx the checks are skipped with install advice (failed under CI=true).
"""

from __future__ import annotations

import asyncio
import contextlib
import http.cookiejar
import json
import re
import shutil
import ssl
import tempfile
import time
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path

from checker import launchers
from checker.api import CheckFailed, CheckSkipped, Context
from checker.probes import ws
from workshop import nginx
from workshop.launch import Ports

from . import support

# The keep-alive check's proxy_read_timeout R (seconds at scale 1). Daphne pings at its 2 s ticks, so a
# correct interval ((R - 2) / 2 = 0.75 s) puts a frame across nginx every 2 s (1.5 s of margin), while an
# interval that forgets the tick (R - 1 = 2.5 s) leaves gaps of 4 s > R: the socket is cut by its second
# gap at the latest, within QUIET * R (first ping <= R + 1 s, then 4 s). Was 6 s: 15 s of waiting.
READ_TIMEOUT = 3.5
QUIET = 2.5  # how many read timeouts the quiet socket must outlive
NO_UPGRADE = ("nginx passed the handshake on as a plain GET: the Upgrade header (hop-by-hop: a proxy drops it "
              "unless told to pass it) never reached Daphne, so Django answered the GET of /ws/chat/ with its "
              "404 page. Daphne's log shows \"GET /ws/chat/\" 404 where a WebSocket shows WSCONNECTING; the "
              "browser's console says \"Error during WebSocket handshake: Unexpected response code: 404\". "
              "proxy.conf must speak HTTP/1.1 and pass Upgrade and Connection on.")


def require_nginx() -> None:
    if nginx.find_nginx() is None:
        raise CheckSkipped(nginx.install_instructions())


def learner_front(ctx: Context, cluster: support.Cluster) -> nginx.Nginx:
    """nginx with the learner's proxy.conf in front of the cluster's Daphnes (started once)."""
    require_nginx()

    @contextlib.contextmanager
    def factory():
        ports = cluster.site.extras["learner_ports"]
        backends = [s.port for name, s in cluster.site.services.items() if name.startswith("daphne")]
        prefix = Path(tempfile.mkdtemp(prefix="workshop-08-yours-"))
        try:
            ctx.step(f"starting nginx with your proxy.conf on {ports.url('http')} and {ports.url('https', 'https')}")
            front = launchers.load(ctx.lesson_dir).nginx_front(
                backends, prefix, proxy_conf=ctx.exercise_dir / "proxy.conf", http_port=ports["http"],
                https_port=ports["https"], name="your nginx", timeout=ctx.timeout(10))
            with front:
                yield front
        finally:
            shutil.rmtree(prefix, ignore_errors=True)

    try:
        return ctx.resource("learner-front", factory)
    except RuntimeError as exc:
        raise CheckFailed(f"nginx did not start with your proxy.conf (it names the file and line):\n{exc}") from None


def nginx_says(front: nginx.Nginx, wanted: str = "/ws/chat/") -> str:
    """The last access-log line about ``wanted`` and the last error-log lines above [notice], for a message."""
    access = [line for line in front.access_log(20).splitlines() if wanted in line][-1:]
    errors = [line for line in front.error_log(20).splitlines()
              if "[notice]" not in line and "closed keepalive" not in line and "waiting for request" not in line][-2:]
    lines = [f"access.log: {line}" for line in access] + [f"error.log: {line}" for line in errors]
    return ("\nnginx says: " + " | ".join(lines)) if lines else ""


def refusal(exc: BaseException) -> str:
    """Why a handshake through the learner's nginx failed, in the learner's terms."""
    from websockets.exceptions import InvalidStatus

    if not isinstance(exc, InvalidStatus):
        return f"the handshake failed: {exc!r:.200}"
    status, reason = exc.response.status_code, exc.response.reason_phrase
    if status == 404:
        return f"HTTP 404 instead of 101. {NO_UPGRADE}"
    if status == 400 and "upgrade" in reason.lower():
        return (f"HTTP 400 instead of 101: Daphne refused the upgrade ({reason}). The Upgrade header arrived but "
                "the Connection header nginx sent does not say \"upgrade\": pass Connection on ($connection_upgrade).")
    if status == 400:
        return (f"HTTP 400 instead of 101 ({reason}): Django refused the Host header nginx sent (nginx sends the "
                "upstream's name, \"daphnes\", unless proxy.conf passes $http_host on as Host).")
    if status == 502:
        return "HTTP 502 Bad Gateway: nginx could not reach a Daphne (is proxy_pass still http://daphnes?)."
    return f"HTTP {status} {reason} instead of 101."


def sign_in(base: str, name: str, wait: float, context=None) -> str:
    """Sign in through the front as a browser would (the page, its CSRF cookie and token, a POST with
    an Origin header); '' when it worked, else what went wrong."""
    opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(http.cookiejar.CookieJar()),
                                         urllib.request.HTTPSHandler(context=context))
    try:
        with opener.open(base + "/", timeout=wait) as response:
            token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', response.read().decode("utf-8", "replace"))
        form = urllib.parse.urlencode({"csrfmiddlewaretoken": token.group(1) if token else "", "username": name})
        request = urllib.request.Request(base + "/login/", data=form.encode(), headers={"Origin": base,
                                                                                      "Referer": base + "/"})
        with opener.open(request, timeout=wait) as response:
            return "" if "signed in as" in response.read().decode("utf-8", "replace") else "the page after it is not signed in"
    except urllib.error.HTTPError as err:
        return f"HTTP {err.code}"
    except OSError as err:
        return f"no answer ({err})"


def django_says(cluster: support.Cluster) -> str:
    """Django's own words about a refused request (DisallowedHost, CSRF), from the Daphnes' logs."""
    lines = [line.split(" WARNING ", 1)[-1].split(" ERROR ", 1)[-1] for line in cluster.logs(60).splitlines()
             if "Invalid HTTP_HOST" in line or "Forbidden (" in line]
    return f"\nDjango logged: {lines[-1][:240]}" if lines else ""


SIGN_IN_ADVICE = ("Behind nginx, Django's CSRF check compares the form's Origin with the scheme and host it "
                  "believes it serves: proxy.conf must pass the browser's Host with its port ($http_host) and its "
                  "scheme (X-Forwarded-Proto $scheme).")


async def handshake(url: str, *, origin: str | None, session: str, wait: float, context=None):
    """A signed-in handshake and its hello frame: (client, hello)."""
    client = await ws.connect(url, timeout=wait, origin=origin, cookie=f"sessionid={session}", ssl=context)
    hello = json.loads(await ws.recv(client, timeout=wait))
    return client, hello


def check_ping_options(ctx: Context) -> None:
    keepalive = ctx.import_learner("keepalive")
    tick = keepalive.DAPHNE_TICK
    for read_timeout in (3.0, 10.0, 60.0, 7.5):
        ctx.step(f"ping_options({read_timeout:g})")
        options = keepalive.ping_options(read_timeout)
        if not isinstance(options, dict) or set(options) != {"ping_interval", "ping_timeout"}:
            raise CheckFailed(f"ping_options({read_timeout:g}) returned {options!r:.120}; expected a dict with exactly "
                              "the keys ping_interval and ping_timeout (Daphne's two options).")
        interval, pong = options["ping_interval"], options["ping_timeout"]
        if not interval > 0 or interval + tick >= read_timeout:
            raise CheckFailed(f"ping_options({read_timeout:g}) gave ping_interval={interval!r}: a ping due then leaves "
                              f"up to {tick:g} s later (Daphne's tick), at {interval + tick:g} s, and must reach the "
                              f"proxy before its {read_timeout:g} s timeout.")
        if interval < (read_timeout - tick) / 4:
            raise CheckFailed(f"ping_options({read_timeout:g}) gave ping_interval={interval!r}: far more pings than "
                              "the proxy needs (every socket gets each one); half of what the tick leaves is plenty.")
        if not 0 < pong <= read_timeout:
            raise CheckFailed(f"ping_options({read_timeout:g}) gave ping_timeout={pong!r}: a dead client should be "
                              "noticed within one proxy timeout, and the pong needs some time (more than 0).")
    for hopeless in (tick, tick / 2):
        ctx.step(f"ping_options({hopeless:g}): no interval can beat a timeout that short")
        try:
            options = keepalive.ping_options(hopeless)
        except ValueError:
            continue
        raise CheckFailed(f"ping_options({hopeless:g}) returned {options!r:.120}; a read timeout of {hopeless:g} s is "
                          f"not longer than Daphne's {tick:g} s tick: raise ValueError saying so.")


def check_proxy_upgrade(ctx: Context) -> None:
    cluster = support.cluster(ctx)
    front = learner_front(ctx, cluster)
    ctx.step(f"GET {front.url}/ through your nginx")
    try:
        with urllib.request.urlopen(front.url + "/", timeout=cluster.handshake) as response:
            page = response.read().decode("utf-8", "replace")
    except urllib.error.HTTPError as err:
        why = (" Django refused the Host header nginx sent: without `proxy_set_header Host $http_host;` nginx sends "
               "the upstream's name (\"daphnes\"), which is not in ALLOWED_HOSTS; Daphne's log says \"Invalid "
               "HTTP_HOST header\"." if err.code == 400 else "")
        raise CheckFailed(f"the page through your nginx answered HTTP {err.code}.{why}{nginx_says(front, 'GET / ')}"
                          f"{support.server_says(cluster)}") from None
    except TimeoutError:
        raise CheckFailed(f"GET {front.url}/ through your nginx: no answer within {cluster.handshake:g} s."
                          f"{nginx_says(front, 'GET / ')}{support.server_says(cluster)}") from None
    except OSError as err:  # URLError (refused, reset) is one
        raise CheckFailed(f"GET {front.url}/ through your nginx got no answer ({err}): did nginx stop? Its logs say "
                          f"why.{nginx_says(front, 'GET / ')}") from None
    if "Lesson 08" not in page:
        raise CheckFailed(f"the page through your nginx is not the lesson's page: {page[:150]!r}")
    (ivy,) = support.users("ivy")
    ctx.step(f"signing in through your nginx (GET {front.url}/, POST /login/ with the CSRF token)")
    problem = sign_in(front.url, ivy, cluster.handshake)
    if problem:
        raise CheckFailed(f"signing in through your nginx failed: {problem}. {SIGN_IN_ADVICE}"
                          f"{django_says(cluster)}{nginx_says(front, '/login/')}")
    session = support.cookie(ivy)

    async def scenario():
        for turn in (1, 2):  # round-robin: one handshake on each Daphne
            ctx.step(f"WebSocket handshake {turn} of 2 through your nginx ({front.url}/ws/chat/)")
            try:
                client, hello = await handshake(f"ws://127.0.0.1:{front.port}/ws/chat/", origin=front.url,
                                                session=session, wait=cluster.handshake)
            except (asyncio.TimeoutError, TimeoutError):
                raise CheckFailed(f"no answer to the handshake within {cluster.handshake:g} s.{nginx_says(front)}")
            except Exception as exc:  # noqa: BLE001 - explained to the learner
                raise CheckFailed(f"{refusal(exc)}{nginx_says(front)}{support.server_says(cluster)}") from None
            await client.close()
            if hello.get("type") != "hello":
                raise CheckFailed(f"the socket through your nginx opened, but its first frame was {hello!r:.150}.")

    ctx.run_async(scenario, timeout=support.SCENARIO)


def check_proxy_tls(ctx: Context) -> None:
    cluster = support.cluster(ctx)
    front = learner_front(ctx, cluster)
    ports = cluster.site.extras["learner_ports"]
    own = ports.url("https", "https")
    trust = ssl.create_default_context(cafile=str(front.prefix / "cert.pem"))
    url = f"wss://127.0.0.1:{ports['https']}/ws/chat/"
    (tia,) = support.users("tia")
    session = support.cookie(tia)
    ctx.step(f"signing in on {own} (TLS ends at nginx: Daphne sees http://)")
    problem = sign_in(own, tia, cluster.handshake, trust)
    if problem:
        raise CheckFailed(f"signing in over https:// failed: {problem}. {SIGN_IN_ADVICE}"
                          f"{django_says(cluster)}{nginx_says(front, '/login/')}")
    others = [ports.url("https"), ports.url("http", "https"), "https://127.0.0.1.evil.example"]

    async def scenario():
        from websockets.exceptions import InvalidStatus

        ctx.step(f"{url} from the page's origin {own} (nginx terminates TLS, Daphne sees plain HTTP)")
        try:
            client, hello = await handshake(url, origin=own, session=session, wait=cluster.handshake, context=trust)
        except (asyncio.TimeoutError, TimeoutError):
            raise CheckFailed(f"no answer to the wss:// handshake within {cluster.handshake:g} s.{nginx_says(front)}")
        except Exception as exc:  # noqa: BLE001 - explained to the learner
            raise CheckFailed(f"wss:// with Origin {own}: {refusal(exc)} (The https origin is in "
                              f"WS_ALLOWED_ORIGINS.){nginx_says(front)}{support.server_says(cluster)}") from None
        await client.close()
        if hello.get("type") != "hello":
            raise CheckFailed(f"the wss:// socket opened, but its first frame was {hello!r:.150}.")
        for origin in others:
            ctx.step(f"{url} from Origin {origin} (must be refused with HTTP 403)")
            try:
                client, _ = await handshake(url, origin=origin, session=session, wait=cluster.handshake, context=trust)
            except InvalidStatus as refused:
                if refused.response.status_code == 403:
                    continue
                raise CheckFailed(f"Origin {origin} over wss:// got HTTP {refused.response.status_code}; expected 403."
                                  f"{nginx_says(front)}") from None
            await client.close()
            raise CheckFailed(f"Origin {origin} was accepted over wss://{ports['https']}: behind TLS the page's origin "
                              f"is {own}, and only the exact scheme, host and port may pass.")

    ctx.run_async(scenario, timeout=support.SCENARIO)


def check_proxy_keepalive(ctx: Context) -> None:
    require_nginx()
    keepalive = ctx.import_learner("keepalive")
    read_timeout = round(ctx.timeout(READ_TIMEOUT), 1)
    try:
        ping = keepalive.ping_options(read_timeout)
    except NotImplementedError:
        raise CheckFailed("keepalive.ping_options is still a stub (NotImplementedError).") from None

    def factory():
        ctx.step(f"one Daphne with {ping}, behind nginx with proxy_read_timeout {read_timeout:g}s")
        return launchers.load(ctx.lesson_dir).launch(
            ctx.exercise_dir, Ports.free("http", "backend1"), backends=1, redis_url=ctx.redis().url,
            db_path=support.database(ctx), ready_timeout=ctx.timeout(20), extra_env=support.ENV,
            front="nginx", proxy_conf=launchers.load(ctx.lesson_dir).reference_proxy(), read_timeout=read_timeout,
            ping=ping)

    try:
        site = ctx.resource("cluster-keepalive", factory)
    except RuntimeError as exc:
        raise CheckFailed(f"Daphne or nginx did not start with ping options {ping}: {exc}") from None
    front = site.services["nginx"]
    quiet, talker = support.users("quiet", "talker")
    sessions = {name: support.cookie(name) for name in (quiet, talker)}
    origin = site.extras["origin"]
    url = f"ws://127.0.0.1:{front.port}/ws/chat/"
    wait = ctx.timeout(support.HANDSHAKE)

    async def scenario():
        from websockets.exceptions import ConnectionClosed

        client, _ = await handshake(url, origin=origin, session=sessions[quiet], wait=wait)
        started = time.monotonic()
        quiet_for = QUIET * read_timeout
        ctx.step(f"a socket that sends nothing (and no pings of its own) stays quiet for {quiet_for:g} s")
        try:
            with contextlib.suppress(asyncio.TimeoutError, TimeoutError):
                while True:  # frames may arrive (other checks' messages); pings are answered by the library
                    await asyncio.wait_for(client.recv(), max(0.05, started + quiet_for - time.monotonic()))
            ctx.step("another client speaks: the quiet socket must still hear it")
            other, _ = await handshake(url, origin=origin, session=sessions[talker], wait=wait)
            await other.send(json.dumps({"type": "message", "text": "still there?"}))
            await other.close()
            deadline = time.monotonic() + wait
            while True:
                frame = json.loads(await asyncio.wait_for(client.recv(), max(0.05, deadline - time.monotonic())))
                if frame.get("text") == "still there?":
                    break
        except ConnectionClosed as closed:
            after = time.monotonic() - started
            code = closed.rcvd.code if closed.rcvd else 1006
            raise CheckFailed(
                f"the quiet socket was closed after {after:.1f} s (code {code}{': no close frame' if code == 1006 else ''})"
                f" with nginx's proxy_read_timeout at {read_timeout:g} s: nothing crossed nginx within its timeout. "
                f"ping_options({read_timeout:g}) gave {ping}; Daphne sends a due ping at its next 2 s tick."
                f"{nginx_says(front)}") from None
        except (asyncio.TimeoutError, TimeoutError):
            raise CheckFailed(f"the quiet socket is open but did not receive the other client's message within "
                              f"{wait:g} s.{nginx_says(front)}") from None
        finally:
            await client.close()

    ctx.run_async(scenario, timeout=QUIET * read_timeout + 3 * wait + 2)
