"""Hint ladders: where each learner is on each check's ladder, remembered between runs.

Every check has a ladder in its lesson record (``hints = [question, concept, recipe]``). A
failing run shows the rung the learner has reached (the first, a question, until they ask for
more); ``python -m checker hint NN`` climbs one rung of the first failing check's ladder. The
state lives in the checker's state folder (``hints.json``), never in the learner's files:
``{"03": {"accept_key": 2, "": 1}}`` — the key ``""`` counts the lesson's own progressive hints.
"""

from __future__ import annotations

import json
from pathlib import Path

LESSON_KEY = ""


class HintState:
    def __init__(self, state_dir: Path):
        self.path = Path(state_dir) / "hints.json"
        try:
            raw = json.loads(self.path.read_text())
        except (OSError, ValueError):
            raw = {}
        # Older state files held one number per lesson (its progressive hints).
        self.rungs: dict[str, dict[str, int]] = {k: (v if isinstance(v, dict) else {LESSON_KEY: int(v)})
                                                 for k, v in raw.items()}

    def reached(self, lesson_id: str, check: str = LESSON_KEY) -> int:
        return self.rungs.get(lesson_id, {}).get(check, 0)

    def climb(self, lesson_id: str, check: str, top: int) -> int:
        """One rung up (at most ``top``); the rung now reached."""
        rung = min(self.reached(lesson_id, check) + 1, top)
        self.rungs.setdefault(lesson_id, {})[check] = rung
        return rung

    def reset(self, lesson_id: str) -> None:
        self.rungs.pop(lesson_id, None)

    def save(self) -> None:
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            self.path.write_text(json.dumps(self.rungs, indent=1))
        except OSError:
            pass  # a read-only checkout still grades; it just cannot remember


def apply_reached(lesson, result, state: HintState) -> None:
    """Record, with each failing check of ``result``, the highest rung the learner has been shown.

    The hint printed with a failing run stays the first rung (a question): the learner climbs
    further only by asking (``hint NN``), and ``--json`` says how far each has climbed.
    """
    for check_result in result.checks:
        if check_result.status.is_problem and lesson.check(check_result.name).hints:
            ladder = lesson.check(check_result.name).hints
            check_result.hint_rung = max(1, min(state.reached(lesson.id, check_result.name), len(ladder)))
