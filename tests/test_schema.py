"""The committed JSON Schema: generated from the taxonomy, usable on its own."""

from __future__ import annotations

import json

from helpers import FINAL, PROJECT
from jsonschema import Draft202012Validator
from postmortem_kit.format.read import parse_postmortem
from postmortem_kit.format.schema import SCHEMA_PATH, build_schema, schema_text
from postmortem_kit.format.taxonomy import load_taxonomy

TAXONOMY = load_taxonomy()
COMMITTED = json.loads((PROJECT / "schema" / "postmortem.schema.json").read_text())


def test_committed_schema_is_what_the_taxonomy_generates() -> None:
    generated = schema_text(build_schema(TAXONOMY))
    assert (PROJECT / "schema" / "postmortem.schema.json").read_text() == generated, (
        "schema/postmortem.schema.json is stale: run `make schema`"
    )
    assert SCHEMA_PATH.read_text() == generated  # the copy the package ships


def test_schema_is_a_valid_2020_12_schema() -> None:
    Draft202012Validator.check_schema(COMMITTED)
    assert COMMITTED["$schema"] == "https://json-schema.org/draft/2020-12/schema"


def test_every_taxonomy_slug_is_in_the_enums() -> None:
    properties = COMMITTED["properties"]
    assert properties["incident_types"]["items"]["enum"] == list(TAXONOMY.incident_types)
    cause = properties["root_causes"]["items"]["properties"]
    assert cause["pattern"]["enum"] == list(TAXONOMY.patterns)
    assert cause["manifestation"]["enum"] == list(TAXONOMY.manifestations)
    assert cause["lens"]["enum"] == ["governance", "security", "operations"]
    catalog = properties["controls"]["items"]["properties"]["catalog"]["enum"]
    assert catalog == list(TAXONOMY.controls)


def test_taxonomy_matches_the_format() -> None:
    assert len(TAXONOMY.incident_types) == 12 and len(TAXONOMY.categories) == 4
    assert len(TAXONOMY.patterns) == 6 and len(TAXONOMY.manifestations) == 21
    assert len(TAXONOMY.controls) == 13
    for term in [*TAXONOMY.incident_types.values(), *TAXONOMY.patterns.values()]:
        assert term.label and len(term.description) > 40


def test_standalone_validator_applies_status_requirements() -> None:
    """Any validator with the file alone enforces the `final` requirements."""
    validator = Draft202012Validator(COMMITTED)
    data = parse_postmortem(FINAL.encode(), "final.md").data  # dates stay strings
    assert list(validator.iter_errors(data)) == []
    del data["actions"]
    assert [e.message for e in validator.iter_errors(data)] == ["'actions' is a required property"]
    data["status"] = "review"
    assert list(validator.iter_errors(data)) == []
