"""git, run as a command: one thin wrapper, one error type.

Each call is one `git` process, which starts in a few milliseconds; GitPython
took 30 ms to import, a fifth of a pre-commit run that lints one file. Paths
in listings come `-z`-separated: NUL is the one character no file name holds.
"""

from __future__ import annotations

import os
import subprocess
from pathlib import Path


class GitError(Exception):
    """A git question could not be answered; the message says what to do."""


# What git exports to hooks (GIT_DIR in a linked worktree, GIT_INDEX_FILE, ...)
# names the repository of the commit, not the folder we ask about: with the
# project below the top, GIT_DIR made rev-parse answer with the wrong top
# (pre-commit drops them for its own git calls, pre-commit/pre-commit#300).
# Kept: what says how to run git, not where.
_KEPT_GIT_VARIABLES = ("GIT_EXEC_PATH", "GIT_CEILING_DIRECTORIES", "GIT_CONFIG_", "GIT_SSL_")


def _environment() -> dict[str, str]:
    return {
        name: value
        for name, value in os.environ.items()
        if not name.startswith("GIT_") or name.startswith(_KEPT_GIT_VARIABLES)
    }


def run_git(cwd: Path, *args: str) -> str:
    """git's output; GitError with git's own message when it fails or is missing."""
    try:
        done = subprocess.run(
            ["git", *args],
            cwd=cwd,
            env=_environment(),
            capture_output=True,
            encoding="utf-8",
            errors="surrogateescape",  # a file name that is not UTF-8 stays a usable path
        )
    except OSError as e:  # no git, or `cwd` is gone
        raise GitError(f"cannot run git: {e.strerror}") from None
    if done.returncode != 0:
        raise GitError(done.stderr.strip().removeprefix("fatal: ") or f"git {args[0]} failed")
    return done.stdout


def toplevel(start: Path) -> Path:
    """The working tree's top folder around `start`; GitError outside a checkout."""
    return Path(run_git(start, "rev-parse", "--show-toplevel").removesuffix("\n")).resolve()


def pathspec(folder: Path, root: Path) -> str:
    """`folder` as a pathspec relative to `root` (the whole tree if it is outside)."""
    try:
        return folder.resolve().relative_to(root).as_posix() or "."
    except ValueError:
        return "."


def names(listing: str) -> list[str]:
    """The paths of a `-z` listing.

    Without `-z`, git quotes a name with quotes, tabs, newlines or non-ASCII
    letters ("\\303\\251"), and that quoted name is no file on disk: it was
    silently skipped.
    """
    return [name for name in listing.split("\x00") if name]
