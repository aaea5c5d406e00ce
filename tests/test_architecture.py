"""The house rules that keep the codebase changeable, as tests.

- One record per lesson, and the checks it names are exactly the checks registered in code.
- The READMEs' generated tables match the records (``python -m checker.docs --write`` fixes them).
- Every wait inside a check takes its limit from the context (no literal ``timeout=5``, no
  ``time.sleep``), so ``CHECKER_TIMEOUT_SCALE`` reaches every one of them.
- No module much over 400 lines.
- Stubs and solutions differ only in function bodies: the same module, class and function
  docstrings (the specification), the same public names and signatures.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

from checker import catalog, docs
from checker.checks import checks_of
from workshop import paths

ROOT = paths.REPO_ROOT
LESSONS = catalog.load()
MAX_LINES = 420
CODE_ROOTS = ("checker", "workshop", "lessons", "bench")


def _ids(lessons):
    return [lesson.id for lesson in lessons]


def test_every_lesson_folder_has_a_record():
    folders = sorted(p.name for p in paths.LESSONS.iterdir() if p.is_dir() and p.name[:2].isdigit())
    assert [lesson.slug for lesson in LESSONS] == folders


@pytest.mark.parametrize("lesson", LESSONS, ids=_ids(LESSONS))
def test_record_names_exactly_the_registered_checks(lesson):
    assert list(checks_of(lesson)) == [check.name for check in lesson.checks]


@pytest.mark.parametrize("lesson", LESSONS, ids=_ids(LESSONS))
def test_record_is_complete(lesson):
    assert lesson.title and lesson.summary and lesson.files and lesson.timing
    assert all(check.hints for check in lesson.checks), "every check has a hint ladder"
    ring_order = [ring.name for ring in lesson.rings]
    positions = [ring_order.index(check.ring) for check in lesson.checks]
    assert positions == sorted(positions), "checks are listed from the inner rings outwards"


def test_generated_tables_match_the_records():
    assert docs.stale(LESSONS) == [], "run: python -m checker.docs --write"


def _literal(node) -> bool:
    """A number, or arithmetic on numbers only (``5``, ``2 * 1000``)."""
    if isinstance(node, ast.Constant):
        return isinstance(node.value, (int, float)) and not isinstance(node.value, bool)
    if isinstance(node, ast.BinOp):
        return _literal(node.left) and _literal(node.right)
    if isinstance(node, ast.UnaryOp):
        return _literal(node.operand)
    return False


def _unscaled_waits(path: Path) -> list[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    found = []
    for node in ast.walk(tree):
        if not isinstance(node, ast.Call):
            continue
        name = node.func.attr if isinstance(node.func, ast.Attribute) else getattr(node.func, "id", "")
        where = f"{paths.relative(path)}:{node.lineno}"
        if name == "sleep" and isinstance(node.func, ast.Attribute) and getattr(node.func.value, "id", "") == "time":
            found.append(f"{where} time.sleep(...): use ctx.sleep(...) or wait for a state")
        if name == "wait_for_timeout":
            found.append(f"{where} page.wait_for_timeout(...): wait for a page state (checker.probes.page)")
        for keyword in node.keywords:
            if keyword.arg in ("timeout", "ready_timeout") and _literal(keyword.value):
                found.append(f"{where} {keyword.arg}={ast.unparse(keyword.value)}: use ctx.timeout(...)")
    return found


CHECK_FILES = sorted((ROOT / "checker" / "checks").rglob("*.py"))


@pytest.mark.parametrize("path", CHECK_FILES, ids=[p.name for p in CHECK_FILES])
def test_every_wait_in_a_check_is_scaled(path):
    assert _unscaled_waits(path) == []


def _code_files():
    for root in CODE_ROOTS:
        for path in sorted((ROOT / root).rglob("*.py")):
            if "node_modules" not in path.parts and "migrations" not in path.parts:
                yield path


def test_no_module_much_over_400_lines():
    long = {paths.relative(p): n for p in _code_files() if (n := len(p.read_text(encoding="utf-8").splitlines())) > MAX_LINES}
    assert long == {}


def _specification(path: Path) -> dict[str, str]:
    """Docstrings and signatures of a learner file, by qualified name (private helpers left out)."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    spec = {"<module>": ast.get_docstring(tree, clean=False) or ""}

    def visit(node, prefix: str) -> None:
        for child in ast.iter_child_nodes(node):
            if isinstance(child, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
                name = prefix + child.name
                if child.name.startswith("_") and not child.name.startswith("__"):
                    continue
                signature = ast.unparse(child.args) if not isinstance(child, ast.ClassDef) else ""
                spec[name] = f"{signature}\n{ast.get_docstring(child, clean=False) or ''}"
                visit(child, name + ".")

    visit(tree, "")
    return spec


PAIRS = [(lesson, name) for lesson in LESSONS for name in lesson.files if name.endswith(".py")]


@pytest.mark.parametrize("lesson,name", PAIRS, ids=[f"{l.id}/{n}" for l, n in PAIRS])
def test_stub_and_solution_share_the_specification(lesson, name):
    stub = _specification(lesson.exercise_dir(paths.EXERCISES) / name)
    solution = _specification(lesson.exercise_dir(paths.SOLUTIONS) / name)
    assert stub == solution
