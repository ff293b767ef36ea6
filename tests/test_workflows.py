"""The GitHub workflows call only hubtools commands that exist, and CI runs the README's test command."""

import re
import shlex
from pathlib import Path

import pytest
import yaml

from hubtools.cli import build_parser

ROOT = Path(__file__).resolve().parent.parent
WORKFLOWS = sorted((ROOT / ".github" / "workflows").glob("*.yml"))


def _run_lines(workflow: Path) -> list[str]:
    data = yaml.safe_load(workflow.read_text())
    lines = []
    for job in data["jobs"].values():
        for step in job["steps"]:
            lines.extend(step.get("run", "").splitlines())
    return lines


def _hubtools_calls(lines: list[str]) -> list[list[str]]:
    calls = []
    for line in lines:
        for match in re.finditer(r"(?:\.venv/bin/)?hubtools\s+([^|;&]+)", line):
            calls.append(
                shlex.split(match.group(1).replace('"$RECIPE"', "demo").replace('"$GITHUB_REF_NAME"', "v1.0.0"))
            )
    return calls


def test_there_are_workflows():
    assert {path.name for path in WORKFLOWS} >= {"ci.yml", "release.yml"}


@pytest.mark.parametrize("workflow", WORKFLOWS, ids=lambda path: path.name)
def test_workflow_hubtools_commands_parse(workflow):
    parser = build_parser()
    for argv in _hubtools_calls(_run_lines(workflow)):
        parser.parse_args(argv)  # exits (SystemExit) on an unknown command or option


def test_release_workflow_runs_on_version_tags_behind_the_tests():
    data = yaml.safe_load((ROOT / ".github/workflows/release.yml").read_text())
    triggers = data[True] if True in data else data["on"]  # YAML 1.1 reads the key `on` as True
    assert triggers["push"]["tags"] == ["v*"]
    assert data["jobs"]["release"]["needs"] == "test"
    assert any("hubtools release" in line for line in _run_lines(ROOT / ".github/workflows/release.yml"))


def test_ci_runs_the_readme_test_command():
    readme = (ROOT / "README.md").read_text()
    assert "make test" in readme
    assert "make test" in (ROOT / ".ci" / "run").read_text()
    assert any(
        line.startswith("make test") or " make test" in line for line in _run_lines(ROOT / ".github/workflows/ci.yml")
    )
