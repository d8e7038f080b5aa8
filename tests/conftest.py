"""Fixtures only; what tests share otherwise is in helpers.py."""

from __future__ import annotations

from pathlib import Path

import pytest
from helpers import Repo


@pytest.fixture
def repo(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys) -> Repo:
    return Repo(tmp_path, monkeypatch, capsys)


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """The repo fixture runs `git init`: every test that uses it is a git test."""
    for item in items:
        if "repo" in getattr(item, "fixturenames", ()):
            item.add_marker(pytest.mark.git)
