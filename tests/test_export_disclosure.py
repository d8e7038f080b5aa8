"""The disclosure formats (avid, atlas, aiid): who is in them, what each field
holds, that avidtools and ATLAS's schema rules accept every record, that
hostile text stays data, and the taxonomy mappings they read."""

from __future__ import annotations

import datetime as dt
import json
import re
import sys
import unicodedata
import warnings
from pathlib import Path
from typing import Any

import jsonschema
import pytest
import yaml
from helpers import PROJECT, Repo, postmortem
from postmortem_kit.export import ExportError, aiid, atlas, avid
from postmortem_kit.export.disclosure import mapping_tables
from postmortem_kit.export.output import MARKER
from postmortem_kit.export.text import (
    WITHHELD,
    narrative,
    withhold_hidden_ids,
)
from postmortem_kit.format.collection import Collection
from postmortem_kit.format.read import parse_postmortem
from postmortem_kit.format.taxonomy import (
    AVID_LIFECYCLE_VIEW,
    AVID_SEP_VIEW,
    DEFAULT_PATH,
    TaxonomyError,
    load_taxonomy,
)
from postmortem_kit.site.aggregate import Aggregate, Incident

TAXONOMY = load_taxonomy()
TODAY = dt.date(2025, 6, 1)
FORMATS = ("avid", "atlas", "aiid")

with warnings.catch_warnings():  # avidtools 0.1 declares pydantic-1 style configs
    warnings.simplefilter("ignore")
    from avidtools.datamodels.enums import LifecycleEnum, SepEnum
    from avidtools.datamodels.report import Report


def disclosed(pm_id: str, **changes: str) -> str:
    """The sample postmortem, public and marked for disclosure."""
    return postmortem(pm_id, visibility="visibility: public", **changes)


def aggregate_of(*texts: str) -> Aggregate:
    postmortems = [parse_postmortem(t.encode(), f"postmortems/{i}.md") for i, t in enumerate(texts)]
    return Aggregate.of(Collection(postmortems), TAXONOMY, "public", TODAY)


def only(aggregate: Aggregate) -> Incident:
    (incident,) = aggregate.incidents
    return incident


# --- ATLAS's case-study rules, written from the ATLAS website's case-study schema
# (mitre-atlas/atlas-data, dist/schemas/atlas_website_case_study_schema.json,
# version 1.1): the keys a study may have and must have, ATLAS's id patterns.

ATLAS_ID = r"^(?:[A-Z]+[0-9]*\.)+"
TACTIC_ID = {"type": "string", "pattern": ATLAS_ID + r"TA[0-9]{4}$"}
TECHNIQUE_ID = {"type": "string", "pattern": ATLAS_ID + r"T[0-9]{4}(\.[0-9]{3})?$"}
NULLABLE_TEXT = {"anyOf": [{"type": "string"}, {"type": "null"}]}
CASE_STUDY_RULES: dict[str, Any] = {
    "$schema": "http://json-schema.org/draft-07/schema#",
    "type": "object",
    "required": ["study"],
    "properties": {
        "meta": {"type": "object"},
        "study": {
            "type": "object",
            "additionalProperties": False,
            "required": [
                "name",
                "summary",
                "incident-date",
                "incident-date-granularity",
                "procedure",
            ],
            "properties": {
                "id": {"type": "string", "pattern": ATLAS_ID + r"CS[0-9]{4}$"},
                "object-type": {"const": "case-study"},
                "name": {"type": "string"},
                "summary": {"type": "string"},
                "incident-date": {"type": "string", "format": "date"},
                "incident-date-granularity": {"enum": ["YEAR", "MONTH", "DATE"]},
                "procedure": {
                    "type": "array",
                    "items": {
                        "type": "object",
                        "additionalProperties": False,
                        "required": ["tactic", "technique", "description"],
                        "properties": {
                            "tactic": TACTIC_ID,
                            "technique": TECHNIQUE_ID,
                            "description": {"type": "string"},
                        },
                    },
                },
                "reporter": {"type": "string"},
                "target": {"type": "string"},
                "actor": {"type": "string"},
                "case-study-type": {"enum": ["incident", "exercise"]},
                "references": {
                    "type": "array",
                    "items": {
                        "type": "object",
                        "additionalProperties": False,
                        "required": ["title", "url"],
                        "properties": {"title": NULLABLE_TEXT, "url": NULLABLE_TEXT},
                    },
                },
            },
        },
    },
}


