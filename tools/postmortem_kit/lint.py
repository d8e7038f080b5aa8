"""Running the rules over postmortems and deciding each finding's level."""

from __future__ import annotations

import datetime as dt
import os
from collections.abc import Iterable
from pathlib import Path
from typing import NamedTuple

from postmortem_kit.collection import (
    Collection,
    bulk_reading,
    display_path,
    find_postmortem_files,
    is_postmortem_file,
)
from postmortem_kit.config import Config
from postmortem_kit.findings import Finding
from postmortem_kit.format_schema import build_schema
from postmortem_kit.read import Postmortem, read_id_only, read_postmortem
from postmortem_kit.rules import RULES, Context
from postmortem_kit.rules.schema import SchemaValidator
from postmortem_kit.taxonomy import Taxonomy, load_taxonomy

# A schema finding repeats what these say more precisely about the same node.
_MORE_PRECISE_THAN_SCHEMA = {"yaml-boolean", "ambiguous-time", "duplicate-key"}


class LintResult(NamedTuple):
    files_checked: int
    findings: list[Finding]

    @property
    def errors(self) -> int:
        return sum(1 for f in self.findings if f.level == "error")

    @property
    def warnings(self) -> int:
        return sum(1 for f in self.findings if f.level == "warning")


def lint_repository(
    config: Config,
    paths: Iterable[Path] = (),
    *,
    base: Path,
    today: dt.date | None = None,
    taxonomy: Taxonomy | None = None,
) -> LintResult:
    """Lint `paths` (every postmortem when empty) against the whole collection.

    Repository-wide rules (duplicate ids, related links) need every postmortem's
    id, so the collection is always the whole folder plus the given files; only
    the files reported on are read in full.
    """
    taxonomy = taxonomy or load_taxonomy(config.taxonomy)
    with bulk_reading():
        everything = find_postmortem_files(config.postmortems_dir)
        targets = [p for p in paths if is_postmortem_file(p)] if paths else everything
        read = {os.path.abspath(p): read_postmortem(p, display_path(p, base)) for p in targets}
        others = [
            read_id_only(p, display_path(p, base))
            for p in everything
            if os.path.abspath(p) not in read
        ]
        collection = Collection.of([*read.values(), *others])
        context = Context(
            collection=collection,
            taxonomy=taxonomy,
            validator=SchemaValidator(build_schema(taxonomy, config.id_prefix)),
            today=today or dt.date.today(),
        )
        findings = [
            finding
            for path in targets
            for finding in lint_postmortem(read[os.path.abspath(path)], context, config)
        ]
    return LintResult(len(targets), findings)


def lint_postmortem(postmortem: Postmortem, context: Context, config: Config) -> list[Finding]:
    found = list(postmortem.problems)
    for rule in RULES.values():
        if rule.check is None or (rule.needs_front_matter and not postmortem.readable):
            continue
        for problem in rule.check(postmortem, context):
            rule_id = problem.rule or rule.id
            found.append(
                Finding(
                    postmortem.path,
                    problem.line,
                    problem.column,
                    RULES[rule_id].level,
                    rule_id,
                    problem.message,
                )
            )
    return sorted(_configured(_without_repeats(found), config), key=lambda f: f.sort_key)


def _without_repeats(findings: list[Finding]) -> list[Finding]:
    """No schema finding where a more precise rule spoke about the same node."""
    taken = {(f.line, f.column) for f in findings if f.rule in _MORE_PRECISE_THAN_SCHEMA}
    return [f for f in findings if f.rule != "schema" or (f.line, f.column) not in taken]


def _configured(findings: list[Finding], config: Config) -> Iterable[Finding]:
    for finding in findings:
        level = config.level(finding.rule, finding.level)
        if level != "off" and not config.ignored(finding.path, finding.rule):
            yield finding._replace(level=level)
