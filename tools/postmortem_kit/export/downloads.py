"""The files a site offers for download next to `incidents.json`, for the
build's audience: `incidents.csv` (the `postmortems` table of the csv export)
and, if asked, `incidents.db` (the sqlite export's database)."""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # `postmortem pages` reads DOWNLOADS as every command starts
    from postmortem_kit.site.aggregate import Aggregate

# option value -> the file it publishes
DOWNLOADS = {"csv": "incidents.csv", "sqlite": "incidents.db"}


def download_files(aggregate: Aggregate, kinds: Iterable[str]) -> dict[str, bytes]:
    """Each file of `kinds` (keys of DOWNLOADS) by its name."""
    # imported here: a site without downloads does not load sqlite-utils
    from postmortem_kit.export.csv import table_csv
    from postmortem_kit.export.sqlite import database_bytes
    from postmortem_kit.export.tables import postmortems_table

    files: dict[str, bytes] = {}
    for kind in dict.fromkeys(kinds):
        if kind == "csv":
            files[DOWNLOADS[kind]] = table_csv(postmortems_table(aggregate)).encode("utf-8")
        elif kind == "sqlite":
            files[DOWNLOADS[kind]] = database_bytes(aggregate)
        else:
            raise ValueError(f"unknown download '{kind}'; use one of {', '.join(DOWNLOADS)}")
    return files
