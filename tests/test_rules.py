"""Every lint rule: a real file that breaks it, with the exact line and column.

The clean `final` postmortem in tests/data passes every rule; each case below
changes one thing in it and expects exactly the findings that change causes.
"""

from __future__ import annotations

import pytest
from helpers import FINAL, FINAL_NAME, Repo

TODAY = "2026-01-01"


def edit(old: str, new: str, count: int = 1) -> str:
    assert FINAL.count(old) >= count, f"fixture has no {old!r}"
    return FINAL.replace(old, new, count)


# rule, edited file, "line:column", level, words the message must contain
CASES = [
    (
        "missing-front-matter",
        FINAL.removeprefix("---\n"),
        "1:1",
        "error",
        "no front matter",
    ),
    (
        "yaml-syntax",
        edit("severity: high", "severity: [high"),
        "6:11",
        "error",
        "invalid YAML",
    ),
    (
        "yaml-syntax",
        edit("tags: [customer-facing, retrieval]", "tags: &t [a]\nmore_tags: *t"),
        "99:7",
        "error",
        "anchors and aliases",
    ),
    (
        "duplicate-key",
        edit("severity: high\n", "severity: high\nseverity: low\n"),
        "6:1",
        "error",
        "duplicate key 'severity' (first on line 5)",
    ),
    (
        "yaml-boolean",
        edit("  direct_harm: true", "  direct_harm: yes"),
        "15:16",
        "error",
        "'yes' is a YAML 1.1 boolean",
    ),
    (
        "schema",
        edit("severity: high", "severity: hgh"),
        "5:11",
        "error",
        "severity: 'hgh' is not one of: near-miss, low, medium, high, critical "
        "(did you mean 'high'?)",
    ),
    (
        "schema",
        edit("  contained: 2025-02-11T13:15:00Z\n", ""),
        "26:1",
        "error",
        "missing 'timeline.contained' (required from status final)",
    ),
    (
        "schema",
        edit("users_affected: 412", "users_affected: many"),
        "23:19",
        "error",
        "impact.users_affected: expected a whole number or null, got text",
    ),
    (
        "schema",
        edit("identified: 2025-02-11", "identified: 2025-02-30"),
        "6:13",
        "error",
        "identified: '2025-02-30' is not a date like 2026-03-02 or a date-time",
    ),
    (
        "unknown-key",
        edit("tags: [", "tag: ["),
        "99:1",
        "error",
        "unknown key 'tag' (did you mean 'tags'?)",
    ),
    (
        "ambiguous-time",
        edit("detected: 2025-02-11T09:40:00Z", "detected: 2025-02-11T09:40:00"),
        "28:13",
        "error",
        "'2025-02-11T09:40:00' has no time zone",
    ),
    (
        "manifestation-pattern",
        edit("manifestation: no-calibration", "manifestation: poor-provenance"),
        "36:20",
        "error",
        "'poor-provenance' belongs to pattern 'weak-data-governance', not "
        "'model-design-evaluation'",
    ),
    (
        "timeline-order",
        edit("detected: 2025-02-11T09:40:00Z", "detected: 2025-02-01T09:40:00Z"),
        "28:13",
        "error",
        "timeline.detected (2025-02-01T09:40:00Z) is before timeline.triggered",
    ),
    (
        "timeline-order",
        edit("resolved: 2025-02-14", "resolved: 2025-02-10"),
        "8:11",
        "error",
        "resolved (2025-02-10) is before identified (2025-02-11)",
    ),
    (
        "unknown-related",
        edit("visibility: internal", "related: [AIPM-2024-999]\nvisibility: internal"),
        "98:11",
        "error",
        "no postmortem has the id 'AIPM-2024-999'",
    ),
    (
        "unknown-related",
        edit("visibility: internal", "not_similar: [AIPM-2025-001]\nvisibility: internal"),
        "98:15",
        "error",
        "not_similar[0]: 'AIPM-2025-001' is this postmortem's own id",
    ),
    (
        "action-closed-date",
        edit("    status: done\n    closed: 2025-02-25\n", "    status: done\n"),
        "59:13",
        "warning",
        "action A1 is done but has no closed date",
    ),
    (
        "action-due-target",
        edit("    due: 2025-02-28", "    due: 2025-04-30"),
        "58:10",
        "warning",
        "action A1 is critical but due 78 days after identified; the target is 28",
    ),
    (
        "date-range",
        edit("    closed: 2025-02-25", "    closed: 2099-02-25"),
        "60:13",
        "error",
        "actions[0].closed: 2099-02-25 is outside the plausible range",
    ),
    (
        "schema",
        edit("title: Support assistant", "title: Support \u202eassistant"),
        "3:8",
        "error",
        "without bidirectional control characters",
    ),
    (
        "prior-without-related",
        edit("prior_similar: false", "prior_similar: true"),
        "21:18",
        "error",
        "triage.prior_similar is true but 'related' is empty",
    ),
    (
        "missing-section",
        edit("## Monitoring\n", "## Watching\n"),
        "101:1",
        "error",
        "missing section '## Monitoring' (required from status final)",
    ),
    (
        "placeholder",
        edit("412 customers", "TODO customers"),
        "112:1",
        "error",
        "placeholder 'TODO' left in a final postmortem",
    ),
    (
        "placeholder",
        edit("412 customers", "<Describe the impact on users.> customers"),
        "112:1",
        "error",
        "placeholder '<Describe the impact on users.>'",
    ),
    (
        "no-root-cause",
        edit("root_cause: true", "root_cause: false", count=2),
        "33:1",
        "error",
        "no root cause is marked 'root_cause: true'",
    ),
    (
        "unaddressed-root-cause",
        edit(
            "addresses: [operational-deployment-gaps]",
            "addresses: [model-design-evaluation]",
            count=2,
        ),
        "41:14",
        "error",
        "root cause 'operational-deployment-gaps' is addressed by no action or control",
    ),
    (
        "missing-approval",
        edit("  - {name: Tomasz Wilk, role: security-lead, date: 2025-02-20}\n", ""),
        "89:1",
        "error",
        "needs an approval with role 'security-lead' (high severity)",
    ),
    (
        "duplicate-action-id",
        edit("  - id: A2", "  - id: A1"),
        "62:9",
        "error",
        "'A1' is already the id of actions[0]",
    ),
    (
        "secret",
        edit("412 customers", "Key AKIAIOSFODNN7EXAMPLE leaked; 412 customers"),
        "112:5",
        "error",
        "looks like an AWS access key",
    ),
    (
        "secret",
        edit("412 customers", "we set api_key = 'a8d7f9e2b4c61d3e5f70' and 412 customers"),
        "112:8",
        "error",
        "looks like a password or secret assignment",
    ),
    (
        "pii-in-public",
        edit("visibility: internal", "visibility: public").replace(
            "412 customers", "Mail jo.bloggs@corp-mail.net or call +44 20 7946 0958. 412"
        ),
        ["112:6", "112:38"],
        "error",
        "in a public postmortem",
    ),
    (
        "overdue-action",
        edit(
            "    due: 2025-03-31\n    status: done\n    closed: 2025-03-28\n",
            "    due: 2025-03-31\n    status: planned\n",
        ),
        "67:10",
        "warning",
        "action A2 (Search infrastructure team) was due 2025-03-31 and is planned",
    ),
    (
        "late-follow-up",
        edit("date: 2025-02-17T15:00:00Z", "date: 2025-02-25T15:00:00Z"),
        "81:9",
        "warning",
        "follow_up.date is 14 days after identified",
    ),
    (
        "lessons-count",
        edit("- Open questions", "- One more.\n- And another.\n- Open questions"),
        "142:1",
        "warning",
        "'Lessons learned' has 5 list items",
    ),
    (
        "date-range",
        edit("  long_term: 2025-04-30", "  long_term: 2099-04-30"),
        "32:14",
        "error",
        "timeline.long_term: 2099-04-30 is outside the plausible range 1970-01-01 to 2036-01-01",
    ),
    (
        "date-range",
        edit("role: manager, date: 2025-02-20", "role: manager, date: 0999-02-20"),
        "90:46",
        "error",
        "approvals[0].date: 0999-02-20 is outside the plausible range 1970-01-01 to 2026-01-02",
    ),
    (
        "unrenderable",
        edit("## Impact\n", "## Impact\n\n" + "- " * 30 + "too deep\n"),
        "112:1",
        "error",
        "lists nested more than 20 levels deep",
    ),
    (
        "unrenderable",
        edit("## Impact\n", "## Impact\n\n" + "[ " * 1001 + "\n"),
        "112:1",
        "error",
        "a paragraph holds over 1000 '['",
    ),
    (
        "unrenderable",
        edit("## Impact\n", "## Impact\n\n" + "*a* " * 5001 + "\n"),
        "112:1",
        "error",
        "10,000 marks",
    ),
    # values that crashed the build or vanished from it while lint passed them
    (
        "schema",
        edit("  date: 2025-02-17T15:00:00Z", "  date: 2025-02-17T23:59:60Z"),
        "81:9",
        "error",
        "follow_up.date: '2025-02-17T23:59:60Z' is not a date-time with offset",
    ),
    (
        "schema",
        edit("  downtime_minutes: 0", "  downtime_minutes: " + "9" * 5000),
        "25:21",
        "error",
        "impact.downtime_minutes: expected a number, got text",
    ),
    (
        "schema",
        edit("  downtime_minutes: 0", "  downtime_minutes: .inf"),
        "25:21",
        "error",
        "impact.downtime_minutes: expected a number, got text",
    ),
]


