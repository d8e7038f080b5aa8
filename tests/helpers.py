"""What the tests share: the sample postmortem, real git repositories with the
CLI run inside them, a mkdocs site built for real, and Chromium's settings.

Test modules import these from here (`from helpers import FINAL, Repo`), never
from another test module or from conftest.py, which holds fixtures only.
"""

from __future__ import annotations

import http.server
import os
import shutil
import subprocess
import sys
from pathlib import Path
from typing import NamedTuple

import pytest
from postmortem_kit.cli import main

DATA = Path(__file__).parent / "data"
PROJECT = Path(__file__).parent.parent
FINAL = (DATA / "final.md").read_text(encoding="utf-8")
FINAL_NAME = "postmortems/2025/AIPM-2025-001-support-assistant-invents-refund-policy.md"


# --- git repositories and the CLI run in them --------------------------------------


class Run(NamedTuple):
    exit_code: int
    out: str
    err: str


def git(cwd: Path, *args: str) -> str:
    return subprocess.run(
        ["git", *args], cwd=cwd, check=True, capture_output=True, text=True
    ).stdout


def commit(repo: Path, message: str, when: str, author: str = "Author") -> None:
    """Commit everything in `repo`, dated `when` (ISO 8601) and by `author`."""
    env = {
        **os.environ,
        "GIT_AUTHOR_DATE": when,
        "GIT_COMMITTER_DATE": when,
        "GIT_AUTHOR_NAME": author,
        "GIT_AUTHOR_EMAIL": f"{author.lower()}@example.com",
    }
    git(repo, "add", "-A")
    subprocess.run(["git", "commit", "-qm", message], cwd=repo, env=env, check=True)


RULES_OFF = '[tool.postmortem.rules]\nlate-draft = "off"\nunlinked-similar = "off"\n'


class Repo:
    """A git repository with a postmortems/ folder, and the CLI run inside it."""

    def __init__(self, path: Path, monkeypatch: pytest.MonkeyPatch, capsys) -> None:
        self.path = path
        self._monkeypatch = monkeypatch
        self._capsys = capsys
        git(path, "init", "-q", "-b", "main")
        git(path, "config", "user.email", "author@example.com")
        git(path, "config", "user.name", "Author")
        # Test files are dated 2025 and written today, and copies of one sample:
        # only the tests of late-draft (tests/test_history.py) and unlinked-similar
        # (tests/test_unlinked_similar.py) want those rules.
        self.write("pyproject.toml", RULES_OFF)

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


# --- postmortems and the site built from them --------------------------------------

MKDOCS_YML = """\
site_name: Incidents
theme:
  name: material
  font: false
plugins:
  - search
  - postmortems
"""


def postmortem(pm_id: str, **changes: str) -> str:
    """The clean final postmortem under another id, with lines replaced."""
    text = FINAL.replace("AIPM-2025-001", pm_id)
    for old, new in changes.items():
        old_line = next(line for line in text.split("\n") if line.startswith(f"{old}:"))
        text = text.replace(old_line, new, 1)
    return text


def build(repo: Repo, *args: str, audience: str | None = None) -> subprocess.CompletedProcess[str]:
    """`mkdocs build --strict` in the repository, for `audience` (the default: none set)."""
    env = {**os.environ, "NO_MKDOCS_2_WARNING": "1"}
    env.pop("POSTMORTEM_AUDIENCE", None)
    if audience:
        env["POSTMORTEM_AUDIENCE"] = audience
    return subprocess.run(
        [sys.executable, "-m", "mkdocs", "build", "--strict", *args],
        cwd=repo.path,
        env=env,
        capture_output=True,
        text=True,
    )


def html(repo: Repo, page: str) -> str:
    return (repo.path / "site" / page / "index.html").read_text(encoding="utf-8")


# --- the browser ---------------------------------------------------------------------

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"

# Without the background-networking flags Chromium tries to reach Google's hosts.
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


def require_chromium() -> None:
    """Skip the calling test module where there is no Chromium; CI has one."""
    if not Path(CHROMIUM).exists() and not os.environ.get("CI"):
        pytest.skip(
            "no chromium here (apt-get install chromium); CI installs it", allow_module_level=True
        )


class QuietHandler(http.server.SimpleHTTPRequestHandler):
    """Serves the built site without a log line per request."""

    def log_message(self, *args: object) -> None:
        pass
