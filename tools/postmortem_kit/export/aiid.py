"""AI Incident Database: one submission record (JSON) per disclosed postmortem,
with the fields AIID's form asks for a new incident.

What the postmortem says is filled in; what it cannot know (where the report
is published, who submits it, the organisations behind the system, who was
harmed, in AIID's own words) is left empty, and `to_fill_in` says why, field
by field. docs/disclosure.md has the table.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from postmortem_kit.export.disclosure import (
    RecordFiles,
    aiid_incidents,
    author_names,
    incident_day,
    summary,
)
from postmortem_kit.export.text import HiddenIds, narrative, withhold_hidden_ids
from postmortem_kit.lint.rules.body import SECTIONS_IN_FINAL
from postmortem_kit.site.aggregate import Aggregate, Incident

RECORD_VERSION = 1
FILES = RecordFiles("aiid", "json")

# The sections that make the report's text, in the order of a final
# postmortem's: all but how the incident was communicated and is monitored.
TEXT_SECTIONS = tuple(s for s in SECTIONS_IN_FINAL if s not in ("Communication", "Monitoring"))

# AIID's limits on a new incident's fields (its submission form).
TEXT_LENGTH = (80, 50_000)
DESCRIPTION_LENGTH = 200
LIST_ITEM_LENGTH = (3, 200)

# Fields no postmortem can fill, and what the submitter puts there.
TO_FILL_IN = {
    "url": "the address where this postmortem is published; AIID requires it",
    "source_domain": "the domain of `url`",
    "date_published": "the day the postmortem was published at `url` (YYYY-MM-DD)",
    "submitters": "your name, as AIID should show it",
    "deployers": "the organisation that ran the AI system (the format does not record it)",
    "developers": "the organisations that built the AI system or its model",
    "harmed_parties": "who was harmed or nearly harmed, in AIID's terms; the Impact section says",
    "language": "the language of `text`, as a code such as en",
}


def check_output(output: Path) -> None:
    FILES.check_output(output)


def write(aggregate: Aggregate, output: Path) -> list[Path]:
    """`<id>.json` in the folder `output`, one per postmortem of `aggregate`."""
    check_output(output)
    return FILES.write(output, {i.id: submission(aggregate, i) for i in aggregate.incidents})


def submission(aggregate: Aggregate, incident: Incident) -> dict[str, Any]:
    """The submission record of `incident`, with what is left to fill in."""
    to_fill_in = dict(TO_FILL_IN)
    # AIID's limits are on what it gets: hidden ids withheld (WITHHELD is
    # longer than an id) before a length is measured or a sentence cut
    hidden = HiddenIds.of(aggregate)
    text = hidden.withhold(narrative(incident.postmortem, TEXT_SECTIONS) or summary(incident))
    fewest, most = TEXT_LENGTH
    if not fewest <= len(text) <= most:
        to_fill_in["text"] = (
            f"the narrative is {len(text):,} characters; AIID takes {fewest} to {most:,}"
        )
    description = _description(hidden.withhold(summary(incident)))
    if not description:
        to_fill_in["description"] = (
            f"one or two sentences, at most {DESCRIPTION_LENGTH} characters: "
            "the summary's first sentence is longer"
        )
    authors = [a for a in map(hidden.withhold, author_names(incident)) if _fits(a)]
    if not authors:
        to_fill_in["authors"] = "the postmortem's authors, or the organisation publishing it"
    types = aggregate.taxonomy.incident_types
    record = {
        "version": RECORD_VERSION,
        "postmortem": incident.id,
        "submission": {
            "title": incident.title,
            "text": text,
            "url": "",
            "source_domain": "",
            "authors": authors,
            "submitters": [],
            "date_published": "",
            "date_downloaded": aggregate.today.isoformat(),
            "incident_id": None,  # a new incident
            "incident_date": incident_day(incident).isoformat(),
            "description": description,
            "deployers": [],
            "developers": [],
            "harmed_parties": [],
            "tags": [types[t].label if t in types else t for t in incident.types],
            "language": "",
            "editor_similar_incidents": aiid_incidents(incident),
        },
        "to_fill_in": dict(sorted(to_fill_in.items())),
    }
    return withhold_hidden_ids(record, hidden)


def _description(text: str) -> str:
    """The first sentences of `text` that fit AIID's description, on one line."""
    paragraph = " ".join(re.split(r"\n\s*\n", text.strip(), maxsplit=1)[0].split())
    description = ""
    for sentence in re.split(r"(?<=[.!?])\s+", paragraph):
        longer = f"{description} {sentence}".strip()
        if len(longer) > DESCRIPTION_LENGTH:
            break
        description = longer
    return description if len(description) >= LIST_ITEM_LENGTH[0] else ""


def _fits(value: str) -> bool:
    fewest, most = LIST_ITEM_LENGTH
    return fewest <= len(value) <= most
