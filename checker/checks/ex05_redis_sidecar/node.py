"""The Node.js variant's plain functions: ``sidecar.js`` called directly, for the ``tokens`` and ``origin`` checks.

The talk's first way to give Django WebSockets is "another framework beside Django, something like
Node.js". A learner who picks that variant (``python -m checker pick 05 node``) is graded by the
same checks as one who writes ``sidecar.py``: the server and browser checks start
``node node/server.js`` instead (``support.sidecar_for``), and the two function checks call the
learner's JavaScript here (``node/call.js``), with tokens made by Django's own ``signing.dumps``
(fresh, expired, altered, foreign) and the Origin table of ``functions.py``. Without ``node``
(or without the packages ``npm ci`` installs) the checks are skipped with install advice, and
fail under ``CI=true``.
"""

from __future__ import annotations

import json
import subprocess

from checker.api import CheckFailed, Context
from checker.probes import node as node_probe
from workshop import paths

from .functions import ORIGINS, bad_tokens
from .support import ROOM, django_app, require_node, token

SIGNED_VALUES = ["eyJ1c2VyIjoiYWRhIiwicm9vbSI6ImxvYmJ5In0:1xWD8b", "héllo, 👋", ""]


def _call(ctx: Context, calls: list[dict], env: dict | None = None) -> list[dict]:
    """The learner's functions called in one node process; an unwritten one fails kindly.

    ``env`` hands node this grading process's signing key (``WORKSHOP_SECRET_KEY``): the key is
    random per run, so node must be told which one Django signed with.
    """
    try:
        results = node_probe.call(ctx.lesson_dir / "node" / "call.js", ctx.exercise_dir, calls,
                                  timeout=ctx.timeout(5), env=env)
    except subprocess.TimeoutExpired:
        raise CheckFailed("node did not finish calling your functions in time: is there an endless loop in "
                          "sidecar.js?") from None
    except RuntimeError as problem:
        raise CheckFailed(f"node could not load {paths.relative(ctx.exercise_dir)}/sidecar.js:\n{problem}") from None
    for result in results:
        unwritten = (result.get("error") or {}).get("unwritten")
        if unwritten:
            raise CheckFailed(f"{unwritten}() in {paths.relative(ctx.exercise_dir)}/sidecar.js is not written yet (it "
                              "still throws \"not written yet\").\nReplace the TODO with your code, save, and run "
                              "the checker again.")
    return results


def _js(value) -> str:
    """A value as JavaScript writes it (``true``, ``{"user": "ada"}``), for a learner reading JS."""
    return json.dumps(value, ensure_ascii=False)


def _error(result: dict) -> str:
    error = result["error"]
    return f"{error['name']}: {error['message']}" + (f" ({error['where']})" if error.get("where") else "")


def verify_in_node(ctx: Context, made: str, nonce: str) -> None:
    """The ``tokens`` check for sidecar.js: signatureOf and verifyToken, on tokens Django signed.

    ``made``: what the learner's ``make_token('ada', 'lobby')`` returned (with ``nonce`` inside),
    which the Node.js sidecar must accept as Django's own.
    """
    require_node(ctx)
    django_app(ctx)
    from django.conf import settings
    from django.core import signing

    from newsroom.protocol import TOKEN_SALT

    ctx.step("signatureOf(value) in node, against django.core.signing.Signer(salt=TOKEN_SALT).signature(value)")
    signer = signing.Signer(salt=TOKEN_SALT)
    other = signing.Signer(key="another-secret-key", salt=TOKEN_SALT)
    calls = [{"fn": "signatureOf", "args": [value]} for value in SIGNED_VALUES]
    calls.append({"fn": "signatureOf", "args": [SIGNED_VALUES[0], "another-secret-key"]})
    expected = [signer.signature(value) for value in SIGNED_VALUES] + [other.signature(SIGNED_VALUES[0])]
    for call, result, wanted in zip(calls, _call(ctx, calls, env={"WORKSHOP_SECRET_KEY": settings.SECRET_KEY}),
                                    expected):
        shown = ", ".join(_js(a) for a in call["args"])
        if "error" in result:
            raise CheckFailed(f"signatureOf({shown}) threw {_error(result)}; expected {_js(wanted)}.")
        if result["value"] != wanted:
            raise CheckFailed(f"signatureOf({shown}) returned {_js(result['value'])}; Django signs it {_js(wanted)}. "
                              "The key is sha256(TOKEN_SALT + 'signer' + secret); the HMAC-SHA256 is base64url, "
                              "no padding.")

    good = [(made, {"user": "ada", "nonce": nonce}, "the token your make_token('ada', 'lobby') made"),
            (token(ctx, "ada", ROOM, nonce="a" * 22), {"user": "ada", "nonce": "a" * 22},
             "a token Django signed just now"),
            (token(ctx, "grace", ROOM, age=30, nonce="g" * 22), {"user": "grace", "nonce": "g" * 22},
             "a token Django signed 30 s ago (max_age is 60 s)")]
    bad = bad_tokens(ctx)
    ctx.step(f"verifyToken on {len(good)} good and {len(bad)} bad tokens made by Django's signing.dumps")
    calls = [{"fn": "verifyToken", "args": [signed, ROOM]} for signed, _, _ in good]
    calls += [{"fn": "verifyToken", "args": [signed, ROOM]} for signed, _ in bad]
    results = _call(ctx, calls, env={"WORKSHOP_SECRET_KEY": settings.SECRET_KEY})
    for (_, user, what), result in zip(good, results):
        if result.get("value") != user:
            got = f"threw {_error(result)}" if "error" in result else f"returned {_js(result['value'])}"
            raise CheckFailed(f"verifyToken on {what} {got}; expected {_js(user)}.")
    for (_, what), result in zip(bad, results[len(good):]):
        if "error" not in result:
            raise CheckFailed(f"verifyToken accepted {what} (it returned {_js(result['value'])}); it must throw "
                              "new InvalidToken(\"why\").")
        if result["error"]["name"] != "InvalidToken" or not result["error"]["message"].strip():
            raise CheckFailed(f"verifyToken on {what} threw {_error(result)}; throw new InvalidToken(\"why\") "
                              "with a reason (the handler closes the socket on InvalidToken, with it as the reason).")


def origin_in_node(ctx: Context) -> None:
    """The ``origin`` check for sidecar.js: checkOrigin on the Origin table of ``functions.py``."""
    require_node(ctx)
    ctx.step("checkOrigin(origin, allowed) in node, on the Origin table of check_origin")
    allowed = ["http://127.0.0.1:8000", "http://localhost:8000"]
    calls = [{"fn": "checkOrigin", "args": [node_probe.UNDEFINED if origin is None else origin,
                                            node_probe.as_set(allowed)]} for origin, _, _ in ORIGINS]
    for (origin, expected, what), result in zip(ORIGINS, _call(ctx, calls)):
        shown = "undefined" if origin is None else _js(origin)
        if "error" in result:
            raise CheckFailed(f"checkOrigin({shown}, ...) threw {_error(result)} for {what}; expected {expected}.")
        if result["value"] is not expected:
            raise CheckFailed(f"checkOrigin({shown}, new Set({_js(allowed)})) returned {_js(result['value'])} for {what}; "
                              f"expected {str(expected).lower()}.")
