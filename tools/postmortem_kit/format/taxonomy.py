"""The taxonomy: incident types, root-cause patterns, lenses and controls.

Everything that names a slug (the schema's enums, `postmortem new`, the site's
index pages) reads it from here, so extending the taxonomy is one edit to one
YAML file.
"""

from __future__ import annotations

import importlib.util
from pathlib import Path
from typing import Any, NamedTuple

import yaml


class Term(NamedTuple):
    slug: str
    label: str
    description: str
    parent: str = ""  # the category of a type, the pattern of a manifestation


class Taxonomy(NamedTuple):
    categories: dict[str, Term]
    incident_types: dict[str, Term]
    patterns: dict[str, Term]
    manifestations: dict[str, Term]
    lenses: dict[str, Term]
    controls: dict[str, Term]

    def types_of(self, category: str) -> list[Term]:
        return [t for t in self.incident_types.values() if t.parent == category]

    def manifestations_of(self, pattern: str) -> list[Term]:
        return [m for m in self.manifestations.values() if m.parent == pattern]


class TaxonomyError(Exception):
    """The taxonomy file cannot be used; the message says where and why."""


def schema_file(name: str) -> Path:
    """A file of the `postmortem_kit.schema` package (the taxonomy, the JSON Schema).

    Found without importlib.resources, whose import costs a pre-commit run 7 ms.
    """
    spec = importlib.util.find_spec("postmortem_kit.schema")
    assert spec is not None and spec.submodule_search_locations, "the package is installed"
    return Path(next(iter(spec.submodule_search_locations)), name)


DEFAULT_PATH = schema_file("taxonomy.yaml")


def load_taxonomy(path: Path = DEFAULT_PATH) -> Taxonomy:
    try:
        loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)  # 10x faster where built
        raw = yaml.load(path.read_text(encoding="utf-8"), Loader=loader)
    except (OSError, UnicodeDecodeError, yaml.YAMLError) as e:
        raise TaxonomyError(f"{path}: cannot read the taxonomy: {e}") from None
    if not isinstance(raw, dict):
        raise TaxonomyError(f"{path}: the taxonomy must be a mapping")
    try:
        categories = _terms(raw["incident_categories"])
        patterns = _terms(raw["root_cause_patterns"])
        return Taxonomy(
            categories=categories,
            incident_types=_children(raw["incident_categories"], "types"),
            patterns=patterns,
            manifestations=_children(raw["root_cause_patterns"], "manifestations"),
            lenses=_terms(raw["lenses"]),
            controls=_terms(raw["controls"]),
        )
    except (KeyError, TypeError, AttributeError) as e:
        raise TaxonomyError(
            f"{path}: malformed taxonomy near {e}: every entry needs a label and a "
            "description; see the comments at the top of schema/taxonomy.yaml"
        ) from None


def _terms(section: dict[str, Any], parent: str = "") -> dict[str, Term]:
    return {
        slug: Term(slug, entry["label"], " ".join(entry["description"].split()), parent)
        for slug, entry in section.items()
    }


def _children(section: dict[str, Any], key: str) -> dict[str, Term]:
    children: dict[str, Term] = {}
    for parent, entry in section.items():
        for slug, term in _terms(entry[key], parent).items():
            if slug in children:
                raise TaxonomyError(f"slug '{slug}' is listed under two {key}")
            children[slug] = term
    return children
