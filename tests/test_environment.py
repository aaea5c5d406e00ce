"""pyproject.toml, environment.yml, README.md and .ci/run tell the same story."""

from __future__ import annotations

import re
import tomllib

from workshop import paths

ROOT = paths.REPO_ROOT


def _pip_lines_of_environment_yml() -> list[str]:
    lines, inside = [], False
    for raw in (ROOT / "environment.yml").read_text().splitlines():
        line = raw.split("#", 1)[0].rstrip()
        if re.match(r"^\s*- pip:\s*$", line):
            inside = True
            continue
        if inside:
            match = re.match(r"^\s{6,}- (.+)$", line)
            if match:
                lines.append(match.group(1).strip())
            elif line.strip():
                inside = False
    return lines


def test_environment_yml_pins_the_same_packages_as_pyproject():
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    extras = [p for group in project.get("optional-dependencies", {}).values() for p in group]
    pinned = sorted(project["dependencies"] + extras, key=str.lower)
    conda = sorted((p for p in _pip_lines_of_environment_yml() if p != "-e ."), key=str.lower)
    assert conda == pinned
    assert all("==" in p for p in pinned), "pin every dependency exactly"


def test_environment_yml_brings_python_and_a_redis_server():
    text = (ROOT / "environment.yml").read_text()
    assert re.search(r"^\s*- python=3\.1[1-9]", text, re.M)
    assert re.search(r"^\s*- redis-server", text, re.M)


def test_ci_runs_exactly_the_readme_test_command():
    readme = (ROOT / "README.md").read_text()
    match = re.search(r"<!-- test-command -->\s*```(?:sh|bash)?\n(.+?)\n```", readme, re.S)
    assert match, "README.md must mark its test command with <!-- test-command -->"
    command = match.group(1).strip()
    ci_lines = [l.strip() for l in (ROOT / ".ci/run").read_text().splitlines() if l.strip() and not l.startswith("#")]
    assert ci_lines[-1] == command
