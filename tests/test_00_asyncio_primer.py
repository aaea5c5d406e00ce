"""Lesson 00: each classic asyncio mistake, planted in a copy of the solution, fails its check with advice.

The generic tests already grade the solution (100 %) and the stubs (all fail); these make sure
the checks catch the *plausible wrong* answers, which is what a learner actually writes.
"""

from __future__ import annotations

import subprocess
import sys

import pytest

from tests.helpers import checker_json, copy_tree
from workshop import paths

SLUG = "00-asyncio-primer"

MISTAKES = {
    "time.sleep in a coroutine": (
        "    await asyncio.sleep(delay)\n", "    import time\n    time.sleep(delay)\n",
        "greet_later", "kept the event loop to itself"),
    "a plain def": (
        "async def greet_later(name: str, delay: float) -> str:", "def greet_later(name: str, delay: float) -> str:",
        "greet_later", "must be a coroutine function"),
    "jobs awaited one after the other": (
        "    return list(await asyncio.gather(*(job() for job in jobs)))\n",
        "    return [await job() for job in jobs]\n", "run_all", "one after the other"),
    "a timeout that swallows every error": (
        "    except TimeoutError:\n        return default\n", "    except Exception:\n        return default\n",
        "within", "only a *timeout*"),
    "a timeout that leaves the job running": (
        "    try:\n        return await asyncio.wait_for(job(), seconds)\n    except TimeoutError:\n        return default\n",
        "    task = asyncio.ensure_future(job())\n    done, _ = await asyncio.wait([task], timeout=seconds)\n"
        "    return task.result() if done else default\n", "within", "was not cancelled"),
    "losers cancelled but not awaited": (
        "        await asyncio.gather(*tasks, return_exceptions=True)\n", "", "first_done", "had not happened"),
    "waiting for every job": (
        "return_when=asyncio.FIRST_COMPLETED", "return_when=asyncio.ALL_COMPLETED", "first_done",
        "did not return although one job had finished"),
    "a blocking call on the loop": (
        "    return await asyncio.to_thread(function, *args)\n", "    return function(*args)\n",
        "off_the_loop", "stood still"),
}


@pytest.mark.parametrize("mistake", sorted(MISTAKES))
def test_a_classic_mistake_fails_its_check_with_advice(mistake, tmp_path, state_dir):
    old, new, check, words = MISTAKES[mistake]
    tree = copy_tree(paths.SOLUTIONS, tmp_path / "tree", [SLUG])
    primer = tree / SLUG / "primer.py"
    source = primer.read_text()
    assert source.count(old) == 1, f"the solution changed: update the mistake {mistake!r}"
    changed = source.replace(old, new)
    if mistake == "a plain def":  # `await` is not allowed in a plain function
        changed = changed.replace("    await asyncio.sleep(delay)\n", "    import time\n    time.sleep(delay)\n")
    primer.write_text(changed)
    code, document = checker_json("00", "--target", str(tree), env=state_dir)
    checks = {c["name"]: c for c in document["exercises"][0]["checks"]}
    assert code == 1
    assert checks[check]["status"] == "fail", checks[check]
    assert words in checks[check]["message"], checks[check]["message"]
    assert "Traceback" not in checks[check]["message"]
    others = {name: c["status"] for name, c in checks.items() if name != check}
    assert set(others.values()) <= {"pass"}, others


def test_the_benchmark_prints_a_stall_for_each_way_of_waiting():
    done = subprocess.run([sys.executable, str(paths.REPO_ROOT / "bench" / "00_blocking_loop.py"), "--seconds", "0.2",
                           "--interval", "0.01"], capture_output=True, text=True, timeout=60, cwd=paths.REPO_ROOT)
    assert done.returncode == 0, done.stderr
    for label in ("time.sleep in the loop", "await asyncio.sleep", "await asyncio.to_thread"):
        assert label in done.stdout, done.stdout