def check_case_study(text: str) -> dict[str, Any]:
    """The case study in `text`, after checking it against ATLAS's rules."""
    study = yaml.safe_load(text)
    jsonschema.validate(study, CASE_STUDY_RULES, format_checker=jsonschema.FormatChecker())
    dt.date.fromisoformat(study["study"]["incident-date"])
    for step in study["study"]["procedure"]:  # and each technique with its own tactic
        assert TAXONOMY.atlas_techniques[step["technique"]].tactic == step["tactic"]
    return study


def test_the_rules_catch_what_atlas_rejects() -> None:
    good = {
        "study": {
            "name": "n",
            "summary": "s",
            "incident-date": "2025-02-03",
            "incident-date-granularity": "DATE",
            "procedure": [
                {"tactic": "AML.TA0005", "technique": "AML.T0051.001", "description": "d"}
            ],
        }
    }
    jsonschema.validate(good, CASE_STUDY_RULES, format_checker=jsonschema.FormatChecker())
    bad = [
        {**good["study"], "extra": 1},
        {k: v for k, v in good["study"].items() if k != "summary"},
        {**good["study"], "incident-date-granularity": "DAY"},
        {**good["study"], "incident-date": "2025-02-30"},
        {**good["study"], "case-study-type": "drill"},
        {**good["study"], "id": "AML.CS12"},
        {**good["study"], "procedure": [{"tactic": "AML.T0005", "technique": "AML.T0051"}]},
        {**good["study"], "procedure": [{"tactic": "TA0005", "technique": "AML.T51"}]},
    ]
    for study in bad:
        with pytest.raises(jsonschema.ValidationError):
            jsonschema.validate(
                {"study": study}, CASE_STUDY_RULES, format_checker=jsonschema.FormatChecker()
            )


# --- the taxonomy's mappings ----------------------------------------------------------


def test_avid_vocabulary_is_avidtools() -> None:
    assert [f"{code}: {name}" for code, name in AVID_SEP_VIEW.items()] == [e.value for e in SepEnum]
    assert [f"{code}: {name}" for code, name in AVID_LIFECYCLE_VIEW.items()] == [
        e.value for e in LifecycleEnum
    ]


def test_every_default_type_and_pattern_is_mapped() -> None:
    assert set(TAXONOMY.avid_sep_view) == set(TAXONOMY.incident_types)
    assert set(TAXONOMY.avid_lifecycle_view) == set(TAXONOMY.patterns)
    assert TAXONOMY.avid_sep_view["hallucination"] == ("E0402", "P0204")
    assert TAXONOMY.avid_lifecycle_view["model-design-evaluation"] == ("L04", "L05")


def test_atlas_techniques_are_ids_references_accept() -> None:
    accepted = re.compile(r"AML\.T[0-9]{4}(\.[0-9]{3})?")  # the schema's references.atlas
    assert len(TAXONOMY.atlas_tactics) == 16
    for technique in TAXONOMY.atlas_techniques.values():
        assert accepted.fullmatch(technique.id) and technique.tactic in TAXONOMY.atlas_tactics
    assert TAXONOMY.atlas_techniques["AML.T0051.001"].tactic == "AML.TA0005"
    gallery = {
        i
        for path in (PROJECT / "postmortems").rglob("*.md")
        for i in re.findall(r"AML\.T[0-9]{4}(?:\.[0-9]{3})?", path.read_text(encoding="utf-8"))
    }
    assert gallery - {"AML.T0051"} <= set(TAXONOMY.atlas_techniques)  # the template's example


def test_the_docs_show_the_mappings_of_the_taxonomy() -> None:
    page = (PROJECT / "docs" / "disclosure.md").read_text(encoding="utf-8")
    assert mapping_tables(TAXONOMY) in page, (
        "docs/disclosure.md: paste `python -m postmortem_kit.export.disclosure`"
    )


DEFAULT_TEXT = DEFAULT_PATH.read_text(encoding="utf-8")


