"""Git history: one pass over the log, late-draft, --changed, ids across branches."""

from __future__ import annotations

import datetime as dt
import json
import subprocess
import sys
from pathlib import Path

import pytest
from helpers import FINAL, Repo, commit, git
from postmortem_kit.cli import main
from postmortem_kit.git.changes import ids_on_all_branches
from postmortem_kit.git.history import read_first_commits, read_history

NAME = "postmortems/2025/AIPM-2025-001-refunds.md"  # identified: 2025-02-11


@pytest.fixture
def history_repo(repo: Repo) -> Repo:
    """late-draft on (the fixture's pyproject turns it off), two postmortems."""
    repo.write("pyproject.toml", '[tool.postmortem.rules]\nunlinked-similar = "off"\n')
    repo.write(NAME, FINAL)
    commit(repo.path, "Draft", "2025-02-12T09:00:00+00:00", "Dana")
    repo.write(NAME, FINAL.replace("412 customers", "413 customers"))
    commit(repo.path, "Fix count", "2025-02-20T10:00:00+00:00", "Priya")
    return repo


def test_history_in_one_pass_follows_renames(history_repo: Repo) -> None:
    renamed = "postmortems/2025/AIPM-2025-001-bereavement-refunds.md"
    git(history_repo.path, "mv", NAME, renamed)
    commit(history_repo.path, "Rename", "2025-03-01T08:00:00+00:00", "Dana")
    history = read_history(history_repo.path, history_repo.path / "postmortems")
    assert history is not None and not history.shallow
    assert list(history.files) == [renamed]
    entry = history.files[renamed]
    assert entry.created == dt.datetime(2025, 2, 12, 9, tzinfo=dt.UTC)
    assert entry.updated == dt.datetime(2025, 3, 1, 8, tzinfo=dt.UTC)
    assert (entry.revisions, entry.contributors) == (3, ("Dana", "Priya"))


def test_first_commits_follow_renames_and_start_again_after_a_deletion(
    history_repo: Repo,
) -> None:
    """Lint reads only the commits that add, rename or delete a file: the
    first commit must still be the one that added it under its first name."""
    renamed, again = "postmortems/2025/AIPM-2025-001-renamed.md", "postmortems/2025/again.md"
    git(history_repo.path, "mv", NAME, renamed)
    history_repo.write(again, FINAL.replace("AIPM-2025-001", "AIPM-2025-002"))
    commit(history_repo.path, "Rename, and another", "2025-03-01T08:00:00+00:00")
    git(history_repo.path, "rm", "-q", again)
    commit(history_repo.path, "Remove it", "2025-03-02T08:00:00+00:00")
    history_repo.write(again, "---\nid: AIPM-2025-003\n---\nWritten anew.\n")
    commit(history_repo.path, "Write it anew", "2025-03-03T08:00:00+00:00")
    first = read_first_commits(history_repo.path, history_repo.path / "postmortems")
    assert first is not None and not first.shallow
    assert first.files == {
        renamed: dt.datetime(2025, 2, 12, 9, tzinfo=dt.UTC),
        again: dt.datetime(2025, 3, 3, 8, tzinfo=dt.UTC),
    }


def late_draft(repo: Repo) -> list[str]:
    run = repo.run("lint", "--today", "2026-01-01", NAME)
    return [line for line in run.out.splitlines() if " late-draft " in line]


