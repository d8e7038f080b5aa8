"""The GitHub workflow files: valid YAML, and they call commands that exist."""

from __future__ import annotations

import re
import shlex
from pathlib import Path

import yaml
from click.testing import CliRunner
from helpers import PROJECT
from postmortem_kit.cli import cli

WORKFLOWS = sorted((PROJECT / ".github" / "workflows").glob("*.yml"))


def run_steps(workflow: Path) -> list[str]:
    # PyYAML reads the key `on` as True: that is YAML 1.1, and GitHub's own reader agrees
    document = yaml.safe_load(workflow.read_text())
    assert document.get(True) or document.get("on"), workflow
    return [
        line.strip()
        for job in document["jobs"].values()
        for step in job["steps"]
        for line in step.get("run", "").splitlines()
        if line.strip()
    ]


def test_workflows_are_valid_and_call_real_commands() -> None:
    assert [w.name for w in WORKFLOWS] == ["overdue-actions.yml", "postmortems.yml"]
    calls = [line for w in WORKFLOWS for line in run_steps(w) if line.startswith("postmortem ")]
    assert len(calls) == 4
    for line in calls:
        words = shlex.split(re.sub(r"\$\{\{[^}]*\}\}", "main", line).split(" >")[0])
        result = CliRunner().invoke(cli, [*words[1:], "--help"])
        assert result.exit_code == 0, f"{line}: {result.output}"
        for option in (w.split("=")[0] for w in words if w.startswith("--")):
            assert option in result.output, f"{line}: no option {option}"


def test_pull_request_check_needs_full_history() -> None:
    document = yaml.safe_load((PROJECT / ".github" / "workflows" / "postmortems.yml").read_text())
    for job in document["jobs"].values():
        assert job["steps"][0]["with"]["fetch-depth"] == 0


def test_pull_request_template_has_the_triage_checklist() -> None:
    template = (PROJECT / ".github" / "PULL_REQUEST_TEMPLATE" / "postmortem.md").read_text()
    assert template.count("- [ ] ") >= 7
    for word in [
        "Direct harm",
        "Sensitive data",
        "Anomalous traffic",
        "Assets exposed",
        "Reproducible",
        "Out of distribution",
        "Prior similar",
    ]:
        assert word in template
