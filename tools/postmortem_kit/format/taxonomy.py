"""The taxonomy: incident types, root-cause patterns, lenses and controls, and
how they map to public incident databases (AVID, MITRE ATLAS).

Everything that names a slug (the schema's enums, `postmortem new`, the site's
index pages, the disclosure exports) reads it from here, so extending the
taxonomy is one edit to one YAML file. A misspelt key or an unknown code in
that file is a `TaxonomyError` naming the file and the key.
"""

from __future__ import annotations

import importlib.util
import re
from collections.abc import Iterable, Mapping
from pathlib import Path
from types import MappingProxyType
from typing import Any, NamedTuple

import yaml

from postmortem_kit.format.findings import did_you_mean


class Term(NamedTuple):
    slug: str
    label: str
    description: str
    parent: str = ""  # the category of a type, the pattern of a manifestation


class AtlasTechnique(NamedTuple):
    """A MITRE ATLAS technique that `references.atlas` may name."""

    id: str  # AML.T0051 or AML.T0051.001
    label: str
    tactic: str  # the id of the tactic its case-study step serves, AML.TA0005


_NONE: Mapping[str, Any] = MappingProxyType({})


class Taxonomy(NamedTuple):
    categories: dict[str, Term]
    incident_types: dict[str, Term]
    patterns: dict[str, Term]
    manifestations: dict[str, Term]
    lenses: dict[str, Term]
    controls: dict[str, Term]
    # incident type -> AVID SEP view codes (E0402...), in the file's order
    avid_sep_view: Mapping[str, tuple[str, ...]] = _NONE
    # root-cause pattern -> AVID lifecycle view codes (L01...)
    avid_lifecycle_view: Mapping[str, tuple[str, ...]] = _NONE
    atlas_tactics: Mapping[str, str] = _NONE  # id -> name, in the matrix's order
    atlas_techniques: Mapping[str, AtlasTechnique] = _NONE

    def types_of(self, category: str) -> list[Term]:
        return [t for t in self.incident_types.values() if t.parent == category]

    def manifestations_of(self, pattern: str) -> list[Term]:
        return [m for m in self.manifestations.values() if m.parent == pattern]


class TaxonomyError(Exception):
    """The taxonomy file cannot be used; the message says where and why."""


# --- AVID's vocabulary (avidtools' enums; tests/test_export_disclosure.py keeps
# them equal). The taxonomy file maps onto these codes; it cannot add codes,
# since AVID would reject them.

AVID_TAXONOMY_VERSION = "0.2"

# The first letter of a SEP code is its risk domain.
AVID_RISK_DOMAINS = {"S": "Security", "E": "Ethics", "P": "Performance"}

AVID_SEP_VIEW = {
    "S0100": "Software Vulnerability",
    "S0200": "Supply Chain Compromise",
    "S0201": "Model Compromise",
    "S0202": "Software Compromise",
    "S0300": "Over-permissive API",
    "S0301": "Information Leak",
    "S0302": "Excessive Queries",
    "S0400": "Model Bypass",
    "S0401": "Bad Features",
    "S0402": "Insufficient Training Data",
    "S0403": "Adversarial Example",
    "S0500": "Exfiltration",
    "S0501": "Model inversion",
    "S0502": "Model theft",
    "S0600": "Data Poisoning",
    "S0601": "Ingest Poisoning",
    "E0100": "Bias/ Discrimination",
    "E0101": "Group fairness",
    "E0102": "Individual fairness",
    "E0200": "Explainability",
    "E0201": "Global explanations",
    "E0202": "Local explanations",
    "E0300": "User actions",
    "E0301": "Toxicity",
    "E0302": "Polarization/ Exclusion",
    "E0400": "Misinformation",
    "E0401": "Deliberative Misinformation",
    "E0402": "Generative Misinformation",
    "P0100": "Data issues",
    "P0101": "Data drift",
    "P0102": "Concept drift",
    "P0103": "Data entanglement",
    "P0104": "Data quality issues",
    "P0105": "Feedback loops",
    "P0200": "Model issues",
    "P0201": "Resilience/ Stability",
    "P0202": "OOD generalization",
    "P0203": "Scaling",
    "P0204": "Accuracy",
    "P0300": "Privacy",
    "P0301": "Anonymization",
    "P0302": "Randomization",
    "P0303": "Encryption",
    "P0400": "Safety",
    "P0401": "Psychological Safety",
    "P0402": "Physical safety",
    "P0403": "Socioeconomic safety",
    "P0404": "Environmental safety",
}

