"""The learner's side of the live room: after ``python -m checker join``, each grading reports.

What is sent is deliberately small and listed in one place (``status_of``): the exercise number,
each check's name and status, the score, how many hints were read, and the time. Never a
message (messages quote the learner's code and paths), a file, a path, or anything else about
the machine.

The learner's feedback loop comes first. A dashboard that is down, slow or wrong must never
slow or break a grading, so:

* the status is first written to a queue in the checker's state folder (latest per exercise),
* then sent from a background thread that the grading waits for at most ``BUDGET`` seconds,
* whatever was not delivered is sent again with the next grading: every request carries the
  whole queue (at most one status per exercise, a few KiB), and the dashboard keeps only what
  is newer than what it has. So a dashboard restarted empty is filled again by the next gradings.

Everything here is wrapped so that no exception reaches the grading: the worst outcome of a
broken dashboard is a line in ``python -m checker join --status``.
"""

from __future__ import annotations

import fcntl
import json
import os
import secrets
import threading
import time
from contextlib import contextmanager
from pathlib import Path

from checker.pipeline import timeout_scale

JOIN_FILE = "room-join.json"
QUEUE_FILE = "room-queue.json"
BUDGET = 1.0  # seconds a grading waits, in all, for the dashboard (times CHECKER_TIMEOUT_SCALE)
REQUEST_TIMEOUT = 0.8  # per socket operation; the thread is abandoned after the budget anyway
SHARED = "exercise number, check names and statuses, score, hint rung reached, time of grading"


class Refused(Exception):
    """The dashboard answered, and said no (wrong code, bad name, too many requests)."""

    def __init__(self, status: int, message: str):
        super().__init__(f"{message} (HTTP {status})")
        self.status = status


def _folder(state_dir: Path | None) -> Path:
    if state_dir is not None:
        return Path(state_dir)
    from checker import cli

    return cli.STATE_DIR


def _read(path: Path) -> dict:
    try:
        value = json.loads(path.read_text())
    except (OSError, ValueError):
        return {}
    return value if isinstance(value, dict) else {}


def _write(path: Path, value: dict) -> None:
    temporary = path.with_suffix(f".{os.getpid()}.tmp")
    temporary.write_text(json.dumps(value))
    os.replace(temporary, path)  # a reader never sees half a file


