"""What the uWSGI checks share: a uWSGI started by the lesson's launcher, and talking to it."""

from __future__ import annotations

import os

from checker import launchers
from checker.api import CheckFailed, CheckSkipped, Context
from checker.probes import ws as ws_probe
from checker.probes.uwsgi_log import UwsgiLog
from workshop.launch import Ports


def uwsgi(ctx: Context, threads: int):
    """A running uWSGI (one process, ``threads`` threads) with the learner's code: (log, ws base URL)."""
    lesson = launchers.load(ctx.lesson_dir)
    ctx.step(f"starting uWSGI with 1 process and {threads} threads")
    site = started(ctx, lesson, f"uwsgi-{threads}", lambda: lesson.launch(
        ctx.exercise_dir, Ports(uwsgi=0), threads=threads, ready_timeout=ctx.timeout(10)))
    return UwsgiLog(site.services["uwsgi"].log_path), site.url("uwsgi", "ws")


def started(ctx: Context, lesson, key: str, factory):
    """``ctx.resource(key, factory)``: skipped with the install advice when uWSGI (with routing) is
    missing, except under CI=true, where that fails; a server that did not start fails."""
    try:
        return ctx.resource(key, factory)
    except lesson.UwsgiMissing as missing:
        if os.environ.get("CI", "").lower() in ("1", "true", "yes"):
            raise CheckFailed(f"{missing}\n(CI=true: uWSGI is required here.)") from None
        raise CheckSkipped(str(missing)) from None
    except RuntimeError as exc:
        raise CheckFailed(f"uWSGI did not start:\n{exc}") from None


def failure(exc: BaseException) -> str:
    """The client's view of what went wrong, as a sentence for the learner."""
    from websockets.exceptions import ConnectionClosed

    refused = ws_probe.handshake_refusal(exc)
    if refused:
        return refused
    if isinstance(exc, ConnectionClosed) and exc.sent is not None and exc.sent.code == 1007:
        return ("your server sent a text message whose bytes are not valid UTF-8, and the client closed the "
                "connection (1007). Bytes that do not decode as UTF-8 must go back with websocket_send_binary.")
    if isinstance(exc, (TimeoutError, OSError)) and not str(exc):
        return "no answer to the handshake in time (is a worker thread free? did the handshake happen?)"
    return f"{type(exc).__name__}: {exc}"


def talk(ctx: Context, log: UwsgiLog, during: str, coroutine_function, *args, timeout: float) -> None:
    """Run a client conversation; fail with uWSGI's own report of the learner's bug when there is one."""
    settle = ctx.timeout(0.05)  # uWSGI writes its report just after the connection ends
    try:
        problems = ctx.run_async(coroutine_function, *args, timeout=timeout)
    except CheckFailed as failed:
        log.raise_problems(during, settle=settle)
        raise CheckFailed(f"{during}: {failed}") from None
    except Exception as exc:  # noqa: BLE001 - the client's view of what went wrong
        log.raise_problems(during, settle=settle)
        raise CheckFailed(f"{during}: {failure(exc)}") from None
    log.raise_problems(during, settle=settle)
    if problems:
        raise CheckFailed(f"{during}:\n- " + "\n- ".join(problems))
