"""A lesson page in headless Chromium, and waiting for the state it reports.

Every lesson page writes its state into ``document.body.dataset`` (``state``, ``problem`` and
counters such as ``opens``): the checks wait for *that*, never for a clock alone, and a page
that reports a problem has it quoted to the learner.
"""

from __future__ import annotations

import json

from checker.pipeline import CheckFailed


def dataset(page, key: str):
    """``document.body.dataset[key]`` (``None`` when absent)."""
    return page.evaluate(f"document.body.dataset[{json.dumps(key)}] ?? null")


def wait_for(page, expression: str, seconds: float) -> bool:
    """Wait until the JavaScript ``expression`` is truthy; ``False`` (not an exception) on timeout."""
    try:
        page.wait_for_function(expression, timeout=max(1, seconds * 1000))
        return True
    except Exception:  # noqa: BLE001 - Playwright's TimeoutError, or the page navigated away
        return False


def wait_for_state(page, states, seconds: float) -> str | None:
    """Wait until ``dataset.state`` is one of ``states`` or the page reports a problem; the state."""
    wanted = json.dumps(list(states))
    wait_for(page, f"{wanted}.includes(document.body.dataset.state) || !!document.body.dataset.problem", seconds)
    return dataset(page, "state")


def raise_problem(page, advice: str = "") -> None:
    """Fail with the page's own ``dataset.problem``, if it reports one."""
    problem = dataset(page, "problem")
    if problem:
        raise CheckFailed(f"the page reports: {problem}" + (f"\n{advice}" if advice else ""))


def texts(page, selector: str) -> list[str]:
    """The text of every element matching ``selector``, in order."""
    return page.eval_on_selector_all(selector, "items => items.map(item => item.textContent)")


def wait_for_count(page, selector: str, count: int, seconds: float) -> int:
    """Wait until at least ``count`` elements match ``selector``; how many there are."""
    wait_for(page, f"document.querySelectorAll({json.dumps(selector)}).length >= {count}", seconds)
    return page.evaluate(f"document.querySelectorAll({json.dumps(selector)}).length")


def console_note(console: list[str], last: int = 3) -> str:
    """" Browser console: ..." for a failure message, or ""."""
    return f"\nBrowser console: {'; '.join(console[-last:])}" if console else ""