@pytest.mark.parametrize(
    ("old", "new", "message"),
    [
        (
            "avid: {sep_view: [E0402, P0204]}",
            "avd: {sep_view: [E0402, P0204]}",
            "incident_categories.harmful-output.types.hallucination: unknown key 'avd' "
            "(did you mean 'avid'?)",
        ),
        (
            "avid: {sep_view: [E0402, P0204]}",
            "avid: {sep_view: [E0402, P0999]}",
            "incident_categories.harmful-output.types.hallucination.avid.sep_view: "
            "'P0999' is not a code of AVID's sep_view",
        ),
        (
            "avid: {sep_view: [E0402, P0204]}",
            "avid: {sepview: [E0402]}",
            "hallucination.avid: unknown key 'sepview' (did you mean 'sep_view'?)",
        ),
        (
            "avid: {sep_view: [E0402, P0204]}",
            "avid: {sep_view: []}",
            "hallucination.avid.sep_view must be a list of one or more codes",
        ),
        (
            "avid: {lifecycle_view: [L04, L05]}",
            "avid: {lifecycle_view: [L4]}",
            "root_cause_patterns.model-design-evaluation.avid.lifecycle_view: 'L4' is not a "
            "code of AVID's lifecycle_view",
        ),
        (
            "    label: Undefined ownership",
            "    label: Undefined ownership\n        lable: typo",
            "manifestations.undefined-ownership: unknown key 'lable' (did you mean 'label'?)",
        ),
        (
            "AML.T0057: {label: LLM Data Leakage, tactic: AML.TA0010}",
            "AML.T0057: {label: LLM Data Leakage, tactic: AML.TA0100}",
            "atlas.techniques.AML.T0057.tactic: 'AML.TA0100' is not a tactic listed under "
            "atlas.tactics (did you mean 'AML.TA0010'?)",
        ),
        (
            "AML.T0057: {label: LLM Data Leakage, tactic: AML.TA0010}",
            "AML.T57: {label: LLM Data Leakage, tactic: AML.TA0010}",
            "atlas.techniques: 'AML.T57' is not an ATLAS technique id",
        ),
        (
            "AML.T0057: {label: LLM Data Leakage, tactic: AML.TA0010}",
            "AML.T0057: {name: LLM Data Leakage, tactic: AML.TA0010}",
            "atlas.techniques.AML.T0057: unknown key 'name'",
        ),
        ("\natlas:\n", "\natlass:\n", "the taxonomy's top level: unknown key 'atlass'"),
        ("    AML.TA0010: Exfiltration", "    TA0010: Exfiltration", "'TA0010' is not an ATLAS"),
    ],
)
def test_a_mistake_in_the_mappings_names_file_and_key(
    tmp_path: Path, old: str, new: str, message: str
) -> None:
    assert old in DEFAULT_TEXT
    path = tmp_path / "taxonomy.yaml"
    path.write_text(DEFAULT_TEXT.replace(old, new, 1), encoding="utf-8")
    with pytest.raises(TaxonomyError) as raised:
        load_taxonomy(path)
    assert str(raised.value).startswith(f"{path}: ")
    assert message in str(raised.value)


def test_a_taxonomy_without_mappings_still_loads(tmp_path: Path) -> None:
    text = re.sub(r"\n +avid: \{[^}]*\}", "", DEFAULT_TEXT.split("\natlas:\n")[0])
    path = tmp_path / "taxonomy.yaml"
    path.write_text(text, encoding="utf-8")
    taxonomy = load_taxonomy(path)
    assert taxonomy.incident_types == TAXONOMY.incident_types
    assert not taxonomy.avid_sep_view and not taxonomy.atlas_techniques


# --- every record, for every mapping and for the gallery --------------------------


def test_every_type_and_technique_makes_records_avidtools_and_atlas_accept(tmp_path: Path) -> None:
    techniques = ", ".join(TAXONOMY.atlas_techniques)
    texts = [
        disclosed(
            f"AIPM-2025-{n:03d}",
            incident_types=f"incident_types: [{incident_type}]",
            references=f"references:\n  atlas: [{techniques}]",
        )
        for n, incident_type in enumerate(TAXONOMY.incident_types, start=1)
    ]
    aggregate = aggregate_of(*texts)
    written = avid.write(aggregate, tmp_path / "avid")
    assert len(written) == len(TAXONOMY.incident_types)
    for path in written:
        report = json.loads(path.read_text(encoding="utf-8"))
        assert Report.model_validate(report).model_dump(mode="json", exclude_unset=True) == report
    for path in atlas.write(aggregate, tmp_path / "atlas"):
        study = check_case_study(path.read_text(encoding="utf-8"))["study"]
        assert len(study["procedure"]) == len(TAXONOMY.atlas_techniques)
        order = [list(TAXONOMY.atlas_tactics).index(s["tactic"]) for s in study["procedure"]]
        assert order == sorted(order)


def test_the_gallery_exports(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys) -> None:
    from postmortem_kit.cli import main

    monkeypatch.chdir(PROJECT)
    monkeypatch.delenv("POSTMORTEM_AUDIENCE", raising=False)
    for name in FORMATS:
        out = tmp_path / name
        assert main(["export", "--format", name, "--audience", "public", "--output", str(out)]) == 0
        files = [p for p in out.iterdir() if p.name != MARKER]
        assert files or name == "atlas"
        for path in files:
            if name == "avid":
                report = json.loads(path.read_text(encoding="utf-8"))
                assert (
                    Report.model_validate(report).model_dump(mode="json", exclude_unset=True)
                    == report
                )
            elif name == "atlas":
                check_case_study(path.read_text(encoding="utf-8"))
    assert "Wrote" in capsys.readouterr().out


