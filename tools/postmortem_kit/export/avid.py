"""AVID: one report (JSON) per disclosed postmortem, built and validated with
avidtools' `Report` model (the `avid` extra: pip install 'postmortem-kit[avid]').

The classification comes from the taxonomy file: an incident type's SEP view
codes (and from their letters the risk domains), a root-cause pattern's
lifecycle stages. docs/disclosure.md has the tables and says what each field
holds.
"""

from __future__ import annotations

import warnings
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from postmortem_kit.export import ExportError
from postmortem_kit.export.disclosure import (
    RecordFiles,
    aiid_incidents,
    atlas_techniques,
    author_names,
    links,
    summary,
    texts,
)
from postmortem_kit.export.text import withhold_hidden_ids
from postmortem_kit.format.taxonomy import (
    AVID_LIFECYCLE_VIEW,
    AVID_RISK_DOMAINS,
    AVID_SEP_VIEW,
    AVID_TAXONOMY_VERSION,
)
from postmortem_kit.site.aggregate import Aggregate, Incident

LANGUAGE = "eng"  # AVID's LangValue: the narrative is taken as written, in English
AIID_CITE = "https://incidentdatabase.ai/cite/{}"
ATLAS_TECHNIQUE = "https://atlas.mitre.org/techniques/{}"
FILES = RecordFiles("avid", "json")


def check_output(output: Path) -> None:
    FILES.check_output(output)


def write(aggregate: Aggregate, output: Path) -> list[Path]:
    """`<id>.json` in the folder `output`, one per postmortem of `aggregate`."""
    check_output(output)
    model = report_model()
    reports = {i.id: validated(model, report(aggregate, i), i) for i in aggregate.incidents}
    return FILES.write(output, reports)


def report(aggregate: Aggregate, incident: Incident) -> dict[str, Any]:
    """The AVID report of `incident`, as plain data (validated by `validated`)."""
    taxonomy = aggregate.taxonomy
    sep_view = _codes(  # of every incident type
        incident,
        incident.types,
        taxonomy.avid_sep_view,
        AVID_SEP_VIEW,
        "incident type",
        "sep_view: [E0402]",
    )
    lifecycle_view = _codes(  # of every root cause's pattern, contributing ones too
        incident,
        incident.patterns,
        taxonomy.avid_lifecycle_view,
        AVID_LIFECYCLE_VIEW,
        "root-cause pattern",
        "lifecycle_view: [L06]",
    )
    credit = author_names(incident) or texts([incident.data.get("reported_by")])
    record: dict[str, Any] = {  # no `metadata`: AVID gives the report its id
        "data_type": "AVID",
        "data_version": AVID_TAXONOMY_VERSION,
        "affects": {
            "developer": [],  # organisations the format does not record: the submitter's
            "deployer": [],
            "artifacts": [{"type": "System", "name": system} for system in incident.systems],
        },
        "problemtype": {
            "classof": "Undefined",  # neither an AIID incident nor an ATLAS case study
            "type": "Issue",
            "description": {"lang": LANGUAGE, "value": incident.title},
        },
        "metrics": [],
        "references": _references(incident),
        "description": {"lang": LANGUAGE, "value": summary(incident)},
        "impact": {
            "avid": {
                "vuln_id": None,
                "risk_domain": list(dict.fromkeys(AVID_RISK_DOMAINS[c[0]] for c in sep_view)),
                "sep_view": [f"{code}: {AVID_SEP_VIEW[code]}" for code in sep_view],
                "lifecycle_view": [f"{c}: {AVID_LIFECYCLE_VIEW[c]}" for c in lifecycle_view],
                "taxonomy_version": AVID_TAXONOMY_VERSION,
            }
        },
        "reported_date": aggregate.today.isoformat(),
    }
    if credit:
        record["credit"] = [{"lang": LANGUAGE, "value": name} for name in credit]
    return withhold_hidden_ids(record, aggregate)


def _codes(
    incident: Incident,
    slugs: list[str],
    mapping: Mapping[str, tuple[str, ...]],
    view: dict[str, str],
    what: str,
    example: str,
) -> list[str]:
    """The codes `mapping` gives the incident's `slugs` (types or patterns),
    once each, in the order of AVID's `view`; an ExportError for an unmapped one."""
    codes: set[str] = set()
    for slug in slugs:
        mapped = mapping.get(slug)
        if not mapped:
            raise ExportError(
                f"{incident.postmortem.path}: {what} '{slug}' has no AVID mapping: add "
                f"`avid: {{{example}}}` to its entry in the taxonomy file (see docs/disclosure.md)"
            )
        codes.update(mapped)
    return [code for code in view if code in codes]


def _references(incident: Incident) -> list[dict[str, Any]]:
    found = [{"type": "source", "label": title, "url": url} for title, url in links(incident)]
    found += [
        {
            "type": "source",
            "label": f"AI Incident Database incident {n}",
            "url": AIID_CITE.format(n),
        }
        for n in aiid_incidents(incident)
    ]
    found += [
        {"type": "source", "label": f"MITRE ATLAS {t}", "url": ATLAS_TECHNIQUE.format(t)}
        for t in atlas_techniques(incident)
    ]
    return found


# --- avidtools ----------------------------------------------------------------------


def report_model() -> Any:
    """avidtools' `Report`; an ExportError that says how to install it."""
    try:
        with warnings.catch_warnings():  # avidtools 0.1 declares pydantic-1 style configs
            warnings.simplefilter("ignore")
            from avidtools.datamodels.report import Report  # type: ignore[import-untyped]
    except ImportError:
        raise ExportError(
            "the avid format validates every report with avidtools: "
            "pip install 'postmortem-kit[avid]'"
        ) from None
    if not hasattr(Report, "model_validate"):
        raise ExportError(
            "the avid format needs avidtools with pydantic 2 (pip install 'pydantic>=2')"
        )
    return Report


def validated(model: Any, record: dict[str, Any], incident: Incident) -> dict[str, Any]:
    """`record` as avidtools' `Report` reads and writes it, or an ExportError.

    Pydantic drops keys a model does not have and converts values, so the
    report avidtools writes back must be the record itself: nothing lost.
    """
    try:
        dumped: dict[str, Any] = model.model_validate(record).model_dump(
            mode="json", exclude_unset=True
        )
    except ValueError as e:  # pydantic's ValidationError is a ValueError
        raise ExportError(
            f"{incident.postmortem.path}: avidtools rejects the report: {e}"
        ) from None
    if dumped != record:
        raise ExportError(
            f"{incident.postmortem.path}: avidtools' Report does not hold the report as built; "
            "is avidtools newer than this export knows?"
        )
    return dumped
