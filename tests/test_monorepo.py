"""A project in a subfolder of its git repository (a monorepo): `pyproject.toml`
and `mkdocs.yml` in `incidents/`, the git top above. History is read from the
git top and looked up by the paths pages and findings show, which start at the
project: the two must meet, or pages silently lose their history."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest
from helpers import FINAL, MKDOCS_YML, Repo, commit

pytestmark = [pytest.mark.git, pytest.mark.slow]

PROJECT_DIR = "services/incidents"
NAME = "postmortems/2025/AIPM-2025-001-refunds.md"


@pytest.fixture
def monorepo(repo: Repo) -> Repo:
    (repo.path / "pyproject.toml").unlink()  # the git top configures nothing
    repo.write("README.md", "Many services.\n")
    repo.write(f"{PROJECT_DIR}/pyproject.toml", '[tool.postmortem]\nid_prefix = "AIPM"\n')
    repo.write(f"{PROJECT_DIR}/mkdocs.yml", MKDOCS_YML)
    repo.write(f"{PROJECT_DIR}/docs/.keep", "")
    repo.write(f"{PROJECT_DIR}/{NAME}", FINAL.replace("visibility: internal", "visibility: public"))
    commit(repo.path, "First draft", "2025-02-12T09:00:00+00:00", "Dana")
    path = repo.path / PROJECT_DIR / NAME
    path.write_text(path.read_text().replace("412 customers", "413 customers"))
    commit(repo.path, "Fix count", "2025-02-20T10:00:00+00:00", "Priya")
    return repo


def test_site_history_in_a_subfolder_project(monorepo: Repo) -> None:
    project = monorepo.path / PROJECT_DIR
    done = subprocess.run(
        [sys.executable, "-m", "mkdocs", "build", "--strict"],
        cwd=project,
        env={**os.environ, "NO_MKDOCS_2_WARNING": "1"},
        capture_output=True,
        text=True,
    )
    assert done.returncode == 0, done.stderr
    page = (project / "site" / "incidents" / "AIPM-2025-001" / "index.html").read_text()
    assert "Created 2025-02-12 · last updated 2025-02-20 · 2 revisions" in page
    assert "contributors: Dana, Priya" in page
    records = json.loads((project / "site" / "incidents.json").read_text())["incidents"]
    assert [r["path"] for r in records] == [NAME]
    assert records[0]["history"] == {
        "created": "2025-02-12T09:00:00+00:00",
        "updated": "2025-02-20T10:00:00+00:00",
        "revisions": 2,
        "contributors": ["Dana", "Priya"],
    }


def test_pages_command_history_in_a_subfolder_project(monorepo: Repo, tmp_path) -> None:
    monorepo.path = monorepo.path / PROJECT_DIR  # run the CLI from the project's folder
    run = monorepo.run("pages", "--out", str(tmp_path / "out"))
    assert run.exit_code == 0, run.err
    records = json.loads((tmp_path / "out" / "incidents.json").read_text())["incidents"]
    assert records[0]["history"]["contributors"] == ["Dana", "Priya"]


def test_late_draft_in_a_subfolder_project(monorepo: Repo) -> None:
    """Lint, run from the project or from inside its folders, finds the history too."""
    monorepo.path = monorepo.path / PROJECT_DIR
    run = monorepo.run("lint", NAME)
    # identified 2025-02-10: the first commit on the 12th is within 72 hours
    assert "late-draft" not in run.out, run.out
    assert run.exit_code == 0, run.out


def test_history_under_a_hook_s_git_variables(monorepo: Repo, monkeypatch) -> None:
    """git exports GIT_DIR (and GIT_INDEX_FILE) to hooks, in a linked worktree
    for one: they must not change which folder is the top of the tree."""
    monkeypatch.setenv("GIT_DIR", str(monorepo.path / ".git"))
    monkeypatch.setenv("GIT_INDEX_FILE", str(monorepo.path / ".git" / "index"))
    monorepo.path = monorepo.path / PROJECT_DIR
    run = monorepo.run("lint", NAME)
    assert (run.exit_code, run.out) == (0, "1 file checked: no problems found.\n")
