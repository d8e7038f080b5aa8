"""`postmortem new`: next free id, a draft that lints clean, prompts for people."""

from __future__ import annotations

import datetime as dt
import shutil

from click.testing import CliRunner
from helpers import FINAL, PROJECT, Repo
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from postmortem_kit.cli import cli
from postmortem_kit.format.draft import next_id, render_blank, render_new
from postmortem_kit.format.vocabulary import slug

OPTIONS = [
    "--title",
    "Support bot invented a refund policy: 'bereavement' fares",
    "--severity",
    "medium",
    "--type",
    "hallucination",
    "--type",
    "harmful-content",
    "--reported-by",
    "Support ops",
    "--identified",
    "2026-03-02",
]


def test_new_draft_lints_clean_at_once(repo: Repo) -> None:
    run = repo.run("new", *OPTIONS)
    path = "postmortems/2026/AIPM-2026-001-support-bot-invented-a-refund-policy-bereavement.md"
    assert (run.exit_code, run.out) == (0, f"Created {path}\n")
    text = (repo.path / path).read_text()
    assert "title: \"Support bot invented a refund policy: 'bereavement' fares\"" in text
    assert "incident_types: [hallucination, harmful-content]" in text
    lint = repo.run("lint", "--strict")
    assert (lint.exit_code, lint.out) == (0, "1 file checked: no problems found.\n")


def test_template_guidance_is_caught_once_final(repo: Repo) -> None:
    repo.run("new", *OPTIONS)
    [path] = (repo.path / "postmortems").rglob("*.md")
    path.write_text(path.read_text().replace("status: draft", "status: final"))
    run = repo.run("lint")
    assert "error placeholder placeholder '<Say in two or three sentences" in run.out
    assert "missing 'actions' (required from status final)" in run.out


def test_next_id_follows_the_highest_of_that_year(repo: Repo) -> None:
    repo.write(
        "postmortems/2026/AIPM-2026-007-x.md", FINAL.replace("AIPM-2025-001", "AIPM-2026-007")
    )
    repo.write("postmortems/2025/AIPM-2025-001-x.md", FINAL)
    assert repo.run("new", *OPTIONS).out.startswith("Created postmortems/2026/AIPM-2026-008-")
    assert next_id("AIPM", 2027, ["AIPM-2026-007"]) == "AIPM-2027-001"
    assert next_id("INC", 2026, ["INC-2026-999", "AIPM-2026-1200"]) == "INC-2026-1000"


def test_prompts_for_what_is_missing(repo: Repo, monkeypatch) -> None:
    monkeypatch.chdir(repo.path)
    answers = "Model update doubled refusal rate\nhigh\nregression-after-update\nML platform\n"
    result = CliRunner().invoke(cli, ["new", "--identified", "2026-05-01"], input=answers)
    assert result.exit_code == 0, result.output
    assert "Incident types: harmful-content, hallucination" in result.output
    [path] = (repo.path / "postmortems" / "2026").glob("AIPM-2026-001-*.md")
    assert path.name == "AIPM-2026-001-model-update-doubled-refusal-rate.md"
    assert "severity: high" in path.read_text()


def test_unknown_type_and_missing_input_are_usage_errors(repo: Repo) -> None:
    run = repo.run("new", *OPTIONS[:6], "--type", "halucination")
    assert run.exit_code == 2
    assert "unknown incident type 'halucination'" in run.err
    run = repo.run("new", "--severity", "low")  # stdin is not a terminal under pytest
    assert run.exit_code == 2
    assert "--title is needed: give it as an option" in run.err
    assert not (repo.path / "postmortems").exists()


def test_slug() -> None:
    assert slug("Prompt injection via PDF résumé (v2)!") == "prompt-injection-via-pdf-r-sum-v2"
    assert slug("!!!", empty="postmortem") == "postmortem"
    assert slug("one two three", max_length=8) == "one-two"


def test_plain_template_file_matches_the_package_template() -> None:
    committed = (PROJECT / "postmortems" / "_template.md").read_text(encoding="utf-8")
    assert committed == render_blank(), "run `make schema` to regenerate postmortems/_template.md"


BROKEN_YAML = "---\nid: AIPM-2026-{n}\ntitle: [unclosed\n---\n"


def test_ids_of_unreadable_drafts_and_other_files_are_taken(repo: Repo) -> None:
    # the very name `new` would write, with YAML that cannot be read
    slug = "support-bot-invented-a-refund-policy-bereavement"
    repo.write(f"postmortems/2026/AIPM-2026-001-{slug}.md", BROKEN_YAML.format(n="001"))
    # a file named otherwise whose `id:` line can still be read
    repo.write("postmortems/2026/draft.md", BROKEN_YAML.format(n="002"))
    # an attachment named after its postmortem
    repo.write("postmortems/2026/AIPM-2026-003-chat-log.txt", "log\n")
    created = [repo.run("new", *OPTIONS).out for _ in range(3)]
    assert [line.split("/")[-1][:13] for line in created] == [
        "AIPM-2026-004",
        "AIPM-2026-005",
        "AIPM-2026-006",
    ]


def test_a_path_in_the_way_is_a_message_not_a_traceback(repo: Repo) -> None:
    repo.write("postmortems/2026", "a file where the year's folder goes\n")
    run = repo.run("new", *OPTIONS)
    assert run.exit_code == 2
    assert run.err == (
        "Error: postmortems/2026 already exists and `new` never overwrites a file: move it "
        "away, or run `postmortem new` again to take the next free id\n"
    )


