"""MITRE ATLAS: one case study (YAML) per disclosed postmortem that names
ATLAS techniques, in the shape the ATLAS website takes for a new case study
(`study`, and our own `meta`).

A case study is a procedure: the postmortem's `references.atlas` techniques,
each with the tactic the taxonomy file gives it, in the order of ATLAS's
matrix. A postmortem without ATLAS techniques has no procedure and gets no
case study. docs/disclosure.md says what each field holds.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from postmortem_kit.export import ExportError
from postmortem_kit.export.disclosure import (
    RecordFiles,
    atlas_techniques,
    incident_day,
    links,
    summary,
    texts,
)
from postmortem_kit.export.text import withhold_hidden_ids
from postmortem_kit.format.taxonomy import AtlasTechnique, Taxonomy
from postmortem_kit.format.vocabulary import NEAR_MISS, slug
from postmortem_kit.site.aggregate import Aggregate, Incident

# A near-miss found by testing is an ATLAS `exercise`; anything else an
# `incident`. Found by testing: `timeline.detection_method` speaks of it, or a
# tag says so (tags compared as slugs: "Red team" is `red-team`).
EXERCISE_TAGS = ("red-team", "red-teaming", "exercise", "testing", "pentest", "penetration-test")
FOUND_BY_TESTING = re.compile(
    r"\b(red[- ]?team\w*|pen(etration)?[- ]?test\w*|exercise|testing|tests?|tested|"
    r"evaluation|eval|audit|bug bounty)\b",
    re.IGNORECASE,
)

ACTOR = "Unknown"  # who attacked is not a field of the format
FILES = RecordFiles("atlas", "yaml")


def check_output(output: Path) -> None:
    FILES.check_output(output)


def write(aggregate: Aggregate, output: Path) -> list[Path]:
    """`<id>.yaml` in the folder `output`, one per postmortem with ATLAS techniques."""
    check_output(output)
    studies = {i.id: case_study(aggregate, i) for i in aggregate.incidents if atlas_techniques(i)}
    return FILES.write(output, studies)


def case_study(aggregate: Aggregate, incident: Incident) -> dict[str, Any]:
    """The case study of `incident`: `meta` (ours) and `study` (ATLAS's fields)."""
    procedure = [
        {
            "tactic": technique.tactic,
            "technique": technique.id,
            "description": f"{technique.label}: see the summary for how it was used.",
        }
        for technique in _procedure(aggregate.taxonomy, incident)
    ]
    study = {
        "name": incident.title,
        "object-type": "case-study",
        "summary": summary(incident),
        "incident-date": incident_day(incident).isoformat(),
        "incident-date-granularity": "DATE",
        "procedure": procedure,
        "reporter": str(incident.data.get("reported_by") or "").strip() or "Unknown",
        "target": ", ".join(incident.systems) or "Unknown",
        "actor": ACTOR,
        "case-study-type": case_study_type(incident),
        "references": [{"title": title, "url": url} for title, url in links(incident)],
    }
    meta = {
        "postmortem": incident.id,
        "exported-by": "postmortem-kit (postmortem export --format atlas)",
        "to-fill-in": {
            "actor": "who carried out the attack or exercise; the postmortem does not say",
            "procedure": (
                "each step names its technique and tactic; describe what the actor did there"
            ),
            "reporter": "the postmortem's reported_by; put the organisation's name if it differs",
        },
    }
    return withhold_hidden_ids({"meta": meta, "study": study}, aggregate)


def case_study_type(incident: Incident) -> str:
    """`exercise` for a near-miss found by testing, else `incident`."""
    if incident.severity != NEAR_MISS:
        return "incident"
    method = incident.postmortem.get("timeline", "detection_method")
    tags = {slug(tag) for tag in texts(incident.data.get("tags"))}
    tested = isinstance(method, str) and FOUND_BY_TESTING.search(method[:1000])
    return "exercise" if tested or tags & set(EXERCISE_TAGS) else "incident"


def _procedure(taxonomy: Taxonomy, incident: Incident) -> list[AtlasTechnique]:
    """The techniques, each known to the taxonomy, in the order of their tactics."""
    steps = []
    for technique_id in atlas_techniques(incident):
        technique = taxonomy.atlas_techniques.get(technique_id)
        if technique is None:
            raise ExportError(
                f"{incident.postmortem.path}: ATLAS technique {technique_id[:40]} has no tactic "
                "in the taxonomy file: add it under `atlas.techniques` with its tactic "
                "from atlas.mitre.org (see docs/disclosure.md)"
            )
        steps.append(technique)
    order = list(taxonomy.atlas_tactics)
    return sorted(steps, key=lambda t: order.index(t.tactic))