AVID_LIFECYCLE_VIEW = {
    "L01": "Business Understanding",
    "L02": "Data Understanding",
    "L03": "Data Preparation",
    "L04": "Model Development",
    "L05": "Evaluation",
    "L06": "Deployment",
}

# MITRE ATLAS ids (the patterns of ATLAS's own schema, with its AML prefix);
# a technique is what `references.atlas` accepts.
ATLAS_TACTIC_ID = re.compile(r"AML\.TA[0-9]{4}")
ATLAS_TECHNIQUE_ID = re.compile(r"AML\.T[0-9]{4}(\.[0-9]{3})?")


def schema_file(name: str) -> Path:
    """A file of the `postmortem_kit.schema` package (the taxonomy, the JSON Schema).

    Found without importlib.resources, whose import costs a pre-commit run 7 ms.
    """
    spec = importlib.util.find_spec("postmortem_kit.schema")
    assert spec is not None and spec.submodule_search_locations, "the package is installed"
    return Path(next(iter(spec.submodule_search_locations)), name)


DEFAULT_PATH = schema_file("taxonomy.yaml")

# The keys each level of the file may have; anything else is a typo.
_SECTIONS = ("incident_categories", "root_cause_patterns", "lenses", "controls", "atlas")
_TERM = ("label", "description")
_KEYS = {
    "category": (*_TERM, "types"),
    "type": (*_TERM, "avid"),
    "pattern": (*_TERM, "avid", "manifestations"),
    "manifestation": _TERM,
    "lens": _TERM,
    "control": _TERM,
}