def test_a_postmortem_first_written_in_a_merge_commit_is_dated_as_before(repo: Repo) -> None:
    """Lint reads only additions, renames and deletions, and merges are left
    out: a file written in a merge commit, then edited, has no addition there.
    It must still be dated by its first commit in the log, not judged uncommitted."""
    repo.write("pyproject.toml", '[tool.postmortem.rules]\nunlinked-similar = "off"\n')
    repo.write("notes.md", "x")
    commit(repo.path, "Base", "2025-02-01T00:00:00+00:00")
    git(repo.path, "checkout", "-q", "-b", "side")
    repo.write("side.txt", "x")
    commit(repo.path, "Side", "2025-02-10T00:00:00+00:00")
    git(repo.path, "checkout", "-q", "main")
    git(repo.path, "merge", "-q", "--no-ff", "--no-commit", "side")
    repo.write(NAME, FINAL)
    commit(repo.path, "Merge, with the postmortem", "2025-02-12T09:00:00+00:00")
    repo.write(NAME, FINAL.replace("412 customers", "413 customers"))
    commit(repo.path, "Fix count", "2025-02-12T10:00:00+00:00")
    assert late_draft(repo) == []  # first in the log 25 hours after it was identified
    first = read_first_commits(repo.path, repo.path / "postmortems")
    history = read_history(repo.path, repo.path / "postmortems")
    assert first is not None and history is not None
    assert first.files == {NAME: history.files[NAME].created}


def test_a_postmortem_kept_by_a_merge_after_a_branch_deleted_it(repo: Repo) -> None:
    repo.write("pyproject.toml", '[tool.postmortem.rules]\nunlinked-similar = "off"\n')
    repo.write(NAME, FINAL)
    commit(repo.path, "Draft", "2025-02-12T09:00:00+00:00")
    git(repo.path, "checkout", "-q", "-b", "side")
    git(repo.path, "rm", "-q", NAME)
    commit(repo.path, "Remove", "2025-02-12T10:00:00+00:00")
    git(repo.path, "checkout", "-q", "main")
    repo.write(NAME, FINAL.replace("412 customers", "413 customers"))
    commit(repo.path, "Edit", "2025-02-12T11:00:00+00:00")
    merge = ["git", "merge", "-q", "--no-commit", "side"]
    subprocess.run(merge, cwd=repo.path, capture_output=True)  # a modify/delete conflict
    repo.write(NAME, FINAL.replace("412 customers", "414 customers"))
    commit(repo.path, "Keep it", "2025-02-12T12:00:00+00:00")
    assert late_draft(repo) == []


def test_a_user_s_log_settings_do_not_change_the_history(history_repo: Repo) -> None:
    for setting, value in [
        ("log.showRoot", "false"),
        ("log.follow", "true"),
        ("color.ui", "always"),
    ]:
        git(history_repo.path, "config", setting, value)
    history = read_history(history_repo.path, history_repo.path / "postmortems")
    assert history is not None
    entry = history.files[NAME]
    assert entry.created == dt.datetime(2025, 2, 12, 9, tzinfo=dt.UTC)
    assert (entry.revisions, entry.contributors) == (2, ("Dana", "Priya"))


def test_no_history_outside_git(tmp_path: Path, monkeypatch, capsys) -> None:
    folder = tmp_path / "not-a-repo"
    (folder / "postmortems" / "2025").mkdir(parents=True)
    (folder / NAME).write_text(FINAL)
    assert read_history(folder, folder / "postmortems") is None
    monkeypatch.chdir(folder)
    assert main(["lint", "--today", "2026-01-01"]) == 0
    assert capsys.readouterr().out == "1 file checked: no problems found.\n"


def test_late_draft(history_repo: Repo) -> None:
    assert history_repo.run("lint", "--strict", "--today", "2026-01-01").exit_code == 0
    late = "postmortems/2025/AIPM-2025-002-late.md"
    history_repo.write(late, FINAL.replace("AIPM-2025-001", "AIPM-2025-002"))
    commit(history_repo.path, "Late draft", "2025-02-16T12:00:00+00:00")
    run = history_repo.run("lint", "--today", "2026-01-01")
    assert run.out.splitlines()[0] == (
        f"{late}:6:13: warning late-draft first committed 2025-02-16 12:00 UTC, 108 hours "
        "after the incident was identified: commit a first draft within 72 hours, however thin"
    )
    assert run.exit_code == 0  # a warning never blocks a commit by itself


