"""The lesson records, the three trees and the lesson texts agree with each other
(the records against the registered checks: tests/test_architecture.py)."""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

from workshop import paths

ROOT = paths.REPO_ROOT
IGNORED = {"__pycache__", ".pytest_cache"}
SECTIONS = ["Questions", "Objectives", "Timing", "Key points", "Instructor note"]


def _files(folder: Path) -> set[str]:
    return {str(p.relative_to(folder)) for p in folder.rglob("*")
            if p.is_file() and not IGNORED & set(p.relative_to(folder).parts) and p.suffix != ".pyc"}


def test_catalog_ids_are_unique_and_in_order(exercises):
    ids = [e.id for e in exercises]
    assert ids == sorted(ids) and len(set(ids)) == len(ids)
    for exercise in exercises:
        assert re.fullmatch(r"\d\d", exercise.id)
        assert exercise.slug.startswith(exercise.id + "-")
        assert exercise.checks, f"{exercise.id} has no checks"
        assert all(check.points > 0 for check in exercise.checks)
        assert len({c.name for c in exercise.checks}) == len(exercise.checks)
        assert exercise.hints, f"{exercise.id} has no progressive hints"


def test_catalog_matches_the_folders(exercises):
    slugs = {e.slug for e in exercises}
    for tree in (paths.EXERCISES, paths.SOLUTIONS):
        on_disk = {p.name for p in tree.iterdir() if p.is_dir() and p.name not in IGNORED}
        assert on_disk == slugs, f"{tree.name}/ holds {sorted(on_disk)}, the catalog {sorted(slugs)}"
    for exercise in exercises:
        assert (paths.LESSONS / exercise.slug / "README.md").is_file()


@pytest.mark.parametrize("tree", ["exercises", "solutions"])
def test_each_tree_holds_exactly_the_learner_files(exercises, tree):
    for exercise in exercises:
        folder = ROOT / tree / exercise.slug
        assert _files(folder) == set(exercise.files), f"{tree}/{exercise.slug}"


def _python_api(path: Path) -> dict[str, list[str]]:
    """Public top-level functions and classes (with their methods) and their parameters."""
    api = {}
    for node in ast.parse(path.read_text()).body:
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)) and not node.name.startswith("_"):
            api[node.name] = [a.arg for a in node.args.args + node.args.kwonlyargs]
        elif isinstance(node, ast.ClassDef) and not node.name.startswith("_"):
            api[node.name] = sorted(n.name for n in node.body if isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef)))
    return api


def _javascript_api(path: Path) -> set[str]:
    return set(re.findall(r"^(?:async\s+)?function\s+(\w+)\s*\(", path.read_text(), re.M))


def test_exercise_and_solution_have_the_same_public_functions(exercises):
    for exercise in exercises:
        for name in exercise.files:
            stub, done = paths.EXERCISES / exercise.slug / name, paths.SOLUTIONS / exercise.slug / name
            if name.endswith(".py"):
                assert _python_api(stub) == _python_api(done), name
            elif name.endswith(".js"):
                assert _javascript_api(stub) == _javascript_api(done), name


def test_exercise_files_are_stubs_and_solutions_are_not(exercises):
    for exercise in exercises:
        for name in exercise.files:
            stub = (paths.EXERCISES / exercise.slug / name).read_text()
            done = (paths.SOLUTIONS / exercise.slug / name).read_text()
            assert "TODO" in stub, f"exercises/{exercise.slug}/{name} has no TODO for the learner"
            assert "TODO" not in done, f"solutions/{exercise.slug}/{name} still has a TODO"
            if name.endswith(".py"):
                assert "NotImplementedError" in stub
                assert "raise NotImplementedError" not in done


def test_every_lesson_text_has_the_episode_sections(exercises):
    for exercise in exercises:
        text = (paths.LESSONS / exercise.slug / "README.md").read_text()
        headings = re.findall(r"^#+\s*(.+?)\s*$", text, re.M)
        for section in SECTIONS:
            assert any(h.lower().startswith(section.lower()) for h in headings), f"{exercise.slug}: no '{section}'"


def test_every_lesson_text_has_challenges_with_folded_answers(exercises):
    """At least two challenges, each answered in a folded <details> block right after it."""
    for exercise in exercises:
        text = (paths.LESSONS / exercise.slug / "README.md").read_text()
        answers = re.findall(r"<details><summary>Answer</summary>(.+?)</details>", text, re.S)
        assert len(answers) >= 2, f"{exercise.slug}: {len(answers)} folded answers, want at least 2"
        assert all(answer.strip() for answer in answers), f"{exercise.slug}: an empty answer"
        assert text.count("<details>") == text.count("</details>"), f"{exercise.slug}: unclosed <details>"


def test_every_lesson_has_a_demo(exercises):
    for exercise in exercises:
        assert (paths.LESSONS / exercise.slug / "demo.py").is_file(), exercise.slug
