"""The format's words are written once: a severity added to the vocabulary
alone reaches the schema, the CLI and the site.

The test edits a copy of the package, as a developer would edit the source,
and runs the real commands on the copy."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from helpers import FINAL, MKDOCS_YML, PROJECT

pytestmark = pytest.mark.slow

NEW_SEVERITY = "catastrophic"


@pytest.fixture(scope="module")
def edited_package(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A copy of the package whose vocabulary has one more severity; nothing else edited."""
    copy = tmp_path_factory.mktemp("package")
    package = copy / "postmortem_kit"
    shutil.copytree(PROJECT / "tools" / "postmortem_kit", package)
    shutil.copytree(PROJECT / "schema", package / "schema")
    vocabulary = package / "format" / "vocabulary.py"
    text = vocabulary.read_text(encoding="utf-8")
    old = 'SEVERITIES = ("near-miss", "low", "medium", "high", "critical")'
    assert old in text
    vocabulary.write_text(text.replace(old, old[:-1] + f', "{NEW_SEVERITY}")'), encoding="utf-8")
    return copy


def run(package: Path, cwd: Path, *args: str) -> str:
    env = {**os.environ, "PYTHONPATH": str(package), "NO_MKDOCS_2_WARNING": "1"}
    done = subprocess.run([sys.executable, *args], cwd=cwd, env=env, capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    return done.stdout


def test_the_copy_is_what_runs(edited_package: Path, tmp_path: Path) -> None:
    where = run(
        edited_package, tmp_path, "-c", "import postmortem_kit; print(postmortem_kit.__file__)"
    )
    assert where.startswith(str(edited_package))


def test_a_new_severity_reaches_schema_cli_and_site(edited_package: Path, tmp_path: Path) -> None:
    schema = json.loads(run(edited_package, tmp_path, "-m", "postmortem_kit.cli", "schema"))
    assert NEW_SEVERITY in schema["properties"]["severity"]["enum"]

    help_text = run(edited_package, tmp_path, "-m", "postmortem_kit.cli", "new", "--help")
    assert f"high|critical|{NEW_SEVERITY}]" in help_text

    (tmp_path / "mkdocs.yml").write_text(MKDOCS_YML, encoding="utf-8")
    (tmp_path / "docs").mkdir()
    postmortem = tmp_path / "postmortems/2025/AIPM-2025-001-refunds.md"
    postmortem.parent.mkdir(parents=True)
    postmortem.write_text(FINAL.replace("severity: high", f"severity: {NEW_SEVERITY}"))
    lint = run(
        edited_package, tmp_path, "-m", "postmortem_kit.cli", "lint", "--today", "2026-01-01"
    )
    assert "no problems found" in lint
    run(edited_package, tmp_path, "-m", "mkdocs", "build", "--strict")
    severities = (tmp_path / "site" / "severity" / "index.html").read_text(encoding="utf-8")
    assert NEW_SEVERITY in severities
    assert (tmp_path / "site" / "severity" / NEW_SEVERITY / "index.html").is_file()