# --- AVID -----------------------------------------------------------------------------


def test_avid_report_is_what_avidtools_reads_and_writes(tmp_path: Path) -> None:
    aggregate = aggregate_of(
        disclosed(
            "AIPM-2025-001", incident_types="incident_types: [hallucination, privacy-leakage]"
        )
    )
    (path,) = avid.write(aggregate, tmp_path / "avid")
    report = json.loads(path.read_text(encoding="utf-8"))
    assert Report.model_validate(report).model_dump(mode="json", exclude_unset=True) == report
    classification = report["impact"]["avid"]
    assert classification["risk_domain"] == ["Security", "Ethics", "Performance"]
    assert classification["sep_view"] == [
        "S0301: Information Leak",
        "E0402: Generative Misinformation",
        "P0204: Accuracy",
        "P0300: Privacy",
    ]
    assert classification["lifecycle_view"] == [  # contributing root causes too
        "L01: Business Understanding",
        "L04: Model Development",
        "L05: Evaluation",
        "L06: Deployment",
    ]
    assert report["problemtype"]["description"]["value"] == (
        "Support assistant invented a bereavement refund policy"
    )
    assert report["description"]["value"].startswith("For eight days our support assistant")
    assert [a["name"] for a in report["affects"]["artifacts"]] == [
        "support-assistant",
        "policy-retrieval-index",
    ]
    assert report["credit"] == [{"lang": "eng", "value": "Dana Okafor"}]
    assert report["reported_date"] == "2025-06-01" and "metadata" not in report
    assert {"label": "AI Incident Database incident 639", "type": "source"}.items() <= (
        report["references"][1].items()
    )


def test_avid_asks_for_a_mapping_it_lacks() -> None:
    taxonomy = TAXONOMY._replace(avid_sep_view={})
    aggregate = aggregate_of(disclosed("AIPM-2025-001"))._replace(taxonomy=taxonomy)
    with pytest.raises(ExportError, match="incident type 'hallucination' has no AVID mapping"):
        avid.report(aggregate, only(aggregate))


# --- ATLAS ----------------------------------------------------------------------------

INJECTION = "references:\n  atlas: [AML.T0057, AML.T0051.001, AML.T0051.001]"


def test_atlas_case_study_passes_the_schema_rules(tmp_path: Path) -> None:
    aggregate = aggregate_of(disclosed("AIPM-2025-001", references=INJECTION))
    (path,) = atlas.write(aggregate, tmp_path / "atlas")
    study = check_case_study(path.read_text(encoding="utf-8"))["study"]
    assert study["name"] == "Support assistant invented a bereavement refund policy"
    assert study["incident-date"] == "2025-02-03" and study["incident-date-granularity"] == "DATE"
    assert [(s["tactic"], s["technique"]) for s in study["procedure"]] == [
        ("AML.TA0005", "AML.T0051.001"),  # Execution before Exfiltration, once
        ("AML.TA0010", "AML.T0057"),
    ]
    assert study["reporter"] == "Customer support operations"
    assert study["target"] == "support-assistant, policy-retrieval-index"
    assert study["case-study-type"] == "incident" and study["actor"] == "Unknown"
    assert study["references"][0]["url"].startswith("https://status.example.com/")


def test_atlas_writes_no_case_study_without_techniques(tmp_path: Path) -> None:
    assert atlas.write(aggregate_of(disclosed("AIPM-2025-001")), tmp_path / "atlas") == []


def test_atlas_asks_for_a_technique_it_does_not_know() -> None:
    aggregate = aggregate_of(
        disclosed("AIPM-2025-001", references="references:\n  atlas: [AML.T0999]")
    )
    with pytest.raises(ExportError, match="AML.T0999 has no tactic in the taxonomy file"):
        atlas.case_study(aggregate, only(aggregate))


@pytest.mark.parametrize(
    ("severity", "method", "tags", "kind"),
    [
        ("near-miss", "Red team exercise before launch", "[]", "exercise"),
        ("near-miss", "Pre-release evaluation suite flagged it", "[]", "exercise"),
        ("near-miss", "Found by an on-call engineer", "[Red Team]", "exercise"),
        ("near-miss", "Customer complaint", "[retrieval]", "incident"),
        ("high", "Red team exercise before launch", "[red-team]", "incident"),
    ],
)
def test_a_near_miss_found_by_testing_is_an_exercise(
    severity: str, method: str, tags: str, kind: str
) -> None:
    text = disclosed("AIPM-2025-001", severity=f"severity: {severity}", tags=f"tags: {tags}")
    text = text.replace("Customer complaint escalated by a support agent", method)
    assert atlas.case_study_type(only(aggregate_of(text))) == kind


