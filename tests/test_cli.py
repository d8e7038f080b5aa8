"""The `postmortem lint` command as hooks and CI use it: output, exit codes, config."""

from __future__ import annotations

import json
import re
import subprocess
import sys

import pytest
from helpers import FINAL, FINAL_NAME, PROJECT, RULES_OFF, Repo

BROKEN = FINAL.replace("severity: high", "severity: hgh")


def test_exit_codes(repo: Repo) -> None:
    repo.write(FINAL_NAME, FINAL)
    assert repo.run("lint", "--today", "2026-01-01").exit_code == 0
    repo.write(FINAL_NAME, BROKEN)
    assert repo.run("lint").exit_code == 1
    run = repo.run("lint", "--format", "yaml")
    assert run.exit_code == 2
    assert "Invalid value for '--format'" in run.err
    run = repo.run("lint", "postmortems/nope.md")
    assert (run.exit_code, "no such file: postmortems/nope.md" in run.err) == (2, True)


def test_no_postmortems_is_not_an_error(repo: Repo) -> None:
    run = repo.run("lint")
    assert (run.exit_code, run.out) == (0, "0 files checked: no problems found.\n")


def test_json_format_is_one_stable_object(repo: Repo) -> None:
    repo.write(FINAL_NAME, BROKEN)
    run = repo.run("lint", "--format", "json", "--today", "2026-01-01")
    assert json.loads(run.out) == {
        "version": 1,
        "files_checked": 1,
        "findings": [
            {
                "path": FINAL_NAME,
                "line": 5,
                "column": 11,
                "level": "error",
                "rule": "schema",
                "message": "severity: 'hgh' is not one of: near-miss, low, medium, high, "
                "critical (did you mean 'high'?)",
            }
        ],
    }


# https://docs.github.com/actions/reference/workflow-commands-for-github-actions
GITHUB_COMMAND = re.compile(
    r"::(error|warning) file=[^,:]+,line=\d+,col=\d+,title=[a-z-]+::[^\r\n]+"
)


def test_github_format_is_workflow_commands(repo: Repo) -> None:
    repo.write(FINAL_NAME, BROKEN.replace("date: 2025-02-17T15", "date: 2025-02-27T15"))
    run = repo.run("lint", "--format", "github", "--today", "2026-01-01")
    *commands, summary = run.out.splitlines()
    assert commands == [
        f"::error file={FINAL_NAME},line=5,col=11,title=schema::severity: 'hgh' is not one of: "
        "near-miss, low, medium, high, critical (did you mean 'high'?)",
        f"::warning file={FINAL_NAME},line=81,col=9,title=late-follow-up::follow_up.date is 16 "
        "days after identified: review action items within 7 days",
    ]
    assert all(GITHUB_COMMAND.fullmatch(c) for c in commands)
    assert summary == "1 file checked: 1 error, 1 warning."


def test_strict_fails_on_warnings(repo: Repo) -> None:
    repo.write(FINAL_NAME, FINAL.replace("date: 2025-02-17T15", "date: 2025-02-27T15"))
    assert repo.run("lint", "--today", "2026-01-01").exit_code == 0
    assert repo.run("lint", "--strict", "--today", "2026-01-01").exit_code == 1


def test_paths_report_only_those_files_but_check_ids_repository_wide(repo: Repo) -> None:
    repo.write(FINAL_NAME, FINAL)
    copy = "postmortems/2025/AIPM-2025-001-copy.md"
    repo.write(copy, BROKEN)
    run = repo.run("lint", FINAL_NAME, "--today", "2026-01-01")
    assert run.out.splitlines() == [
        f"{FINAL_NAME}:2:5: error duplicate-id id 'AIPM-2025-001' is also used by {copy}: give "
        "one of them the next free id (`postmortem new` allocates one)",
        "1 file checked: 1 error, 0 warnings.",
    ]


def test_files_that_are_not_postmortems_are_skipped(repo: Repo) -> None:
    for name in ("postmortems/README.md", "postmortems/index.md", "postmortems/_template.md"):
        repo.write(name, "# not a postmortem\n")
    run = repo.run("lint", "postmortems/README.md", "postmortems/_template.md")
    assert run.out == "0 files checked: no problems found.\n"
    assert repo.run("lint").out == "0 files checked: no problems found.\n"


def test_configuration_in_pyproject(repo: Repo) -> None:
    repo.write(
        "pyproject.toml",
        '[tool.postmortem]\nid_prefix = "INC"\npostmortems = "incidents"\n'
        '[tool.postmortem.rules]\nfilename-id = "off"\nlate-follow-up = "error"\nlate-draft = "off"\n'
        'unlinked-similar = "off"\n[tool.postmortem.per-path-ignores]\n"incidents/legacy/*" = ["schema"]\n',
    )
    text = FINAL.replace("AIPM-2025-001", "INC-2025-001").replace(
        "date: 2025-02-17T15", "date: 2025-02-27T15"
    )
    repo.write("incidents/renamed.md", text)
    repo.write(
        "incidents/legacy/INC-2025-002-old.md", BROKEN.replace("AIPM-2025-001", "INC-2025-002")
    )
    run = repo.run("lint", "--today", "2026-01-01")
    assert run.out.splitlines() == [
        "incidents/renamed.md:81:9: error late-follow-up follow_up.date is 16 days after "
        "identified: review action items within 7 days",
        "2 files checked: 1 error, 0 warnings.",
    ]


