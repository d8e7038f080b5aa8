"""What the disclosure formats (avid, atlas, aiid) share: what they read from
a postmortem, their files (`<id>.json` or `<id>.yaml` in the folder
`--output`, by the rules of `output.py`), and serialisers that treat every
value as data. The text of sections and the withholding of ids, which every
export shares, are in `text.py`.

`python -m postmortem_kit.export.disclosure` prints the mapping tables of
docs/disclosure.md from the taxonomy (a test keeps the page equal to them).
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any, NamedTuple

import yaml

from postmortem_kit.export import ExportError
from postmortem_kit.export.output import check_folder, mark_folder, replace_text
from postmortem_kit.format.dates import as_date, parse_when
from postmortem_kit.format.schema import id_pattern
from postmortem_kit.format.taxonomy import (
    AVID_LIFECYCLE_VIEW,
    AVID_RISK_DOMAINS,
    AVID_SEP_VIEW,
    Taxonomy,
)
from postmortem_kit.site.aggregate import Incident
from postmortem_kit.site.content import json_text

# An id as a file name: shaped as the schema's ids are (any prefix), nothing else.
_FILE_ID = re.compile(id_pattern("[A-Z]+"))


# --- what they read from a postmortem -----------------------------------------------


def summary(incident: Incident) -> str:
    """The Summary section, or the title where there is none."""
    return incident.postmortem.section_text("Summary") or incident.title


def incident_day(incident: Incident) -> dt.date:
    """When it happened: the day of `timeline.triggered` (T0), else `identified`."""
    triggered = parse_when(incident.postmortem.get("timeline", "triggered"))
    return as_date(triggered) if triggered else incident.identified


def texts(value: Any) -> list[str]:
    """The non-empty strings of a list, once each; [] for anything else."""
    if not isinstance(value, list):
        return []
    return list(dict.fromkeys(v.strip() for v in value if isinstance(v, str) and v.strip()))


def author_names(incident: Incident) -> list[str]:
    authors = incident.data.get("authors")
    names = (
        [a.get("name") for a in authors if isinstance(a, dict)] if isinstance(authors, list) else []
    )
    return texts(names)


def links(incident: Incident) -> list[tuple[str, str]]:
    """`references.links` as (title, url), web addresses only."""
    raw = incident.postmortem.get("references", "links")
    found = []
    for link in raw if isinstance(raw, list) else []:
        if isinstance(link, dict) and isinstance(link.get("url"), str):
            url = link["url"].strip()
            if re.match(r"https?://\S+$", url, re.IGNORECASE):
                found.append((str(link.get("title") or url).strip(), url))
    return found


def aiid_incidents(incident: Incident) -> list[int]:
    """`references.aiid`: numbers of AI Incident Database incidents, once each."""
    return [
        n for n in _references(incident, "aiid") if isinstance(n, int) and not isinstance(n, bool)
    ]


def atlas_techniques(incident: Incident) -> list[str]:
    """`references.atlas`: ids of ATLAS techniques, once each."""
    return texts(_references(incident, "atlas"))


def _references(incident: Incident, key: str) -> list[Any]:
    value = incident.postmortem.get("references", key)
    return list(dict.fromkeys(value)) if isinstance(value, list) else []


# --- their files --------------------------------------------------------------------


class RecordFiles(NamedTuple):
    """The files of a disclosure format: `<id>.<extension>`, one a record, in
    the folder `--output`, which `output.py` checks and marks."""

    format_name: str
    extension: str  # "json" or "yaml": also the serialiser (SERIALISERS)

    def check_output(self, output: Path) -> None:
        check_folder(output, self.format_name, self.is_own)

    def write(self, output: Path, records: dict[str, Any]) -> list[Path]:
        """A file for each record (by postmortem id) in the folder `output`;
        the files of an earlier export that are not written again are removed,
        so a postmortem no longer disclosed does not linger."""
        serialise = SERIALISERS[self.extension]
        files = {self.file_name(pm_id): serialise(record) for pm_id, record in records.items()}
        mark_folder(output, self.format_name, self.is_own, files)
        return [replace_text(output / name, text) for name, text in files.items()]

    def file_name(self, pm_id: str) -> str:
        """`<id>.<extension>`, after checking that the id cannot be a path."""
        if not _FILE_ID.fullmatch(pm_id):
            raise ExportError(
                f"'{pm_id}' is not an id like AIPM-2025-001: no file is named after it"
            )
        return f"{pm_id}.{self.extension}"

    def is_own(self, name: str) -> bool:
        """Whether `name` could be one of this format's files; which are is the
        marker's to say (`output.check_folder`): a user's `CVE-2024-12345.json`
        has such a name too."""
        stem, dot, extension = name.rpartition(".")
        return bool(dot and extension == self.extension and _FILE_ID.fullmatch(stem))


# --- serialisers --------------------------------------------------------------------


def json_record(record: Any) -> str:
    """JSON, indented, escaped as `site.content.json_text` escapes it."""
    return json_text(record, indent=2) + "\n"


class _Dumper(yaml.SafeDumper):
    """Plain YAML: only the safe types, and no anchors or aliases."""

    def ignore_aliases(self, data: Any) -> bool:
        return True


def _text(dumper: yaml.SafeDumper, value: str) -> yaml.ScalarNode:
    """Text of several lines as a literal block, where YAML allows one."""
    return dumper.represent_scalar(
        "tag:yaml.org,2002:str", value, style="|" if "\n" in value else None
    )


_Dumper.add_representer(str, _text)


def yaml_text(record: Any) -> str:
    """YAML by the serialiser, never a template: every value is quoted as it needs."""
    return yaml.dump(
        record, Dumper=_Dumper, allow_unicode=True, sort_keys=False, width=100, indent=2
    )


# a record's file extension -> what writes it
SERIALISERS: dict[str, Callable[[Any], str]] = {"json": json_record, "yaml": yaml_text}


# --- the mapping tables of docs/disclosure.md ---------------------------------------


def mapping_tables(taxonomy: Taxonomy) -> str:
    """The taxonomy's mappings as Markdown tables."""
    rows = [
        "| incident type | AVID risk domain | AVID SEP view |",
        "|---|---|---|",
    ]
    for slug in taxonomy.incident_types:
        codes = taxonomy.avid_sep_view.get(slug, ())
        domains = dict.fromkeys(AVID_RISK_DOMAINS[code[0]] for code in codes)
        sep = ", ".join(f"{code} {AVID_SEP_VIEW[code]}" for code in codes)
        rows.append(f"| `{slug}` | {', '.join(domains) or '—'} | {sep or '—'} |")
    rows += ["", "| root-cause pattern | AVID lifecycle view |", "|---|---|"]
    for slug in taxonomy.patterns:
        codes = taxonomy.avid_lifecycle_view.get(slug, ())
        stages = ", ".join(f"{code} {AVID_LIFECYCLE_VIEW[code]}" for code in codes)
        rows.append(f"| `{slug}` | {stages or '—'} |")
    rows += ["", "| ATLAS technique | name | tactic of its step |", "|---|---|---|"]
    for technique in taxonomy.atlas_techniques.values():
        tactic = f"{technique.tactic} {taxonomy.atlas_tactics[technique.tactic]}"
        rows.append(f"| `{technique.id}` | {technique.label} | {tactic} |")
    return "\n".join(rows) + "\n"


if __name__ == "__main__":
    from postmortem_kit.format.taxonomy import load_taxonomy

    print(mapping_tables(load_taxonomy()), end="")
