"""The JSON Schema of a postmortem's front matter, built from the taxonomy.

`build_schema` is the single definition. The committed
`schema/postmortem.schema.json` is its output (`make schema`), kept for editors
and other validators; a test fails when the two drift apart.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

import jsonschema_rs

from postmortem_kit.format import dates
from postmortem_kit.format.taxonomy import Taxonomy, schema_file
from postmortem_kit.format.vocabulary import (
    ACTION_STATUSES,
    APPROVAL_ROLES,
    DEFAULT_ID_PREFIX,
    ID_DIGITS,
    MAX_SYSTEMS,
    PLANNED_STEP,
    PRIORITIES,
    SEVERITIES,
    STATUSES,
    SYSTEM_NAME_LENGTH,
    TIMELINE,
    TITLE_LENGTH,
    TRIAGE,
    VISIBILITIES,
    statuses_from,
)

if TYPE_CHECKING:  # python-jsonschema is imported only for an invalid file
    from jsonschema.exceptions import ValidationError
    from jsonschema.protocols import Validator

SCHEMA_PATH = schema_file("postmortem.schema.json")
SCHEMA_ID = "https://postmortem-kit.dev/schema/postmortem.schema.json"

DATE = r"^[0-9]{4}-[0-9]{2}-[0-9]{2}$"
# No leap second (23:59:60): Python's datetime, like most tools, cannot hold one.
DATE_TIME = (
    r"^[0-9]{4}-[0-9]{2}-[0-9]{2}[Tt]([01][0-9]|2[0-3]):[0-5][0-9]:[0-5][0-9](\.[0-9]+)?"
    r"([Zz]|[+-]([01][0-9]|2[0-3]):[0-5][0-9])$"
)


def id_pattern(prefix: str = DEFAULT_ID_PREFIX) -> str:
    fewest, most = ID_DIGITS
    return rf"^{prefix}-[0-9]{{4}}-[0-9]{{{fewest},{most}}}$"


# A name shown on every index page: one line, and none of the bidirectional
# controls that make text read other than it is (CVE-2021-42574, "Trojan Source").
ONE_LINE = "^[^\\n\\r\\u202a-\\u202e\\u2066-\\u2069]*$"

# The largest count the format takes: more people than there are, and well within
# the 64-bit integers that SQLite and most tools hold.
MAX_COUNT = 10**10


def build_schema(taxonomy: Taxonomy, id_prefix: str = DEFAULT_ID_PREFIX) -> dict[str, Any]:
    pattern_slugs = list(taxonomy.patterns)
    date = {"type": "string", "pattern": DATE, "format": "date"}
    date_time = {"type": "string", "pattern": DATE_TIME, "format": "date-time"}
    date_or_time = {"anyOf": [date, date_time]}
    text = {"type": "string", "minLength": 1}
    texts = {"type": "array", "items": text}
    patterns = {"type": "array", "items": {"enum": pattern_slugs}, "uniqueItems": True}
    ids = {"type": "array", "items": {"type": "string"}, "uniqueItems": True}

    properties: dict[str, Any] = {
        "id": {"type": "string", "pattern": id_pattern(id_prefix)},
        "title": {
            "type": "string",
            "minLength": TITLE_LENGTH[0],
            "maxLength": TITLE_LENGTH[1],
            "pattern": ONE_LINE,
        },
        "status": {"enum": list(STATUSES)},
        "severity": {"enum": list(SEVERITIES)},
        "identified": date_or_time,
        "reported_by": text,
        "resolved": {"anyOf": [date, date_time, {"const": "ongoing"}]},
        # each system is a page of the site: a name fits a file name, and a
        # postmortem cannot make thousands of pages
        "systems": {
            "type": "array",
            "items": {**text, "maxLength": SYSTEM_NAME_LENGTH, "pattern": ONE_LINE},
            "minItems": 1,
            "maxItems": MAX_SYSTEMS,
        },
        "incident_types": {
            "type": "array",
            "items": {"enum": list(taxonomy.incident_types)},
            "minItems": 1,
            "uniqueItems": True,
        },
        "disclosure": _object({"public": {"type": "boolean"}, "regulatory": {"type": "boolean"}}),
        "triage": _object({q: {"type": "boolean"} for q in TRIAGE}),
        "impact": _object(
            {
                "users_affected": {
                    "type": ["integer", "null"],
                    "minimum": 0,
                    "maximum": MAX_COUNT,
                },
                "data_exposed": texts,
                "downtime_minutes": {"type": "number", "minimum": 0},
            }
        ),
        "timeline": _object(
            {
                **{step: date_or_time if step == PLANNED_STEP else date_time for step in TIMELINE},
                "detection_method": text,
            }
        ),
        "root_causes": {
            "type": "array",
            "minItems": 1,
            "items": _object(
                {
                    "lens": {"enum": list(taxonomy.lenses)},
                    "pattern": {"enum": pattern_slugs},
                    "manifestation": {"enum": list(taxonomy.manifestations)},
                    "factor": text,
                    "evidence": text,
                    "root_cause": {"type": "boolean"},
                }
            ),
        },
        "actions": {
            "type": "array",
            "minItems": 1,
            "items": _object(
                {
                    "id": text,
                    "description": text,
                    "owner": text,
                    "acceptance": text,
                    "priority": {"enum": list(PRIORITIES)},
                    "due": date,
                    "status": {"enum": list(ACTION_STATUSES)},
                    "addresses": patterns,
                    "tracker": {"type": "string", "pattern": r"^https?://\S+$"},
                    "closed": date,
                }
            ),
        },
        "controls": {
            "type": "array",
            "minItems": 1,
            "items": _object(
                {
                    "control": text,
                    "metric": text,
                    "addresses": {**patterns, "minItems": 1},
                    "catalog": {"enum": list(taxonomy.controls)},
                }
            ),
        },
        "related": ids,
        "not_similar": ids,
        "references": _object(
            {
                "atlas": {
                    "type": "array",
                    "items": {"type": "string", "pattern": r"^AML\.T[0-9]{4}(\.[0-9]{3})?$"},
                },
                "owasp_llm": {
                    "type": "array",
                    "items": {"type": "string", "pattern": r"^LLM(0[1-9]|10):2025$"},
                },
                "aiid": {
                    "type": "array",
                    "items": {"type": "integer", "minimum": 1, "maximum": MAX_COUNT},
                },
                "links": {
                    "type": "array",
                    "items": _object(
                        {"title": text, "url": {"type": "string", "pattern": r"^https?://\S+$"}},
                        required=["title", "url"],
                    ),
                },
            }
        ),
        "follow_up": _object({"date": date_time, "attendees": texts}),
        "monitoring": _object({"owner": text, "until": date, "review": text}),
        "authors": {
            "type": "array",
            "minItems": 1,
            "items": _object({"name": text, "role": text}, required=["name", "role"]),
        },
        "approvals": {
            "type": "array",
            "items": _object(
                {"name": text, "role": {"enum": list(APPROVAL_ROLES)}, "date": date},
                required=["name", "role", "date"],
            ),
        },
        "visibility": {"enum": list(VISIBILITIES)},
        "tags": texts,
    }

    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$id": SCHEMA_ID,
        "title": "AI incident postmortem (front matter)",
        "description": "Generated from schema/taxonomy.yaml by `postmortem schema`; do not edit.",
        "type": "object",
        "required": ["id", "title", "status", "severity", "identified", "reported_by"],
        "properties": properties,
        "additionalProperties": False,
        "allOf": [_from_status(status, then) for status, then in REQUIREMENTS_FROM],
    }


def _object(properties: dict[str, Any], required: list[str] | None = None) -> dict[str, Any]:
    schema: dict[str, Any] = {
        "type": "object",
        "properties": properties,
        "additionalProperties": False,
    }
    if required:
        schema["required"] = required
    return schema


def _from_status(status: str, then: dict[str, Any]) -> dict[str, Any]:
    return {
        "if": {
            "properties": {"status": {"enum": list(statuses_from(status))}},
            "required": ["status"],
        },
        "then": then,
    }


_REVIEW_REQUIREMENTS: dict[str, Any] = {
    "required": [
        "resolved",
        "systems",
        "incident_types",
        "disclosure",
        "triage",
        "impact",
        "timeline",
        "root_causes",
    ],
    "properties": {
        "disclosure": {"required": ["public", "regulatory"]},
        "triage": {"required": list(TRIAGE)},
        "impact": {"required": ["users_affected"]},
        "timeline": {"required": ["triggered", "detected", "detection_method"]},
        "root_causes": {
            "items": {"required": ["lens", "pattern", "factor", "evidence", "root_cause"]}
        },
    },
}

_FINAL_REQUIREMENTS: dict[str, Any] = {
    "required": [
        "actions",
        "controls",
        "follow_up",
        "monitoring",
        "authors",
        "approvals",
    ],
    "properties": {
        "resolved": {"not": {"const": "ongoing"}},
        "impact": {"properties": {"users_affected": {"type": "integer"}}},
        "timeline": {"required": ["contained", "remediated"]},
        "actions": {
            "items": {
                "required": [
                    "id",
                    "description",
                    "owner",
                    "acceptance",
                    "priority",
                    "due",
                    "status",
                ]
            }
        },
        "controls": {"items": {"required": ["control", "metric", "addresses"]}},
        "follow_up": {"required": ["date"]},
        "monitoring": {"required": ["owner", "until", "review"]},
    },
}

# What each status requires, in the schema's allOf in this order (lint names the
# status of a failing branch by its index).
REQUIREMENTS_FROM = (("review", _REVIEW_REQUIREMENTS), ("final", _FINAL_REQUIREMENTS))


def schema_text(schema: dict[str, Any]) -> str:
    return json.dumps(schema, indent=2, ensure_ascii=False) + "\n"


class SchemaValidator:
    """python-jsonschema for detailed errors, behind jsonschema-rs as a fast pass.

    Most files are valid, and jsonschema-rs says so about 150 times faster; only
    files it rejects are walked again for the errors our messages are made from.
    """

    def __init__(self, schema: dict[str, Any]) -> None:
        self.schema = schema
        self.fast = jsonschema_rs.validator_for(schema, validate_formats=True)
        self._detailed: Validator | None = None

    @property
    def detailed(self) -> Validator:
        if self._detailed is None:  # importing python-jsonschema takes 80 ms: only when needed
            from jsonschema import Draft202012Validator, FormatChecker

            checker = FormatChecker(formats=())
            checker.checks("date")(dates.is_real_date)
            checker.checks("date-time")(dates.is_real_date_time)
            self._detailed = Draft202012Validator(self.schema, format_checker=checker)
        return self._detailed

    def is_valid(self, instance: Any) -> bool:
        return not any(True for _ in self.iter_errors(instance))

    def iter_errors(self, instance: Any) -> Iterator[ValidationError]:
        try:
            if self.fast.is_valid(instance):
                return iter(())
        except ValueError:  # a value JSON cannot hold: take the slow path
            pass
        return self.detailed.iter_errors(instance)