def load_taxonomy(path: Path = DEFAULT_PATH) -> Taxonomy:
    try:
        loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)  # 10x faster where built
        raw = yaml.load(path.read_text(encoding="utf-8"), Loader=loader)
    except (OSError, UnicodeDecodeError, yaml.YAMLError) as e:
        raise TaxonomyError(f"{path}: cannot read the taxonomy: {e}") from None
    if not isinstance(raw, dict):
        raise TaxonomyError(f"{path}: the taxonomy must be a mapping")
    _check_keys(path, "the taxonomy's top level", raw, _SECTIONS)
    try:
        categories = _terms(raw["incident_categories"])
        patterns = _terms(raw["root_cause_patterns"])
        taxonomy = Taxonomy(
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
    return _with_mappings(path, raw, taxonomy)


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


# --- the mappings, and the keys of every entry -------------------------------------


def _with_mappings(path: Path, raw: dict[str, Any], taxonomy: Taxonomy) -> Taxonomy:
    """The taxonomy with its AVID and ATLAS mappings, every key checked."""
    sep_view: dict[str, tuple[str, ...]] = {}
    for category, entry in raw["incident_categories"].items():
        where = f"incident_categories.{category}"
        _check_keys(path, where, entry, _KEYS["category"])
        for slug, term in entry["types"].items():
            codes = _avid(path, f"{where}.types.{slug}", term, "type", "sep_view", AVID_SEP_VIEW)
            if codes:
                sep_view[slug] = codes
    lifecycle_view: dict[str, tuple[str, ...]] = {}
    for slug, entry in raw["root_cause_patterns"].items():
        where = f"root_cause_patterns.{slug}"
        codes = _avid(path, where, entry, "pattern", "lifecycle_view", AVID_LIFECYCLE_VIEW)
        if codes:
            lifecycle_view[slug] = codes
        for child, term in entry["manifestations"].items():
            _check_keys(path, f"{where}.manifestations.{child}", term, _KEYS["manifestation"])
    for section, kind in (("lenses", "lens"), ("controls", "control")):
        for slug, entry in raw[section].items():
            _check_keys(path, f"{section}.{slug}", entry, _KEYS[kind])
    tactics, techniques = _atlas(path, raw.get("atlas"))
    return taxonomy._replace(
        avid_sep_view=MappingProxyType(sep_view),
        avid_lifecycle_view=MappingProxyType(lifecycle_view),
        atlas_tactics=MappingProxyType(tactics),
        atlas_techniques=MappingProxyType(techniques),
    )


def _avid(
    path: Path, where: str, entry: Any, kind: str, view: str, codes: dict[str, str]
) -> tuple[str, ...]:
    """The AVID codes an entry maps to under `avid: {<view>: [...]}`; () without one."""
    _check_keys(path, where, entry, _KEYS[kind])
    mapping = entry.get("avid")
    if mapping is None:
        return ()
    where = f"{where}.avid"
    _check_keys(path, where, mapping, (view,))
    listed = mapping.get(view)
    if not isinstance(listed, list) or not listed:
        raise TaxonomyError(f"{path}: {where}.{view} must be a list of one or more codes")
    for code in listed:
        if code not in codes:
            raise TaxonomyError(
                f"{path}: {where}.{view}: '{code}' is not a code of AVID's {view}"
                f"{did_you_mean(str(code), codes)}; one of {', '.join(codes)}"
            )
    return tuple(dict.fromkeys(listed))


def _atlas(path: Path, raw: Any) -> tuple[dict[str, str], dict[str, AtlasTechnique]]:
    """ATLAS tactics (id -> name) and techniques, from the `atlas` section."""
    if raw is None:
        return {}, {}
    _check_keys(path, "atlas", raw, ("tactics", "techniques"))
    tactics: dict[str, str] = {}
    for tactic, name in _mapping(path, "atlas.tactics", raw.get("tactics")).items():
        if not (isinstance(tactic, str) and ATLAS_TACTIC_ID.fullmatch(tactic)):
            raise TaxonomyError(
                f"{path}: atlas.tactics: '{tactic}' is not an ATLAS tactic id like AML.TA0005"
            )
        if not isinstance(name, str) or not name.strip():
            raise TaxonomyError(f"{path}: atlas.tactics.{tactic} needs a name")
        tactics[tactic] = name.strip()
    techniques: dict[str, AtlasTechnique] = {}
    for technique, entry in _mapping(path, "atlas.techniques", raw.get("techniques")).items():
        where = f"atlas.techniques.{technique}"
        if not (isinstance(technique, str) and ATLAS_TECHNIQUE_ID.fullmatch(technique)):
            raise TaxonomyError(
                f"{path}: atlas.techniques: '{technique}' is not an ATLAS technique id "
                "like AML.T0051 or AML.T0051.001"
            )
        _check_keys(path, where, entry, ("label", "tactic"))
        label, tactic = entry.get("label"), entry.get("tactic")
        if not isinstance(label, str) or not label.strip():
            raise TaxonomyError(f"{path}: {where} needs a label")
        if tactic not in tactics:
            raise TaxonomyError(
                f"{path}: {where}.tactic: '{tactic}' is not a tactic listed under "
                f"atlas.tactics{did_you_mean(str(tactic), tactics)}"
            )
        techniques[technique] = AtlasTechnique(technique, " ".join(label.split()), tactic)
    return tactics, techniques


def _mapping(path: Path, where: str, value: Any) -> dict[Any, Any]:
    if not isinstance(value, dict):
        raise TaxonomyError(f"{path}: {where} must be a mapping")
    return value


def _check_keys(path: Path, where: str, entry: Any, allowed: Iterable[str]) -> None:
    allowed = tuple(allowed)
    if not isinstance(entry, dict):
        raise TaxonomyError(f"{path}: {where} must be a mapping with {', '.join(allowed)}")
    for key in entry:
        if key not in allowed:
            raise TaxonomyError(
                f"{path}: {where}: unknown key '{key}'{did_you_mean(str(key), allowed)}; "
                f"allowed: {', '.join(allowed)}"
            )