@pytest.mark.parametrize(
    ("rule", "text", "where", "level", "words"),
    CASES,
    ids=[f"{case[0]}-{i}" for i, case in enumerate(CASES)],
)
def test_rule_reports_exact_place(
    repo: Repo, rule: str, text: str, where: str | list[str], level: str, words: str
) -> None:
    repo.write(FINAL_NAME, text)
    run = repo.run("lint", "--today", TODAY)
    places = [where] if isinstance(where, str) else where
    expected = [f"{FINAL_NAME}:{place}: {level} {rule} " for place in places]
    lines = run.out.splitlines()[:-1]  # the last line is the summary
    assert [line[: len(e)] for line, e in zip(lines, expected, strict=False)] == expected, run.out
    assert len(lines) == len(expected), run.out
    assert words in lines[0]
    assert run.exit_code == (1 if level == "error" else 0)


def test_deep_lists_and_brackets_in_code_are_fine(repo: Repo) -> None:
    code = "```json\n" + "[" * 2000 + "\n\n" + "]" * 2000 + "\n```\n" + "- a\n    - b\n"
    repo.write(FINAL_NAME, edit("## Impact\n", "## Impact\n\n" + code))
    run = repo.run("lint", "--today", TODAY)
    assert "unrenderable" not in run.out


