"""Git history of the postmortems, read in one pass over the log.

One `git log` for the whole postmortems folder, oldest commit first, with
rename detection: each file's history follows it through renames. Asking git
once per file is what made git-date plugins slow (minutes on large sites).
Outside a git checkout there is no history, and nothing fails.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import NamedTuple

from postmortem_kit.format.collection import display_path

SHALLOW_WARNING = (
    "this is a shallow clone: postmortem dates and contributors may be wrong; "
    "fetch the full history (`git fetch --unshallow`, or `fetch-depth: 0` in "
    "actions/checkout)"
)
_RECORD, _FIELD = "\x1e", "\x1f"


class FileHistory(NamedTuple):
    created: dt.datetime  # author date of the commit that added the file
    updated: dt.datetime  # author date of the last commit that changed it
    revisions: int
    contributors: tuple[str, ...]  # authors, first contribution first


class History(NamedTuple):
    files: dict[str, FileHistory]  # by path relative to the repository root
    shallow: bool
    root: Path

    def by_display_path(self, base: Path) -> dict[str, FileHistory]:
        """The same histories, keyed by paths as findings show them."""
        return {display_path(self.root / path, base): h for path, h in self.files.items()}


def read_history(start: Path, folder: Path) -> History | None:
    """The history of every file under `folder`; None outside a git checkout."""
    try:
        import git  # GitPython: imported here, it costs 100 ms that lint rarely needs
    except ImportError:
        return None
    try:
        repo = git.Repo(start, search_parent_directories=True)
        root = Path(repo.working_tree_dir or start).resolve()
        if not repo.head.is_valid():
            return History({}, False, root)  # a repository with no commits yet
        log = repo.git.log(
            "--reverse",
            "-M",
            "--name-status",
            "--no-merges",
            "-z",
            f"--format={_RECORD}%aI{_FIELD}%an",
            "--",
            _pathspec(folder, root),
        )
        shallow = repo.git.rev_parse("--is-shallow-repository").strip() == "true"
    except (git.InvalidGitRepositoryError, git.NoSuchPathError, git.GitCommandError, OSError):
        return None
    return History(_parse(log), shallow, root)


def _pathspec(folder: Path, root: Path) -> str:
    try:
        return folder.resolve().relative_to(root).as_posix() or "."
    except ValueError:
        return "."


def _parse(log: str) -> dict[str, FileHistory]:
    """Replay the log, oldest first, carrying each file's history across renames."""
    files: dict[str, FileHistory] = {}
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
                files[new] = _touch(before, when, author)
            else:
                path = fields[i + 1]
                i += 2
                if status.startswith("D"):
                    files.pop(path, None)
                else:
                    files[path] = _touch(files.get(path), when, author)
    return files


def _touch(history: FileHistory | None, when: dt.datetime, author: str) -> FileHistory:
    if history is None:
        return FileHistory(when, when, 1, (author,))
    contributors = history.contributors
    if author not in contributors:
        contributors = (*contributors, author)
    return FileHistory(history.created, when, history.revisions + 1, contributors)


class GitError(Exception):
    """A git question could not be answered; the message says what to do."""


def changed_files(start: Path, folder: Path, base: str | None) -> list[Path]:
    """Files under `folder` that differ from `base` (default: the merge base with
    the default branch), committed or not, new files included."""
    import git

    try:
        repo = git.Repo(start, search_parent_directories=True)
    except (git.InvalidGitRepositoryError, git.NoSuchPathError):
        raise GitError("--changed needs a git checkout") from None
    root = Path(repo.working_tree_dir or start).resolve()
    spec = _pathspec(folder, root)
    try:
        ref = base or _default_branch(repo)
        merge_base = repo.git.merge_base(ref, "HEAD").strip()
        changed = repo.git.diff("--name-only", "-z", "--diff-filter=ACMR", merge_base, "--", spec)
        untracked = repo.git.ls_files("--others", "--exclude-standard", "-z", "--", spec)
    except git.GitCommandError as e:
        raise GitError(
            f"cannot compare with '{base or 'the default branch'}': "
            f"{e.stderr.strip().removeprefix('stderr: ').strip(chr(39))}; name a branch or "
            "commit with --base (in CI, fetch it first)"
        ) from None
    return sorted({root / name for name in (*_names(changed), *_names(untracked))})


def _names(listing: str) -> list[str]:
    """The paths of a `-z` listing.

    Without `-z`, git quotes a name with quotes, tabs, newlines or non-ASCII
    letters ("\\303\\251"), and that quoted name is no file on disk: it was
    silently skipped. NUL is the one character no file name holds.
    """
    return [name for name in listing.split("\x00") if name]


def _default_branch(repo: object) -> str:
    """origin's HEAD if known, else a local or remote main or master."""
    import git

    assert isinstance(repo, git.Repo)
    try:
        return repo.git.symbolic_ref("--short", "refs/remotes/origin/HEAD").strip()
    except git.GitCommandError:
        pass
    names = {ref.name for ref in repo.references}
    for candidate in ("origin/main", "origin/master", "main", "master"):
        if candidate in names:
            return candidate
    raise git.GitCommandError("merge-base", 128, "no default branch found (main or master)")


def ids_on_all_branches(start: Path, folder: Path) -> list[str]:
    """The file names, hence ids, of every postmortem any branch ever had."""
    try:
        import git

        repo = git.Repo(start, search_parent_directories=True)
        root = Path(repo.working_tree_dir or start).resolve()
        if not repo.head.is_valid():
            return []
        log = repo.git.log("--all", "--format=", "--name-only", "-z", "--", _pathspec(folder, root))
    except Exception:  # no git, no repository, no commits: the working tree decides
        return []
    return [Path(name).name for name in _names(log)]