def test_uncommitted_draft_is_judged_as_committed_now(history_repo: Repo) -> None:
    new = "postmortems/2026/AIPM-2026-001-new.md"
    text = FINAL.replace("AIPM-2025-001", "AIPM-2026-001").replace(
        "identified: 2025-02-11", "identified: 2026-03-01"
    )
    history_repo.write(new, text)
    assert "late-draft" not in history_repo.run("lint", new, "--today", "2026-03-03").out
    run = history_repo.run("lint", new, "--today", "2026-03-05")
    assert f"{new}:6:13: warning late-draft not committed yet, 96 hours after" in run.out


def test_shallow_clone_warns_once(history_repo: Repo, tmp_path: Path, monkeypatch, capsys) -> None:
    clone = tmp_path / "shallow"
    subprocess.run(
        ["git", "clone", "-q", "--depth", "1", history_repo.path.as_uri(), str(clone)], check=True
    )
    monkeypatch.chdir(clone)
    assert main(["lint", "--today", "2026-01-01"]) == 0
    captured = capsys.readouterr()
    assert captured.err.count("warning: this is a shallow clone") == 1
    assert "git fetch --unshallow" in captured.err


def test_changed_lints_only_what_differs_from_the_default_branch(history_repo: Repo) -> None:
    path = history_repo.path
    other = "postmortems/2025/AIPM-2025-003-other.md"
    history_repo.write(other, FINAL.replace("AIPM-2025-001", "AIPM-2025-003"))
    commit(path, "Other", "2025-02-12T10:00:00+00:00")
    git(path, "switch", "-q", "-c", "feature")
    history_repo.write(NAME, FINAL.replace("severity: high", "severity: hgh"))
    commit(path, "Edit", "2025-02-13T10:00:00+00:00")
    added = "postmortems/2025/AIPM-2025-004-copy.md"
    history_repo.write(added, FINAL.replace("AIPM-2025-001", "AIPM-2025-003"))  # uncommitted
    run = history_repo.run("lint", "--changed", "--today", "2026-01-01")
    lines = run.out.splitlines()
    # the new file is also uncommitted (late-draft) and misnamed (filename-id)
    assert lines[-1] == "2 files checked: 2 errors, 2 warnings."
    assert f"{NAME}:5:11: error schema severity: 'hgh'" in run.out
    # the unchanged file is not reported on, but its id still counts
    assert f"{added}:2:5: error duplicate-id id 'AIPM-2025-003' is also used by {other}" in run.out
    assert not any(line.startswith(other) for line in lines)
    assert history_repo.run("lint", "--changed", "--base", "feature").exit_code == 1
    bad = history_repo.run("lint", "--changed", "--base", "no-such-branch")
    assert bad.exit_code == 2
    assert "cannot compare with 'no-such-branch'" in bad.err


def test_changed_with_nothing_changed(history_repo: Repo) -> None:
    run = history_repo.run("lint", "--changed")
    assert (run.exit_code, run.out) == (0, "No postmortem changed.\n")


OPTIONS = [
    "--title",
    "Another incident in production",
    "--severity",
    "low",
    "--type",
    "hallucination",
    "--reported-by",
    "Ops",
    "--identified",
    "2026-04-01",
]


def test_new_ids_do_not_collide_with_other_branches(history_repo: Repo, tmp_path: Path) -> None:
    path = history_repo.path
    git(path, "switch", "-q", "-c", "alice")
    assert history_repo.run("new", *OPTIONS).out.startswith(
        "Created postmortems/2026/AIPM-2026-001-"
    )
    commit(path, "Alice's draft", "2026-04-01T10:00:00+00:00")
    git(path, "switch", "-q", "main")
    # main has no AIPM-2026-001 in its tree, but the alice branch does
    assert history_repo.run("new", *OPTIONS).out.startswith(
        "Created postmortems/2026/AIPM-2026-002-"
    )

    # a branch someone pushed, seen as a remote-tracking branch after a fetch
    clone = tmp_path / "clone"
    subprocess.run(["git", "clone", "-q", path.as_uri(), str(clone)], check=True)
    git(path, "switch", "-q", "-c", "bob")
    history_repo.write("postmortems/2026/AIPM-2026-007-bob.md", "---\nid: AIPM-2026-007\n---\n")
    commit(path, "Bob's draft", "2026-04-02T10:00:00+00:00")
    git(clone, "fetch", "-q", "origin")
    run = subprocess.run(
        [sys.executable, "-m", "postmortem_kit.cli", "new", *OPTIONS],
        cwd=clone,
        capture_output=True,
        text=True,
    )
    assert run.stdout.startswith("Created postmortems/2026/AIPM-2026-008-"), run.stderr