# --- AIID -----------------------------------------------------------------------------


def test_aiid_record_fills_what_it_knows_and_says_what_it_does_not(tmp_path: Path) -> None:
    aggregate = aggregate_of(disclosed("AIPM-2025-001"))
    (path,) = aiid.write(aggregate, tmp_path / "aiid")
    record = json.loads(path.read_text(encoding="utf-8"))
    submission = record["submission"]
    assert record["postmortem"] == "AIPM-2025-001"
    assert submission["title"] == "Support assistant invented a bereavement refund policy"
    assert submission["text"].startswith("## Summary\n\nFor eight days")
    assert "## Lessons learned\n\n- An assistant that may answer" in submission["text"]
    assert "## Communication" not in submission["text"]
    assert 80 <= len(submission["text"]) <= 50_000
    assert submission["description"] == (
        "For eight days our support assistant told customers that a bereavement fare could "
        "be refunded after travel, a policy we do not have."
    )
    assert len(submission["description"]) <= 200 and "\n" not in submission["description"]
    assert submission["incident_date"] == "2025-02-03"
    assert submission["date_downloaded"] == "2025-06-01"
    assert submission["authors"] == ["Dana Okafor"] and submission["tags"] == ["Hallucination"]
    assert submission["editor_similar_incidents"] == [639] and submission["incident_id"] is None
    for field in ("url", "date_published", "submitters", "deployers", "developers"):
        assert not submission[field] and field in record["to_fill_in"]
    assert set(record["to_fill_in"]) == {k for k, v in submission.items() if v in ("", [])}


def test_aiid_limits_hold_for_the_text_with_ids_withheld(monkeypatch: pytest.MonkeyPatch) -> None:
    """WITHHELD is longer than an id: AIID's limits are measured once it replaces them."""
    names = "Two earlier incidents, AIPM-2025-008 and AIPM-2025-009, went the same way."
    longer = 2 * (len(WITHHELD) - len("AIPM-2025-009"))  # what withholding both adds
    filler = "It " + "a" * (aiid.DESCRIPTION_LENGTH + 1 - longer - len(names) - 5) + "."
    paragraph = f"{names} {filler}"
    assert len(paragraph) + longer == aiid.DESCRIPTION_LENGTH + 1  # fits until withheld
    text = disclosed("AIPM-2025-001").replace("For eight days", f"{paragraph}\n\nFor eight", 1)
    aggregate = aggregate_of(text)
    raw = narrative(only(aggregate).postmortem, aiid.TEXT_SECTIONS)
    monkeypatch.setattr(aiid, "TEXT_LENGTH", (80, len(raw) + 1))  # fits until withheld
    record = aiid.submission(aggregate, only(aggregate))
    submission = record["submission"]
    assert "AIPM-2025-009" not in json.dumps(record)
    assert len(submission["text"]) == len(raw) + longer
    assert "text" in record["to_fill_in"]  # too long for AIID, once withheld
    assert submission["description"] == names.replace("AIPM-2025-008", WITHHELD).replace(
        "AIPM-2025-009", WITHHELD
    )  # the first sentence alone fits
    assert len(submission["description"]) <= aiid.DESCRIPTION_LENGTH


def test_section_text_stops_at_the_next_heading_not_in_a_fence() -> None:
    text = postmortem("AIPM-2025-001").replace(
        "every index rebuild on an evaluation.\n",
        "every index rebuild on an evaluation.\n\n```\n# not a heading\n```\n\n# Part two\n\nzzpart2\n",
    )
    summary = parse_postmortem(text.encode(), "x.md").section_text("Summary")
    assert summary.endswith("```\n# not a heading\n```") and "zzpart2" not in summary


# --- hostile content ------------------------------------------------------------------

PAYLOADS = [
    "<script>alert(1)</script>",
    '"}, "x": {"',
    "&anchor *alias !!python/object/apply:os.system ['id']",
    "{{ template }} ${variable}",
    "\x85\u2028\u2029 \u202e",
]
FENCED = "```\n---\n... \n%YAML 1.1\n!!binary AAAA\n</pre><img src=x onerror=alert(1)>\n```"


