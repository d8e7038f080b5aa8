"""Git history of the postmortems, read in one pass over the log.

One `git log` for the whole postmortems folder, oldest commit first, with
rename detection: each file's history follows it through renames. Asking git
once per file is what made git-date plugins slow (minutes on large sites).
Outside a git checkout there is no history, and nothing fails.
"""

from __future__ import annotations

import datetime as dt
import os
from collections.abc import Iterable
from pathlib import Path
from typing import Generic, NamedTuple, TypeVar

from postmortem_kit.format.collection import display_path
from postmortem_kit.git.command import GitError, names, pathspec, run_git, toplevel

SHALLOW_WARNING = (
    "this is a shallow clone: postmortem dates and contributors may be wrong; "
    "fetch the full history (`git fetch --unshallow`, or `fetch-depth: 0` in "
    "actions/checkout)"
)
_RECORD, _FIELD = "\x1e", "\x1f"
# A user's log settings must not change what we parse: the root commit's files,
# no --follow (log.follow would apply it to the folder), no signature lines.
_PLAIN_LOG = ("-c", "log.showRoot=true", "-c", "log.follow=false")
HEAD = ("--verify", "--quiet", "HEAD")  # rev-parse arguments: fails before the first commit


class FileHistory(NamedTuple):
    created: dt.datetime  # author date of the commit that added the file
    updated: dt.datetime  # author date of the last commit that changed it
    revisions: int
    contributors: tuple[str, ...]  # authors, first contribution first


T = TypeVar("T")


class History(NamedTuple, Generic[T]):
    files: dict[str, T]  # by path relative to the repository root
    shallow: bool
    root: Path

    def by_display_path(self, base: Path, paths: Iterable[Path] | None = None) -> dict[str, T]:
        """The histories of `paths` (default: every file), keyed by paths as
        findings show them. Linting one file looks up that file alone."""
        if paths is None:
            return {display_path(self.root / path, base): h for path, h in self.files.items()}
        found = {}
        for path in paths:
            history = self.files.get(_relative(path, self.root))
            if history:
                found[display_path(path, base)] = history
        return found


def read_history(start: Path, folder: Path) -> History[FileHistory] | None:
    """The history of every file under `folder`; None outside a git checkout.

    One log for the folder, even to lint one file: `git log --follow FILE`
    would be faster, but it also follows copies, so a postmortem written from
    a copy of another would take that one's history.
    """
    read = _log(start, folder)
    return History(_parse(read.log).files, read.shallow, read.root) if read else None


def read_first_commits(start: Path, folder: Path) -> History[dt.datetime] | None:
    """When each file under `folder` was first committed (the author date),
    following renames, as `read_history` says; None outside a git checkout.

    All that lint needs, so git lists only the commits that add, rename or
    delete a file: a fraction of the log to parse on every commit. A file
    first written in a merge commit (which the log leaves out) has no addition
    there; when the files that log accounts for are not those of HEAD, or a
    history starts at a rename, the whole log is read.
    """
    read = _log(start, folder, "--diff-filter=ADR")
    if read is None:
        return None
    replay = _parse(read.log)
    if not (replay.from_additions and set(replay.files) == _files_at_head(read.root, folder)):
        read = _log(start, folder)
        if read is None:
            return None
        replay = _parse(read.log)
    return History({path: h.created for path, h in replay.files.items()}, read.shallow, read.root)


class _Log(NamedTuple):
    log: str  # "" before the first commit
    shallow: bool
    root: Path


def _log(start: Path, folder: Path, *options: str) -> _Log | None:
    """The log of `folder`, oldest commit first, merges left out."""
    try:
        facts = run_git(start, "rev-parse", "--is-shallow-repository", "--show-toplevel", *HEAD)
    except GitError:  # outside git, or no commit yet (an empty history)
        try:
            return _Log("", False, toplevel(start))
        except GitError:
            return None
    # three lines, but the top folder's name may hold a newline itself
    shallow, _, rest = facts.removesuffix("\n").partition("\n")
    root = Path(rest.rpartition("\n")[0]).resolve()
    try:
        log = run_git(
            root,
            *_PLAIN_LOG,
            "log",
            "--no-show-signature",
            "--no-color",
            "--reverse",
            "-M",
            "--name-status",
            "--no-merges",
            "-z",
            *options,
            f"--format={_RECORD}%aI{_FIELD}%an",
            "--",
            pathspec(folder, root),
        )
    except GitError:
        return None
    return _Log(log, shallow == "true", root)


def _files_at_head(root: Path, folder: Path) -> set[str]:
    """The files under `folder` in the last commit (none before the first)."""
    spec = pathspec(folder, root)
    try:
        listing = run_git(root, "ls-tree", "-r", "-z", "--name-only", "HEAD", "--", spec)
    except GitError:
        return set()
    return set(names(listing))


def _relative(path: Path, root: Path) -> str:
    """`path` relative to the top of the working tree, as git names it: its
    folder resolved (the top is), the file itself not (git tracks links)."""
    full = os.path.abspath(path)
    folder = os.path.realpath(os.path.dirname(full))
    return Path(os.path.relpath(folder, root), os.path.basename(full)).as_posix()


class _Replay(NamedTuple):
    files: dict[str, FileHistory]
    from_additions: bool  # whether every history starts where the log adds the file


def _parse(log: str) -> _Replay:
    """Replay the log, oldest first, carrying each file's history across renames."""
    files: dict[str, FileHistory] = {}
    from_additions = True
    for record in log.split(_RECORD)[1:]:
        header, _, changes = record.partition("\x00")
        date_text, _, author = header.strip("\n").partition(_FIELD)
        when = dt.datetime.fromisoformat(date_text)
        fields = changes.strip("\n\x00").split("\x00")
        i = 0
        while i < len(fields) and fields[i]:
            status = fields[i].strip()
            if status.startswith(("R", "C")):
                old, new = fields[i + 1], fields[i + 2]
                i += 3
                before = files.pop(old, None) if status.startswith("R") else files.get(old)
                from_additions &= before is not None
                files[new] = _touch(before, when, author)
            else:
                path = fields[i + 1]
                i += 2
                if status.startswith("D"):
                    files.pop(path, None)
                else:
                    before = files.get(path)
                    from_additions &= before is not None or status.startswith("A")
                    files[path] = _touch(before, when, author)
    return _Replay(files, from_additions)


def _touch(history: FileHistory | None, when: dt.datetime, author: str) -> FileHistory:
    if history is None:
        return FileHistory(when, when, 1, (author,))
    contributors = history.contributors
    if author not in contributors:
        contributors = (*contributors, author)
    return FileHistory(history.created, when, history.revisions + 1, contributors)
