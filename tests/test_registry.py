"""Rules say everything about themselves, and the registry holds them to it."""

from __future__ import annotations

from pathlib import Path

import pytest
from helpers import FINAL, FINAL_NAME, Repo
from postmortem_kit.format.config import Config, ConfigError
from postmortem_kit.format.read import RULES_REPORTED
from postmortem_kit.lint.rules import RULES
from postmortem_kit.lint.rules.base import Registry, Rule
from postmortem_kit.lint.selection import Selection


def test_every_id_a_check_or_the_reader_reports_is_a_rule() -> None:
    assert set(RULES_REPORTED) <= set(RULES)
    reported = {rule_id for rule in RULES.values() for rule_id in rule.reports}
    assert reported <= set(RULES)
    assert [r.id for r in RULES.values() if r.needs_history] == ["late-draft"]


def test_a_mistake_in_the_list_fails_when_it_is_made() -> None:
    one = Rule("one", "error", "One.", None)
    with pytest.raises(ValueError, match="given twice"):
        Registry([one, one])
    with pytest.raises(ValueError, match="given twice"):
        Registry([one, Rule("two", "error", "Two.", None, aliases=("one",))])
    with pytest.raises(ValueError, match="'three', which is not a rule"):
        Registry([Rule("two", "error", "Two.", None, reports=("three",))])
    with pytest.raises(ValueError, match="neither error nor warning"):
        Registry([Rule("two", "fatal", "Two.", None)])
    with pytest.raises(ValueError, match="reports four, not a rule"):
        Registry([one]).require(["one", "four"], "somewhere")


def test_an_old_name_in_the_configuration_counts_as_the_rule() -> None:
    registry = Registry([Rule("secret", "error", "Secrets.", None, aliases=("credentials",))])
    config = Config(
        root=Path("."),
        rule_levels={"credentials": "warning"},
        per_path_ignores={"drafts/*": ("credentials",)},
    )
    selection = Selection.of(config, registry)
    assert selection.level("secret", "error") == "warning"
    assert selection.ignored("drafts/a.md", "secret")
    assert not selection.ignored("postmortems/a.md", "secret")


def test_an_unknown_rule_in_the_configuration_lists_the_known_ones(repo: Repo) -> None:
    repo.write("pyproject.toml", '[tool.postmortem.per-path-ignores]\n"x/*" = ["secrets"]\n')
    repo.write(FINAL_NAME, FINAL)
    run = repo.run("lint")
    assert run.exit_code == 2
    assert "per-path-ignores: no rule named 'secrets' (did you mean 'secret'?)" in run.err
    assert "Known rules: ambiguous-time, date-range," in run.err
    with pytest.raises(ConfigError, match="no rule named 'nope'"):
        Selection.of(Config(root=Path("."), rule_levels={"nope": "off"}))