def test_id_prefix_from_configuration_is_enforced(repo: Repo) -> None:
    repo.write("pyproject.toml", '[tool.postmortem]\nid_prefix = "INC"\n')
    repo.write(FINAL_NAME, FINAL)
    run = repo.run("lint", "--today", "2026-01-01")
    assert (
        f"{FINAL_NAME}:2:5: error schema id: 'AIPM-2025-001' is not an id like INC-2026-001"
        in run.out
    )


def test_bad_configuration_is_a_usage_error(repo: Repo) -> None:
    repo.write("pyproject.toml", '[tool.postmortem.rules]\nno-such-rule = "off"\n')
    run = repo.run("lint")
    assert run.exit_code == 2
    assert "no rule named 'no-such-rule'; run `postmortem rules` to list them" in run.err
    repo.write("pyproject.toml", '[tool.postmortem]\nid_prefx = "X"\n')
    run = repo.run("lint")
    assert (run.exit_code, "unknown key(s) id_prefx" in run.err) == (2, True)
    repo.write("pyproject.toml", "[tool.postmortem\n")
    run = repo.run("lint")
    assert (run.exit_code, "pyproject.toml: cannot read it" in run.err) == (2, True)


def test_console_script_runs_in_a_subdirectory(repo: Repo) -> None:
    """The installed command, as a hook runs it, finds the repository from below."""
    repo.write(FINAL_NAME, BROKEN)
    done = subprocess.run(
        [sys.executable, "-m", "postmortem_kit.cli", "lint"],
        cwd=repo.path / "postmortems",
        capture_output=True,
        text=True,
    )
    assert done.returncode == 1
    assert done.stdout.startswith(
        "2025/AIPM-2025-001-support-assistant-invents-refund-policy.md:5:11:"
    )
    assert done.stderr == ""


def test_the_rule_table_of_the_docs_is_the_registry(repo: Repo) -> None:
    run = repo.run("rules", "--format", "markdown")
    format_doc = (PROJECT / "docs" / "format.md").read_text(encoding="utf-8")
    assert run.exit_code == 0
    assert run.out in format_doc, "docs/format.md: paste `postmortem rules --format markdown`"
    ids = re.findall(r"^\| `([a-z0-9-]+)` \|", run.out, re.M)
    assert ids and len(ids) == len(set(ids))
    listed = repo.run("rules").out.splitlines()
    assert sorted(line.split()[0] for line in listed) == sorted(ids)


def test_parallel_run_finds_what_a_serial_run_finds(repo: Repo, monkeypatch) -> None:
    from postmortem_kit.lint import runner as lint

    for n in range(1, 13):
        text = FINAL.replace("AIPM-2025-001", f"AIPM-2025-{n:03d}")
        if n % 4 == 0:
            text = text.replace("severity: high", "severity: hgh")
        repo.write(f"postmortems/2025/AIPM-2025-{n:03d}-x.md", text)
    repo.write(
        "postmortems/2025/AIPM-2025-012-copy.md", FINAL.replace("AIPM-2025-001", "AIPM-2025-012")
    )
    serial = repo.run("lint", "--today", "2026-01-01")
    monkeypatch.setattr(lint, "PARALLEL_FROM", 2)
    monkeypatch.setattr(lint.os, "cpu_count", lambda: 2)
    parallel = repo.run("lint", "--today", "2026-01-01")
    assert parallel == serial
    assert serial.out.count("error schema severity") == 3
    assert serial.out.count("error duplicate-id") == 2
    assert serial.out.endswith("13 files checked: 5 errors, 0 warnings.\n")


def test_audience_option_then_variable_then_configuration(repo: Repo, monkeypatch) -> None:
    repo.write("pyproject.toml", RULES_OFF + '[tool.postmortem]\naudience = "public"\n')
    repo.write(FINAL_NAME, FINAL)  # visibility: internal

    def published(*args: str) -> str:
        run = repo.run("pages", "--out", "out", *args)
        assert run.exit_code == 0, run.err
        return run.out.split("audience ")[-1].rstrip(")\n")

    monkeypatch.delenv("POSTMORTEM_AUDIENCE", raising=False)
    assert published() == "public"
    monkeypatch.setenv("POSTMORTEM_AUDIENCE", "restricted")
    assert published() == "restricted"
    assert published("--audience", "internal") == "internal"
    repo.write("pyproject.toml", '[tool.postmortem]\naudience = "everyone"\n')
    run = repo.run("pages", "--out", "out")
    assert run.exit_code == 2 and "audience must be one of" in run.err


@pytest.mark.parametrize("output_format", ["text", "github"])
def test_findings_never_send_terminal_sequences(repo: Repo, output_format: str) -> None:
    """Messages quote what authors wrote: escape sequences, carriage returns and
    bidirectional overrides are shown, not acted on."""
    payload = r"\e]0;owned\a\e[2J\r\u202eok"  # YAML's escapes: ESC, BEL, CR, RLO
    repo.write(FINAL_NAME, FINAL.replace("severity: high", f'severity: "{payload}"'))
    run = repo.run("lint", "--format", output_format)
    assert run.exit_code == 1
    assert not re.search("[\x00-\x09\x0b-\x1f\x7f-\x9f\u202e]", run.out)
    assert "\\x1b]0;owned\\x07\\x1b[2J" in run.out