def test_hostile_text_is_data_in_every_format(tmp_path: Path) -> None:
    title = "Hostile " + " ".join(PAYLOADS)
    text = disclosed(
        "AIPM-2025-001",
        title=f"title: {json.dumps(title)}",
        references="references:\n  atlas: [AML.T0051.001]\n  aiid: [639]",
    ).replace("For eight days", "\n\n".join([*(f"`{p}`" for p in PAYLOADS), FENCED, "For"]))
    aggregate = aggregate_of(text)
    incident = only(aggregate)
    assert incident.title == title
    summary = incident.postmortem.section_text("Summary")
    assert FENCED in summary
    for module, name in ((avid, "avid"), (atlas, "atlas"), (aiid, "aiid")):
        (path,) = module.write(aggregate, tmp_path / name)
        raw = path.read_text(encoding="utf-8")
        if path.suffix == ".json":
            assert not set("<>&\x85\u2028\u2029") & set(raw)  # escaped, the same values
            record = json.loads(raw)
            if name == "avid":
                names = [record["problemtype"]["description"]["value"]]
                texts = [record["description"]["value"]]
            else:
                names, texts = [record["submission"]["title"]], [record["submission"]["text"]]
        else:
            events = list(yaml.parse(raw))
            assert not [e for e in events if getattr(e, "anchor", None)]  # no anchors or aliases
            assert {getattr(e, "tag", None) for e in events} == {None}  # and no tags
            study = check_case_study(raw)["study"]
            names, texts = [study["name"]], [study["summary"]]
        assert names == [title], name
        assert FENCED in texts[0], name


# --- who is in an export: the canary ------------------------------------------------

CANARY = "CANARY-zq7xk3-restricted"
HIDDEN = ("AIPM-2025-002", "AIPM-2025-003", "AIPM-2025-004")


def canary_repository(repo: Repo) -> None:
    """A disclosed postmortem linking (and, in its prose, naming) three that are
    not: restricted (with the canary), public but not for disclosure, internal."""
    text = disclosed(
        "AIPM-2025-001",
        tags="tags: [customer-facing]\nrelated: [AIPM-2025-002, AIPM-2025-003, AIPM-2025-004]",
        references="references:\n  atlas: [AML.T0051.001]",
    ).replace("For eight days", "As in AIPM-2025-002 and AIPM-2025-0031, for eight days")
    repo.write("postmortems/2025/AIPM-2025-001-disclosed.md", text)
    restricted = postmortem(
        "AIPM-2025-002",
        title=f"title: Restricted {CANARY} incident",
        visibility="visibility: restricted",
        references="references:\n  atlas: [AML.T0051.001]",
    ).replace("For eight days", f"{CANARY} for eight days")
    repo.write("postmortems/2025/AIPM-2025-002-restricted.md", restricted)
    not_for_disclosure = disclosed("AIPM-2025-003").replace(
        "disclosure:\n  public: true", "disclosure:\n  public: false"
    )
    repo.write("postmortems/2025/AIPM-2025-003-public.md", not_for_disclosure)
    repo.write("postmortems/2025/AIPM-2025-004-internal.md", postmortem("AIPM-2025-004"))
    assert repo.run("lint").exit_code == 0


def test_a_restricted_canary_appears_in_no_export(repo: Repo) -> None:
    canary_repository(repo)
    for name in FORMATS:
        run = repo.run("export", "--format", name, "--audience", "public", "--output", name)
        assert run.exit_code == 0, run.err
        files = sorted(p for p in (repo.path / name).iterdir() if p.name != MARKER)
        assert [p.stem for p in files] == ["AIPM-2025-001"], name
        raw = files[0].read_bytes()
        for secret in (CANARY, *HIDDEN):
            assert secret.encode() not in raw, (name, secret)
        assert WITHHELD.encode() in raw, name  # the ids its prose names
    record = json.loads((repo.path / "aiid" / "AIPM-2025-001.json").read_text())
    assert record["submission"]["text"].count(WITHHELD) == 2
    check_case_study((repo.path / "atlas" / "AIPM-2025-001.yaml").read_text())


SLUG = "resume-screening-model-ranks-career-gaps-down"


