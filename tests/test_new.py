"""`postmortem new`: next free id, a draft that lints clean, prompts for people."""

from __future__ import annotations

from click.testing import CliRunner
from conftest import FINAL, PROJECT, Repo
from postmortem_kit.cli import cli
from postmortem_kit.new import next_id, render_blank, slugify

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


def test_slugify() -> None:
    assert slugify("Prompt injection via PDF résumé (v2)!") == "prompt-injection-via-pdf-r-sum-v2"
    assert slugify("!!!") == "postmortem"


def test_plain_template_file_matches_the_package_template() -> None:
    committed = (PROJECT / "postmortems" / "_template.md").read_text(encoding="utf-8")
    assert committed == render_blank(), "run `make schema` to regenerate postmortems/_template.md"
