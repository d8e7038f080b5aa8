"""Every lint rule of the format, in one explicit list."""

from __future__ import annotations

from postmortem_kit.format.read import RULES_REPORTED
from postmortem_kit.lint.rules import (
    accountability,
    body,
    narrative,
    reading,
    repository,
    schema,
    sensitive,
    values,
)
from postmortem_kit.lint.rules.base import Context, Registry, Rule

RULES = Registry(
    [
        # found while reading the file
        reading.unreadable_file,
        reading.unsafe_file,
        reading.missing_front_matter,
        reading.yaml_syntax,
        reading.duplicate_key,
        reading.yaml_boolean,
        # the schema, and what it cannot express
        schema.check_schema,
        schema.unknown_key,
        values.check_ambiguous_time,
        values.check_manifestation_pattern,
        values.check_timeline_order,
        values.check_date_range,
        values.check_duplicate_action_ids,
        values.check_filename_id,
        # across the repository
        repository.check_duplicate_id,
        repository.check_unknown_related,
        repository.check_prior_without_related,
        repository.check_unlinked_similar,
        # the narrative
        body.check_missing_sections,
        body.check_placeholders,
        body.check_lessons_count,
        narrative.check_raw_html,
        narrative.check_unrenderable,
        # what must not be published
        sensitive.check_secrets,
        sensitive.check_personal_data,
        # accountability
        accountability.check_no_root_cause,
        accountability.check_unaddressed_root_causes,
        accountability.check_missing_approvals,
        accountability.check_overdue_actions,
        accountability.check_late_follow_up,
        accountability.check_late_draft,
        accountability.check_action_closed_date,
        accountability.check_action_due_target,
    ]
)
RULES.require(RULES_REPORTED, "format/read.py")

__all__ = ["RULES", "Context", "Rule"]