@pytest.mark.parametrize(
    ("text", "withheld"),
    [
        ("as in aipm-2025-003, again", "as in [not disclosed], again"),
        ("as in AIPM\\-2025\\-003 (escaped)", "as in [not disclosed] (escaped)"),
        ("AIPM\u20112025\u2011003 and Aipm\u20132025\u2014003", f"{WITHHELD} and {WITHHELD}"),
        ("AIPM\u22122025\uff0d003; AIPM&#45;2025&#x2D;003", f"{WITHHELD}; {WITHHELD}"),
        (f"[see](../2025/AIPM-2025-003-{SLUG}.md).", "[see](../2025/[not disclosed])."),
        (
            f"https://wiki.example/AIPM-2025-003-{SLUG}.html#impact",
            f"https://wiki.example/{WITHHELD}#impact",
        ),
        ("AIPM\\-2025\\-003\\-resume\\_screening\\_model.md", WITHHELD),
        (
            "AIPM-2025-003.json, AIPM-2025-003-like, AIPM-2025-003.",
            f"{WITHHELD}, {WITHHELD}, {WITHHELD}.",
        ),
        ("AIPM-2025-001\u2013AIPM-2025-003-x.md", f"AIPM-2025-001\u2013{WITHHELD}"),
        # shown ids, in any spelling, and other identifiers stay as written
        ("aipm-2025-001, AIPM\\-2025\\-001-refunds.md", None),
        ("CVE-2024-12345.json, GHSA-2025-003, CVE\u20112024\u201112345", None),
    ],
)
def test_a_hidden_id_is_withheld_as_it_reads(text: str, withheld: str | None) -> None:
    aggregate = aggregate_of(disclosed("AIPM-2025-001"))
    assert withhold_hidden_ids(text, aggregate) == (withheld or text)
    assert withhold_hidden_ids({"k": [text]}, aggregate) == {"k": [withheld or text]}


def test_every_unicode_dash_reads_as_a_hyphen() -> None:
    from postmortem_kit.export.text import DASHES

    dashes = {chr(c) for c in range(sys.maxunicode + 1) if unicodedata.category(chr(c)) == "Pd"}
    assert dashes <= set(DASHES) and "\u2212" in DASHES  # and the minus sign


@pytest.mark.parametrize("audience", ["internal", "restricted"])
def test_disclosure_formats_refuse_another_audience(repo: Repo, audience: str) -> None:
    for name in FORMATS:
        run = repo.run("export", "--format", name, "--audience", audience, "--output", name)
        assert run.exit_code == 2
        assert f"{name} records go to a public database" in run.err
        assert "--audience public" in run.err
        assert not (repo.path / name).exists()


# --- the output folder ----------------------------------------------------------------


def test_output_folder_is_new_empty_or_an_earlier_export(tmp_path: Path) -> None:
    aggregate = aggregate_of(disclosed("AIPM-2025-001"))
    folder = tmp_path / "out"
    folder.mkdir()
    aiid.write(aggregate, folder)  # empty: fine
    assert [p.name for p in aiid.write(aggregate, folder)] == ["AIPM-2025-001.json"]  # ours
    assert sorted(p.name for p in folder.iterdir()) == [MARKER, "AIPM-2025-001.json"]

    with pytest.raises(ExportError, match="did not write"):  # another format's folder
        avid.write(aggregate, folder)
    (folder / "notes.txt").write_text("mine")
    with pytest.raises(ExportError, match="holds notes.txt"):
        aiid.write(aggregate, folder)
    assert (folder / "notes.txt").read_text() == "mine"
    assert (folder / "AIPM-2025-001.json").exists()  # nothing removed either

    users = tmp_path / "users"
    users.mkdir()
    (users / "AIPM-2025-001.json").write_text("mine")
    with pytest.raises(ExportError, match="is not empty"):
        aiid.write(aggregate, users)
    assert (users / "AIPM-2025-001.json").read_text() == "mine"
    (tmp_path / "file").write_text("mine")
    with pytest.raises(ExportError, match="is not a folder"):
        aiid.write(aggregate, tmp_path / "file")
    (tmp_path / "link").symlink_to(tmp_path / "elsewhere", target_is_directory=True)
    with pytest.raises(ExportError, match="is a symbolic link"):
        aiid.write(aggregate, tmp_path / "link")
    assert not (tmp_path / "elsewhere").exists()


@pytest.mark.parametrize(
    "name",
    [
        "CVE-2024-12345.json",  # shaped like a record of ours
        "AIPM-2024-009.json",  # and even named after an id of ours
        ".AIPM-2024-009.json.0123456789ab.tmp",  # or like a temporary file of ours
    ],
)
def test_a_file_the_export_did_not_write_is_never_removed(tmp_path: Path, name: str) -> None:
    aggregate = aggregate_of(disclosed("AIPM-2025-001"))
    folder = tmp_path / "out"
    aiid.write(aggregate, folder)
    assert (folder / MARKER).read_text(encoding="utf-8") == "aiid\nAIPM-2025-001.json\n"
    (folder / name).write_text("mine")
    with pytest.raises(ExportError, match=f"holds {re.escape(name)}, which .* did not write"):
        aiid.write(aggregate, folder)
    assert (folder / name).read_text() == "mine"
    assert sorted(p.name for p in folder.iterdir()) == sorted([MARKER, "AIPM-2025-001.json", name])


