"""Fixtures only; what tests share otherwise is in helpers.py."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from helpers import Repo


@pytest.fixture(autouse=True, scope="session")
def _cache_home(tmp_path_factory: pytest.TempPathFactory) -> None:
    """The toolkit's caches (ids, secret patterns) go to a folder of the test run,
    not the developer's home; commands the tests start inherit it."""
    os.environ["XDG_CACHE_HOME"] = str(tmp_path_factory.mktemp("cache"))


@pytest.fixture
def repo(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys) -> Repo:
    return Repo(tmp_path, monkeypatch, capsys)


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """The repo fixture runs `git init`: every test that uses it is a git test."""
    for item in items:
        if "repo" in getattr(item, "fixturenames", ()):
            item.add_marker(pytest.mark.git)
