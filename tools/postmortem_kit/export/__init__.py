"""Exports: what an audience may read, in the formats tools outside the
repository take. Every format starts from `site.content.load_published`, so an
export never holds a postmortem, or an id, that the same audience's site
would not show.

Each format is a module of this package with `check_output(output)`, which
refuses a path before anything is read, and `write(aggregate, output) ->
list[Path]`; `FORMATS` lists them. No format writes inside the postmortems
folder (`output.check_outside`): the site publishes what a postmortem links
to. Where and how every format writes is `output.py`'s to say; the text
every format takes from a postmortem is in `text.py`. The disclosure formats
(records for public databases) take only postmortems that are public and
marked for disclosure; what they share is in `disclosure.py`.
"""

from __future__ import annotations

import datetime as dt
import importlib
from pathlib import Path
from typing import TYPE_CHECKING, NamedTuple

from postmortem_kit.format.vocabulary import PUBLIC

if TYPE_CHECKING:  # the CLI reads FORMATS on every command: the rest loads on export
    from postmortem_kit.repository import Repository
    from postmortem_kit.site.aggregate import Incident

# format -> what it writes, for --help
FORMATS = {
    "csv": "a folder with one CSV file per table",
    "jsonl": "one file, one postmortem per line",
    "sqlite": "a SQLite database with full-text search, and Datasette metadata",
    "avid": "one AVID report (JSON) per disclosed postmortem",
    "atlas": "one MITRE ATLAS case study (YAML) per disclosed postmortem",
    "aiid": "one AI Incident Database submission per disclosed postmortem",
}
DISCLOSURE_FORMATS = ("avid", "atlas", "aiid")


class ExportError(Exception):
    """The export cannot be made; the message says why and what to do."""


class Exported(NamedTuple):
    files: list[Path]
    postmortems: int
    warnings: list[str]


def is_disclosed(incident: Incident) -> bool:
    """Public, and marked for public disclosure: what public databases may get."""
    disclosure = incident.data.get("disclosure")
    return (
        incident.data.get("visibility") == PUBLIC
        and isinstance(disclosure, dict)
        and disclosure.get("public") is True
    )


def export(
    repository: Repository,
    format_name: str,
    output: Path,
    audience: str,
    today: dt.date | None = None,
) -> Exported:
    """Write `format_name` for `audience` to `output`."""
    from postmortem_kit.format.collection import Collection
    from postmortem_kit.site.aggregate import Aggregate
    from postmortem_kit.site.content import load_published

    if format_name not in FORMATS:
        raise ExportError(f"unknown format '{format_name}'; use one of {', '.join(FORMATS)}")
    if format_name in DISCLOSURE_FORMATS and audience != PUBLIC:
        raise ExportError(
            f"{format_name} records go to a public database: export them with "
            f"--audience {PUBLIC}, which takes only postmortems with `visibility: public` "
            "and `disclosure.public: true`"
        )
    from postmortem_kit.export.output import check_outside

    # before the postmortems are read: what the postmortems folder holds, a
    # postmortem may link to, and the site publishes what they link to
    check_outside(output, repository.postmortems_dir, "the postmortems folder")
    module = importlib.import_module(f"{__name__}.{format_name}")
    module.check_output(output)
    published = load_published(repository, audience, today)
    aggregate = published.aggregate
    if format_name in DISCLOSURE_FORMATS:  # and links only between those
        disclosed = [i.postmortem for i in aggregate.incidents if is_disclosed(i)]
        aggregate = Aggregate.of(
            Collection(disclosed), aggregate.taxonomy, PUBLIC, aggregate.today, aggregate.history
        )
    files: list[Path] = module.write(aggregate, output)
    return Exported(files, len(aggregate.incidents), published.warnings)