def test_bad_options_are_refused_naming_the_option(repo: Repo) -> None:
    def refusal(*args: str) -> str:
        run = repo.run("new", *OPTIONS, *args)  # the last of a repeated option wins
        assert run.exit_code == 2
        return run.err.splitlines()[-1]

    assert refusal("--title", "x" * 500) == "Error: --title needs 10 to 120 characters (it has 500)"
    assert (
        refusal("--title", "  short \n ") == "Error: --title needs 10 to 120 characters (it has 5)"
    )
    assert refusal("--title", "Bell \x07 in the title") == (
        "Error: --title has a control character U+0007: remove it"
    )
    assert refusal("--title", "Delete \x7f in the title") == (
        "Error: --title has a control character U+007F: remove it"
    )
    assert refusal("--title", "C1 control \x9b in the title") == (
        "Error: --title has a control character U+009B: remove it"
    )
    assert refusal("--title", "Not UTF-8 \udcff in the title") == (
        "Error: --title has a byte that is not UTF-8 (U+DCFF): remove it"
    )
    assert refusal("--title", "A noncharacter \uffff here") == (
        "Error: --title has a noncharacter U+FFFF: remove it"
    )
    assert refusal("--reported-by", " \t ") == (
        "Error: --reported-by is empty: name the team or person who reported it"
    )
    assert refusal("--reported-by", "Ops\x00") == (
        "Error: --reported-by has a control character U+0000: remove it"
    )
    assert refusal("--identified", "0001-01-01").startswith(
        "Error: --identified must be from 1970-01-01 to "
    )
    assert refusal("--identified", "1969-12-31").endswith(
        "(tomorrow), not 1969-12-31: give the day the incident was identified"
    )
    assert not (repo.path / "postmortems").exists()


def test_line_breaks_become_spaces_and_the_draft_passes_strict_lint(repo: Repo) -> None:
    title = "Line\u2028separator,\x85next line,\r\nCRLF and\ttab in a title"
    run = repo.run("new", *OPTIONS, "--title", title, "--reported-by", "Support\u00a0ops 🛟")
    assert run.exit_code == 0, run.err
    [path] = (repo.path / "postmortems").rglob("*.md")
    text = path.read_text(encoding="utf-8")
    assert 'title: "Line separator, next line, CRLF and tab in a title"\n' in text
    assert 'reported_by: "Support ops 🛟"\n' in text
    assert repo.run("lint", "--strict").exit_code == 0


def test_render_new_escapes_what_yaml_cannot_hold_raw(repo: Repo) -> None:
    """The draft is valid YAML even for text `new` itself would refuse."""
    text = render_new(
        "AIPM-2026-001",
        "DEL \x7f, C1 \x80 and \ufffe in a title",
        "low",
        ["hallucination"],
        "Ops \x9f",
        dt.date(2026, 3, 2),
    )
    assert 'title: "DEL \\u007F, C1 \\u0080 and \\uFFFE in a title"' in text
    repo.write("postmortems/2026/AIPM-2026-001-x.md", text)
    assert repo.run("lint", "--strict").exit_code == 0


def test_prompts_ask_again_after_a_bad_answer(repo: Repo, monkeypatch) -> None:
    monkeypatch.chdir(repo.path)
    answers = "Too short\nModel update doubled refusal rate\nhigh\nregression-after-update\nML\n"
    result = CliRunner().invoke(cli, ["new", "--identified", "2026-05-01"], input=answers)
    assert result.exit_code == 0, result.output
    assert "Error: The title needs 10 to 120 characters (it has 9)" in result.output


def test_next_id_pads_the_year_to_four_digits() -> None:
    assert next_id("AIPM", 999, ["AIPM-0999-004"]) == "AIPM-0999-005"


LINT_CLEAN = "1 file checked: no problems found.\n"

# Any character at all (controls, lone surrogates, noncharacters), or text as
# people type and paste it: no controls but line breaks, tabs and odd spaces.
ANY_CHARACTER = st.characters(exclude_categories=())
TYPED = st.characters(exclude_categories=("Cc", "Cs")) | st.sampled_from(" \t\n\r\x85\u2028\u3000")


@settings(
    max_examples=60,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(
    title=st.text(ANY_CHARACTER, max_size=130) | st.text(TYPED, min_size=12, max_size=125),
    reported_by=st.text(ANY_CHARACTER, max_size=30) | st.text(TYPED, min_size=1, max_size=30),
)
def test_new_refuses_or_writes_a_draft_that_lints_clean(
    repo: Repo, title: str, reported_by: str
) -> None:
    run = repo.run("new", *OPTIONS, "--title", title, "--reported-by", reported_by)
    try:  # an exception out of `run` would have been a traceback
        if run.exit_code != 0:
            assert run.exit_code == 2
            assert run.err.startswith("Usage: postmortem new") and "\nError: " in run.err
            assert not (repo.path / "postmortems").exists()
            return
        assert run.out.startswith("Created postmortems/2026/AIPM-2026-001-")
        lint = repo.run("lint", "--strict")
        assert (lint.exit_code, lint.out) == (0, LINT_CLEAN)
    finally:
        shutil.rmtree(repo.path / "postmortems", ignore_errors=True)