def test_only_the_files_the_marker_lists_are_the_exports(tmp_path: Path) -> None:
    aggregate = aggregate_of(disclosed("AIPM-2025-001"))
    folder = tmp_path / "out"
    folder.mkdir()
    # an earlier version's marker names no file: what the folder holds is not ours
    (folder / MARKER).write_text("aiid\n")
    (folder / "AIPM-2024-009.json").write_text("{}")
    with pytest.raises(ExportError, match="holds AIPM-2024-009.json"):
        aiid.write(aggregate, folder)
    assert (folder / "AIPM-2024-009.json").read_text() == "{}"
    (folder / "AIPM-2024-009.json").unlink()
    aiid.write(aggregate, folder)  # the marker alone: fine, and now it lists the file
    assert (folder / MARKER).read_text() == "aiid\nAIPM-2025-001.json\n"
    # a name the format never writes is not ours, even where the marker lists it
    (folder / MARKER).write_text("aiid\nAIPM-2025-001.json\nnotes.txt\n")
    (folder / "notes.txt").write_text("mine")
    with pytest.raises(ExportError, match="holds notes.txt"):
        aiid.write(aggregate, folder)
    assert (folder / "notes.txt").read_text() == "mine"


@pytest.mark.parametrize("module", [avid, atlas, aiid], ids=FORMATS)
def test_a_postmortem_no_longer_exported_does_not_linger(tmp_path: Path, module: Any) -> None:
    kept, dropped = (
        disclosed(pm_id, references="references:\n  atlas: [AML.T0051.001]")
        for pm_id in ("AIPM-2025-001", "AIPM-2025-002")
    )
    folder = tmp_path / "out"
    assert len(module.write(aggregate_of(kept, dropped), folder)) == 2
    extension = module.FILES.extension
    # an interrupted export left a temporary file: it goes too
    (folder / f".AIPM-2025-002.{extension}.0123456789ab.tmp").write_text("half")
    (path,) = module.write(aggregate_of(kept), folder)
    assert path.name == f"AIPM-2025-001.{extension}"
    assert sorted(p.name for p in folder.iterdir()) == [MARKER, path.name]


def test_a_link_in_the_folder_is_never_followed(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from postmortem_kit.export import disclosure

    aggregate = aggregate_of(disclosed("AIPM-2025-001"))
    folder = tmp_path / "out"
    record = folder / "AIPM-2025-001.json"
    outside = tmp_path / "outside.json"
    outside.write_text("mine")
    aiid.write(aggregate, folder)
    record.unlink()
    record.symlink_to(outside)
    with pytest.raises(ExportError, match="holds AIPM-2025-001.json"):
        aiid.write(aggregate, folder)
    assert outside.read_text() == "mine" and record.is_symlink()

    # a link planted after the folder was checked is replaced, not written through
    record.unlink()
    mark_folder = disclosure.mark_folder

    def plant(*args: Any) -> Path:
        marker = mark_folder(*args)
        record.symlink_to(outside)
        return marker

    monkeypatch.setattr(disclosure, "mark_folder", plant)
    aiid.write(aggregate, folder)
    assert outside.read_text() == "mine"
    assert not record.is_symlink() and json.loads(record.read_text())["postmortem"]


def test_a_file_is_named_only_after_an_id(tmp_path: Path) -> None:
    aggregate = aggregate_of(disclosed("AIPM-2025-001").replace("id: AIPM-2025-001", "id: ../x"))
    assert only(aggregate).id == "../x"
    with pytest.raises(ExportError, match="'../x' is not an id"):
        aiid.write(aggregate, tmp_path / "out")
    assert not (tmp_path / "out").exists()  # refused before the folder was made


@pytest.mark.parametrize("name", FORMATS)
def test_a_bad_output_is_refused_before_anything_is_read(
    repo: Repo, monkeypatch: pytest.MonkeyPatch, name: str
) -> None:
    from postmortem_kit.site import content

    def unread(*args: object, **kwargs: object) -> None:
        raise AssertionError("the postmortems were read")

    monkeypatch.setattr(content, "load_published", unread)
    (repo.path / name).write_text("mine")
    run = repo.run("export", "--format", name, "--audience", "public", "--output", name)
    assert run.exit_code == 2 and "is not a folder" in run.err
    assert (repo.path / name).read_text() == "mine"