@contextmanager
def _locked(folder: Path):
    """One process at a time edits the queue (``watch`` in one terminal, a grading in another)."""
    folder.mkdir(parents=True, exist_ok=True)
    with open(folder / "room.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(lock, fcntl.LOCK_UN)


def joined(state_dir: Path | None = None) -> dict | None:
    """The join settings (url, code, name, learner id), or ``None`` when not sharing."""
    config = _read(_folder(state_dir) / JOIN_FILE)
    return config if {"url", "code", "name", "learner"} <= config.keys() else None


def normalise_url(url: str) -> str:
    url = url.strip()
    if "://" not in url:
        url = "http://" + url
    return url if url.endswith("/") else url + "/"


def post(url: str, endpoint: str, code: str, payload: dict, timeout: float) -> dict:
    """POST JSON to the dashboard; ``Refused`` for an HTTP error, ``OSError`` when unreachable."""
    import urllib.error
    import urllib.request

    request = urllib.request.Request(url + endpoint, data=json.dumps(payload).encode(), method="POST",
                                     headers={"Content-Type": "application/json", "X-Room-Code": code})
    try:
        with urllib.request.urlopen(request, timeout=timeout) as answer:
            return json.loads(answer.read(65536) or b"{}")
    except urllib.error.HTTPError as err:
        try:
            message = json.loads(err.read(4096)).get("error") or err.reason
        except ValueError:
            message = err.reason
        raise Refused(err.code, str(message)) from None
    except ValueError as err:  # an answer that is not JSON: something else listens there
        raise OSError(f"not a live room dashboard: {err}") from None


def join(url: str, code: str, name: str, state_dir: Path | None = None, timeout: float = 5.0) -> dict:
    """Check the code with the dashboard, then remember it: every grading reports from now on."""
    folder = _folder(state_dir)
    url = normalise_url(url)
    answer = post(url, "api/join", code, {"name": name}, timeout)
    previous = joined(folder) or {}
    config = {"url": url, "code": code, "name": answer.get("name", name), "joined": time.time(),
              "learner": previous.get("learner") or secrets.token_hex(8)}  # rejoining keeps one row
    with _locked(folder):
        _write(folder / JOIN_FILE, config)
    return config


def leave(state_dir: Path | None = None) -> bool:
    """Stop sharing: forget the room and the unsent statuses. ``False`` if not joined."""
    folder = _folder(state_dir)
    was_joined = joined(folder) is not None
    with _locked(folder):
        for name in (JOIN_FILE, QUEUE_FILE):
            (folder / name).unlink(missing_ok=True)
    return was_joined


def status_of(result, hint_rung: int) -> dict:
    """The whole of what one graded exercise shares."""
    return {"exercise": result.id, "time": time.time(), "hint_rung": hint_rung, "score": result.score,
            "max_score": result.max_score, "checks": {check.name: str(check.status) for check in result.checks}}


def pending(state_dir: Path | None = None) -> list[str]:
    """Exercises whose latest status the dashboard has not confirmed yet."""
    queue = _read(_folder(state_dir) / QUEUE_FILE)
    delivered = queue.get("delivered", {})
    return sorted(ex for ex, status in queue.get("statuses", {}).items() if status["time"] > delivered.get(ex, 0))


def queue_state(state_dir: Path | None = None) -> dict:
    return _read(_folder(state_dir) / QUEUE_FILE)


def _enqueue(folder: Path, updates: list[dict]) -> None:
    with _locked(folder):
        queue = _read(folder / QUEUE_FILE)
        statuses = queue.setdefault("statuses", {})
        for update in updates:
            # A hint request carries no checks: it updates the rung of the last grading's status.
            statuses[update["exercise"]] = {**statuses.get(update["exercise"], {}), **update}
        _write(folder / QUEUE_FILE, queue)


def _note(folder: Path, **fields) -> None:
    with _locked(folder):
        queue = _read(folder / QUEUE_FILE)
        queue.update(fields)
        _write(folder / QUEUE_FILE, queue)


def _send(folder: Path, config: dict, outcome: dict) -> None:
    """Send the whole queue once; record what was delivered or why not (runs in a thread)."""
    statuses = _read(folder / QUEUE_FILE).get("statuses", {})
    payload = {"learner": config["learner"], "name": config["name"], "statuses": list(statuses.values())}
    try:
        post(config["url"], "api/status", config["code"], payload, REQUEST_TIMEOUT * timeout_scale())
    except Refused as err:
        why = "the join code is no longer valid: join again" if err.status == 403 else str(err)
        outcome["result"] = f"queued: the dashboard refused it: {why}"
    except OSError as err:
        outcome["result"] = f"queued: the dashboard is unreachable ({getattr(err, 'reason', err)})"
    else:
        with _locked(folder):
            queue = _read(folder / QUEUE_FILE)
            delivered = queue.setdefault("delivered", {})
            for ex, status in statuses.items():
                delivered[ex] = max(delivered.get(ex, 0), status["time"])
            queue.update(last_delivery=time.time(), last_problem="")
            _write(folder / QUEUE_FILE, queue)
        outcome["result"] = "delivered"
        return
    _note(folder, last_problem=outcome["result"][len("queued: "):])


def _report(updates_of, state_dir: Path | None, budget: float | None, say) -> str:
    """Queue ``updates_of(folder)`` and send, waiting at most ``budget`` s; never raises.

    ``say`` (``print``, or ``None`` for ``--json``) gets one line, so a learner who shares
    sees it at every grading."""
    outcome = _deliver(updates_of, state_dir, BUDGET * timeout_scale() if budget is None else budget)
    if say is not None and outcome != "off":
        try:
            say(f"Live room: {'status sent' if outcome == 'delivered' else outcome} "
                "(python -m checker join --status; stop: python -m checker leave)")
        except Exception:  # noqa: BLE001 - a closed stdout must not fail the grading either
            pass
    return outcome


def _deliver(updates_of, state_dir: Path | None, budget: float) -> str:
    try:
        folder = _folder(state_dir)
        config = joined(folder)
        if config is None:
            return "off"
        _enqueue(folder, updates_of(folder))
        outcome: dict = {}
        sender = threading.Thread(target=_send, args=(folder, config, outcome), name="live-room-report", daemon=True)
        sender.start()
        sender.join(budget)
        return outcome.get("result") or f"queued: the dashboard did not answer within {budget:g} s"
    except Exception as err:  # noqa: BLE001 - sharing must never break a grading
        return f"queued: {type(err).__name__}: {err}"


def _hint_rungs(folder: Path) -> dict[str, int]:
    """The highest rung reached per exercise, from the hint ladders' state (``checker.hints``):
    ``{"03": {"accept_key": 2, "": 1}}``, or one number per exercise in older state files."""
    rungs = {}
    for exercise, value in _read(folder / "hints.json").items():
        values = value.values() if isinstance(value, dict) else [value]
        rungs[exercise] = max((v for v in values if isinstance(v, int)), default=0)
    return rungs


def report_results(results, state_dir: Path | None = None, budget: float | None = None, say=None) -> str:
    """After a grading: share ``results`` if this laptop joined a room. ``"off"``, ``"delivered"``
    or ``"queued: why"`` (the status goes with the next grading)."""
    def updates(folder: Path) -> list[dict]:
        rungs = _hint_rungs(folder)
        return [status_of(result, rungs.get(result.id, 0)) for result in results]

    return _report(updates, state_dir, budget, say)


def report_hint(exercise: str, state_dir: Path | None = None, budget: float | None = None, say=None) -> str:
    """After ``python -m checker hint NN`` (hints.json saved): share the highest rung now reached."""
    def updates(folder: Path) -> list[dict]:
        return [{"exercise": exercise, "hint_rung": _hint_rungs(folder).get(exercise, 0), "time": time.time()}]

    return _report(updates, state_dir, budget, say)
