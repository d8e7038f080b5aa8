"""Rules say everything about themselves, and the registry holds them to it."""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest
from helpers import FINAL, FINAL_NAME, PROJECT, Repo
from postmortem_kit.format.config import Config, ConfigError
from postmortem_kit.format.read import RULES_REPORTED
from postmortem_kit.lint.rules import RULES
from postmortem_kit.lint.rules.base import Registry, Rule
from postmortem_kit.lint.selection import Selection

PACKAGE = PROJECT / "tools" / "postmortem_kit"


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
    assert "Known rules: action-closed-date, action-due-target, ambiguous-time," in run.err
    with pytest.raises(ConfigError, match="no rule named 'nope'"):
        Selection.of(Config(root=Path("."), rule_levels={"nope": "off"}))


def _rule_ids_in(source: str, calls: set[str]) -> set[str]:
    """Rule ids written as literals in calls to `calls`: as `rule=`, or as a
    positional argument shaped like an id."""
    found = set()
    for node in ast.walk(ast.parse(source)):
        if not isinstance(node, ast.Call):
            continue
        name = (
            node.func.attr if isinstance(node.func, ast.Attribute) else getattr(node.func, "id", "")
        )
        if name not in calls:
            continue
        values = [k.value for k in node.keywords if k.arg == "rule"] + list(node.args)
        found |= {
            v.value
            for v in values
            if isinstance(v, ast.Constant)
            and isinstance(v.value, str)
            and re.fullmatch(r"[a-z]+(-[a-z]+)+", v.value)
        }
    return found


def test_every_rule_id_written_in_the_code_is_declared() -> None:
    """What no import can see: an id a check passes to a Problem at run time."""
    reader = (PACKAGE / "format" / "read.py").read_text(encoding="utf-8")
    reported = _rule_ids_in(reader, {"_Unreadable", "_unreadable", "_problem"})
    assert reported and reported <= set(RULES_REPORTED)
    for module in sorted((PACKAGE / "lint" / "rules").glob("*.py")):
        written = _rule_ids_in(module.read_text(encoding="utf-8"), {"Problem", "at"})
        declared = {i for rule in RULES.values() for i in rule.reports}
        assert written <= declared, f"{module.name}: declare {written - declared} in reports="


def test_every_command_refuses_a_misspelt_rule_name(repo: Repo) -> None:
    repo.write("pyproject.toml", '[tool.postmortem.rules]\nnosuch = "off"\n')
    for command in (["taxonomy"], ["schema"], ["actions"], ["lint", "--changed", "--base", "HEAD"]):
        run = repo.run(*command)
        assert (run.exit_code, "no rule named 'nosuch'" in run.err) == (2, True), command


def test_only_rules_that_can_report_an_error_decide_pass_or_fail() -> None:
    """The site and the exports run, of each file, only the rules that can fail it."""
    from pathlib import Path

    from postmortem_kit.format.config import Config
    from postmortem_kit.lint.rules import RULES
    from postmortem_kit.lint.selection import Selection

    default = Selection.of(Config(root=Path(".")))
    assert default.may_fail(RULES["schema"]) and default.may_fail(RULES["raw-html"])
    assert not default.may_fail(RULES["unlinked-similar"])
    levels = {"unlinked-similar": "error", "raw-html": "warning", "schema": "off"}
    configured = Selection.of(Config(root=Path("."), rule_levels=levels))
    assert configured.may_fail(RULES["unlinked-similar"])
    assert not configured.may_fail(RULES["raw-html"])
    assert configured.may_fail(RULES["schema"])  # it reports unknown-key too, still an error