def test_systems_are_few_and_short_enough_to_be_pages(repo: Repo) -> None:
    many = ", ".join(f"system-{n}" for n in range(51))
    repo.write(FINAL_NAME, edit("systems: [", f"systems: [{many}, "))
    assert "error schema systems: has 53 items; at most 50 are allowed" in repo.run("lint").out
    repo.write(FINAL_NAME, edit("systems: [", f"systems: [{'s' * 101}, "))
    assert "must be at most 100 characters (it has 101)" in repo.run("lint").out


def test_an_id_too_long_for_a_file_name_is_refused(repo: Repo) -> None:
    repo.write(FINAL_NAME, edit("id: AIPM-2025-001", "id: AIPM-2025-" + "1" * 300))
    run = repo.run("lint", "--today", TODAY)
    assert "2:5: error schema id: " in run.out
    assert "(AIPM, the year, 3 to 9 digits)" in run.out


def test_clean_final_postmortem_passes_every_rule(repo: Repo) -> None:
    repo.write(FINAL_NAME, FINAL)
    run = repo.run("lint", "--strict", "--today", TODAY)
    assert run.out == "1 file checked: no problems found.\n"
    assert run.exit_code == 0


def test_unreadable_file_is_reported_not_raised(repo: Repo) -> None:
    repo.write(FINAL_NAME, FINAL.encode() + b"\n\xff\xfe broken\n")
    run = repo.run("lint")
    assert run.out.startswith(f"{FINAL_NAME}:158:1: error unreadable-file file is not valid UTF-8")
    assert run.exit_code == 1


