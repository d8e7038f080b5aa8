"""What git knows beyond the working tree: files changed since a base, and ids
other branches hold (so parallel pull requests do not pick the same number)."""

from __future__ import annotations

from pathlib import Path

from postmortem_kit.git.command import GitError, names, pathspec, run_git, toplevel

_DEFAULT_BRANCHES = ("origin/main", "origin/master", "main", "master")


def changed_files(start: Path, folder: Path, base: str | None) -> list[Path]:
    """Files under `folder` that differ from `base` (default: the merge base with
    the default branch), committed or not, new files included."""
    try:
        root = toplevel(start)
    except GitError as e:
        raise GitError(f"--changed needs a git checkout: {e}") from None
    spec = pathspec(folder, root)
    try:
        ref = base or _default_branch(root)
        merge_base = run_git(root, "merge-base", ref, "HEAD").strip()
        changed = run_git(
            root, "diff", "--name-only", "-z", "--diff-filter=ACMR", merge_base, "--", spec
        )
        untracked = run_git(root, "ls-files", "--others", "--exclude-standard", "-z", "--", spec)
    except GitError as e:
        raise GitError(
            f"cannot compare with '{base or 'the default branch'}': {e}; name a branch or "
            "commit with --base (in CI, fetch it first)"
        ) from None
    return sorted({root / name for name in (*names(changed), *names(untracked))})


def _default_branch(root: Path) -> str:
    """origin's HEAD if known, else a local or remote main or master."""
    try:
        return run_git(root, "symbolic-ref", "--short", "refs/remotes/origin/HEAD").strip()
    except GitError:
        pass
    short_names = "--format=%(refname:short)"
    known = set(run_git(root, "for-each-ref", short_names, "refs/heads", "refs/remotes").split())
    for candidate in _DEFAULT_BRANCHES:
        if candidate in known:
            return candidate
    raise GitError("no default branch found (main or master)")


def ids_on_all_branches(start: Path, folder: Path) -> list[str]:
    """The file names, hence ids, of every postmortem any branch ever had."""
    try:
        root = toplevel(start)
        spec = pathspec(folder, root)
        log = run_git(root, "log", "--all", "--format=", "--name-only", "-z", "--", spec)
    except GitError:  # not a checkout: the working tree decides
        return []
    return [Path(name).name for name in names(log)]
