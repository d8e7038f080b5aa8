"""The real pre-commit framework, using this repository as a hook repository."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from helpers import FINAL, FINAL_NAME, PROJECT, git

pytestmark = pytest.mark.git  # hook_repo commits this working tree into a new repository

PRE_COMMIT = [sys.executable, "-m", "pre_commit"]


@pytest.fixture(scope="module")
def hook_repo(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, str]:
    """This project's working tree, committed into a throwaway repository."""
    path = tmp_path_factory.mktemp("hook-repo")
    tracked = git(PROJECT, "ls-files", "--cached", "--others", "--exclude-standard").split()
    for name in tracked:
        if (PROJECT / name).is_file():
            (path / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(PROJECT / name, path / name)
    git(path, "init", "-q")
    git(path, "add", "-A")
    git(path, "-c", "user.name=t", "-c", "user.email=t@example.com", "commit", "-qm", "hooks")
    return path, git(path, "rev-parse", "HEAD").strip()


@pytest.fixture(scope="module")
def pre_commit_home(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("pre-commit-home")


def commit(repo: Path, home: Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PRE_COMMIT_HOME": str(home)}
    return subprocess.run(
        ["git", "commit", "-qm", "Add postmortem"],
        cwd=repo,
        env=env,
        capture_output=True,
        text=True,
    )


@pytest.mark.slow  # pre-commit installs the hook's environment
def test_hook_blocks_an_incomplete_postmortem_and_passes_a_complete_one(
    tmp_path: Path, hook_repo: tuple[Path, str], pre_commit_home: Path
) -> None:
    hooks, rev = hook_repo
    git(tmp_path, "init", "-q")
    git(tmp_path, "config", "user.email", "author@example.com")
    git(tmp_path, "config", "user.name", "Author")
    (tmp_path / ".pre-commit-config.yaml").write_text(
        f"repos:\n  - repo: {hooks.as_uri()}\n    rev: {rev}\n    hooks:\n"
        "      - id: postmortem-lint\n"
    )
    env = {**os.environ, "PRE_COMMIT_HOME": str(pre_commit_home)}
    subprocess.run([*PRE_COMMIT, "install"], cwd=tmp_path, env=env, check=True, capture_output=True)

    incomplete = tmp_path / FINAL_NAME
    incomplete.parent.mkdir(parents=True)
    incomplete.write_text(FINAL.replace("## Lessons learned\n", "## What we learned\n"))
    (tmp_path / "notes.md").write_text("Not a postmortem: the hook must not look at it.\n")
    git(tmp_path, "add", "-A")
    blocked = commit(tmp_path, pre_commit_home)
    assert blocked.returncode == 1, blocked.stdout + blocked.stderr
    assert (
        f"{FINAL_NAME}:101:1: error missing-section missing section '## Lessons learned' "
        "(required from status final)"
    ) in blocked.stderr
    assert "notes.md" not in blocked.stderr
    assert git(tmp_path, "rev-list", "--all") == ""  # nothing was committed

    incomplete.write_text(FINAL)
    git(tmp_path, "add", "-A")
    passed = commit(tmp_path, pre_commit_home)
    assert passed.returncode == 0, passed.stdout + passed.stderr
    assert git(tmp_path, "log", "--format=%s") == "Add postmortem\n"


def test_hook_definition_matches_postmortem_files_only(hook_repo: tuple[Path, str]) -> None:
    import re

    import yaml

    [hook] = yaml.safe_load((PROJECT / ".pre-commit-hooks.yaml").read_text())
    assert hook["id"] == "postmortem-lint" and hook["entry"] == "postmortem lint"
    files = re.compile(hook["files"])
    assert files.search("postmortems/2026/AIPM-2026-001-x.md")
    assert not files.search("docs/postmortems.md")
    assert not files.search("postmortems/2026/evidence.png")