def test_duplicate_id_is_reported_on_both_files(repo: Repo) -> None:
    repo.write(FINAL_NAME, FINAL)
    other = "postmortems/2025/AIPM-2025-001-copy.md"
    repo.write(other, FINAL)
    run = repo.run("lint", "--today", TODAY)
    assert f"{FINAL_NAME}:2:5: error duplicate-id id 'AIPM-2025-001' is also used by {other}" in (
        run.out
    )
    assert f"{other}:2:5: error duplicate-id id 'AIPM-2025-001' is also used by {FINAL_NAME}" in (
        run.out
    )


def test_filename_must_start_with_id(repo: Repo) -> None:
    repo.write("postmortems/2025/refund-policy.md", FINAL)
    run = repo.run("lint", "--today", TODAY)
    assert run.out.splitlines()[0] == (
        "postmortems/2025/refund-policy.md:2:5: warning filename-id file name "
        "'refund-policy.md' does not start with the id 'AIPM-2025-001': rename it to "
        "'AIPM-2025-001-<short-slug>.md'"
    )
    assert run.exit_code == 0
    assert repo.run("lint", "--strict", "--today", TODAY).exit_code == 1


def test_related_link_to_an_existing_postmortem_passes(repo: Repo) -> None:
    repo.write(
        FINAL_NAME,
        edit("prior_similar: false", "prior_similar: true").replace(
            "visibility: internal", "related: [AIPM-2024-007]\nvisibility: internal"
        ),
    )
    older = FINAL.replace("AIPM-2025-001", "AIPM-2024-007")
    repo.write("postmortems/2024/AIPM-2024-007-older.md", older)
    run = repo.run("lint", "--today", TODAY)
    assert run.exit_code == 0, run.out


def test_secret_message_does_not_repeat_the_secret(repo: Repo) -> None:
    token = "ghp_" + "a1B2" * 9
    repo.write(FINAL_NAME, edit("412 customers", f"token {token} and 412 customers"))
    run = repo.run("lint", "--today", TODAY)
    assert "looks like a GitHub token" in run.out
    assert token not in run.out and token[:12] not in run.out


def test_example_addresses_are_allowed_in_public_postmortems(repo: Repo) -> None:
    text = edit("visibility: internal", "visibility: public").replace(
        "412 customers", "Write to support@example.com. 412 customers"
    )
    repo.write(FINAL_NAME, text)
    assert repo.run("lint", "--today", TODAY).exit_code == 0


@pytest.mark.parametrize(
    ("status", "missing"),
    [("draft", []), ("review", ["resolved", "systems", "timeline", "root_causes"])],
)
def test_requirements_grow_with_status(repo: Repo, status: str, missing: list[str]) -> None:
    text = (
        "---\nid: AIPM-2026-001\ntitle: A short but complete title\n"
        f"status: {status}\nseverity: low\nidentified: 2026-03-02\nreported_by: Ops\n"
        "incident_types: [hallucination]\n---\n\n## Summary\n\nText.\n"
    )
    repo.write("postmortems/2026/AIPM-2026-001-x.md", text)
    run = repo.run("lint")
    for key in missing:
        assert f"2:1: error schema missing '{key}' (required from status review)" in run.out
    assert run.exit_code == (1 if missing else 0)


def test_an_open_action_with_a_closed_date(repo: Repo) -> None:
    text = edit(
        "    status: done\n    closed: 2025-02-25", "    status: planned\n    closed: 2025-02-25"
    )
    repo.write(FINAL_NAME, text)
    run = repo.run("lint", "--today", TODAY)
    assert (
        f"{FINAL_NAME}:60:13: warning action-closed-date action A1 is planned but has a closed "
        "date: set its status to done or dropped, or remove closed"
    ) in run.out.splitlines()