def test_linting_a_few_files_reads_their_own_history_following_renames(history_repo: Repo) -> None:
    renamed = "postmortems/2025/AIPM-2025-001-bereavement-refunds.md"
    git(history_repo.path, "mv", NAME, renamed)
    commit(history_repo.path, "Rename", "2025-03-20T08:00:00+00:00", "Dana")  # 5 weeks later
    run = history_repo.run("lint", renamed, "--strict", "--today", "2026-01-01")
    assert (run.exit_code, run.out) == (0, "1 file checked: no problems found.\n")
    late = "postmortems/2025/AIPM-2025-002-late.md"
    history_repo.write(late, FINAL.replace("AIPM-2025-001", "AIPM-2025-002"))
    commit(history_repo.path, "Late draft", "2025-02-16T12:00:00+00:00")
    run = history_repo.run("lint", late, "--today", "2026-01-01")
    assert run.out.startswith(
        f"{late}:6:13: warning late-draft first committed 2025-02-16 12:00 UTC"
    )


# Names git quotes in its plain listings ("\303\251", "\t", "\"", "\n").
ODD_NAMES = ['"quoted"', "new\nline", "tab\there", "résumé"]


def _write_odd_names(repo: Repo, odd_names: list[str], first: int) -> list[str]:
    """One postmortem per odd name, each with a schema error, numbered from `first`;
    a name the file system refuses is left out."""
    written = []
    for number, odd in enumerate(odd_names, first):
        pm_id = f"AIPM-2025-{number:03d}"
        name = f"postmortems/2025/{pm_id}-{odd}.md"
        text = FINAL.replace("AIPM-2025-001", pm_id).replace("severity: high", "severity: hgh")
        try:
            repo.write(name, text)
        except OSError:  # a file system with no newline (or tab) in names
            continue
        written.append(name)
    return written


def test_changed_lints_files_whose_names_git_would_quote(history_repo: Repo) -> None:
    git(history_repo.path, "switch", "-q", "-c", "feature")
    # both ways git lists a change: committed on the branch, and not added yet
    committed = _write_odd_names(history_repo, ODD_NAMES[:2], 2)
    commit(history_repo.path, "Odd names", "2025-02-13T10:00:00+00:00")
    untracked = _write_odd_names(history_repo, ODD_NAMES[2:], 4)
    names = committed + untracked
    assert len(names) >= 3
    run = history_repo.run("lint", "--changed", "--base", "main", "--format", "json")
    document = json.loads(run.out)
    assert document["files_checked"] == len(names)
    linted = {f["path"] for f in document["findings"] if f["rule"] == "schema"}
    assert linted == set(names)
    assert run.exit_code == 1


def test_ids_on_all_branches_are_read_from_names_git_would_quote(history_repo: Repo) -> None:
    git(history_repo.path, "switch", "-q", "-c", "feature")
    names = _write_odd_names(history_repo, ODD_NAMES, 2)
    commit(history_repo.path, "Odd names", "2025-02-13T10:00:00+00:00")
    git(history_repo.path, "switch", "-q", "main")
    ids = ids_on_all_branches(history_repo.path, history_repo.path / "postmortems")
    assert {Path(name).name for name in names} <= set(ids)
