"""Fixtures: real git repositories in temp dirs, and the linter run as users run it."""

from __future__ import annotations

import subprocess
from pathlib import Path
from typing import NamedTuple

import pytest
from postmortem_kit.cli import main

DATA = Path(__file__).parent / "data"
PROJECT = Path(__file__).parent.parent
FINAL = (DATA / "final.md").read_text(encoding="utf-8")
FINAL_NAME = "postmortems/2025/AIPM-2025-001-support-assistant-invents-refund-policy.md"


class Run(NamedTuple):
    exit_code: int
    out: str
    err: str


def git(cwd: Path, *args: str) -> str:
    return subprocess.run(
        ["git", *args], cwd=cwd, check=True, capture_output=True, text=True
    ).stdout


class Repo:
    """A git repository with a postmortems/ folder, and the CLI run inside it."""

    def __init__(self, path: Path, monkeypatch: pytest.MonkeyPatch, capsys) -> None:
        self.path = path
        self._monkeypatch = monkeypatch
        self._capsys = capsys
        git(path, "init", "-q", "-b", "main")
        git(path, "config", "user.email", "author@example.com")
        git(path, "config", "user.name", "Author")
        # Test files are dated 2025 and written today: only the late-draft tests
        # (tests/test_history.py) want that rule.
        self.write("pyproject.toml", '[tool.postmortem.rules]\nlate-draft = "off"\n')

    def write(self, relative: str, text: str | bytes) -> Path:
        target = self.path / relative
        target.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(text, bytes):
            target.write_bytes(text)
        else:
            target.write_text(text, encoding="utf-8", newline="")
        return target

    def run(self, *args: str) -> Run:
        self._monkeypatch.chdir(self.path)
        self._capsys.readouterr()
        code = main(list(args))
        captured = self._capsys.readouterr()
        return Run(code, captured.out, captured.err)


@pytest.fixture
def repo(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys) -> Repo:
    return Repo(tmp_path, monkeypatch, capsys)
