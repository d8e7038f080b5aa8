"""`--format sqlite`: a SQLite database of the tables (`tables.py`), built
with sqlite-utils, and a Datasette metadata file beside it.

The database has the six tables with their primary and foreign keys, the
taxonomy's tables (a slug's label, for joins and for Datasette), lists as
JSON arrays (`json_each` reads them), booleans as 0 and 1, and full-text
search (FTS5, Porter stemming) over the title, summary and narrative of each
postmortem in `postmortems_fts`. `PRAGMA application_id` marks it as ours,
so a later export may replace it and nothing else.

The metadata file, `<name>.metadata.json` for `<name>.db`, gives Datasette
the tables' and columns' descriptions, facets, the taxonomy's labels for
slugs, and the two queries of docs/exports.md. Every text in it is plain
text, which Datasette escapes; it has no `*_html` key, no URL and no script.
"""

from __future__ import annotations

import json
import sqlite3
import tempfile
from pathlib import Path
from typing import Any

import sqlite_utils
from sqlite_utils.db import quote_identifier

from postmortem_kit.export import ExportError
from postmortem_kit.export.output import check_file, replace_file, replace_text
from postmortem_kit.export.tables import (
    BOOLEAN,
    INTEGER,
    LIST,
    REAL,
    Table,
    tables,
    taxonomy_tables,
)
from postmortem_kit.site.aggregate import Aggregate

APPLICATION_ID = 0x504D4B31  # "PMK1" in the database header: an export of ours
SCHEMA_VERSION = 1  # PRAGMA user_version: bumped when a table or column changes
SOURCE = "postmortem export"  # the metadata's `source`; marks a metadata file of ours
SEARCHED = ("title", "summary", "narrative")
TITLE = "AI incident postmortems"

_SQL_TYPES: dict[str, type] = {INTEGER: int, REAL: float, BOOLEAN: int, LIST: str}

# Analysts' questions, answered in one query each (docs/exports.md shows them too).
QUERIES = {
    "patterns_by_system": {
        "title": "Which root-cause patterns recur on which systems",
        "description": "Each system and root-cause pattern found in more than one "
        "postmortem, most frequent first.",
        "sql": """\
select system.value as system, pattern.label as pattern,
  count(distinct p.id) as postmortems, group_concat(distinct p.id) as ids
from postmortems p
  join json_each(p.systems) system
  join root_causes cause on cause.postmortem = p.id
  join taxonomy_patterns pattern on pattern.slug = cause.pattern
group by system.value, cause.pattern
having count(distinct p.id) > 1
order by postmortems desc, system, pattern""",
    },
    "recurred_after_fix": {
        "title": "Patterns that came back on a system after an action fixed them",
        "description": "A done action addressed a pattern; a later postmortem on the "
        "same system found that pattern again.",
        "sql": """\
select system.value as system, action.addresses_pattern as pattern,
  action.postmortem as fixed_in, action.id as action, action.closed,
  later.id as recurred_in, later.identified
from (select a.*, addressed.value as addresses_pattern
      from actions a join json_each(a.addresses) addressed
      where a.status = 'done') action
  join postmortems fixed on fixed.id = action.postmortem
  join json_each(fixed.systems) system
  join root_causes cause on cause.pattern = action.addresses_pattern
    and cause.postmortem <> action.postmortem
  join postmortems later on later.id = cause.postmortem
    and date(later.identified) > date(coalesce(action.closed, action.due))
  join json_each(later.systems) later_system on later_system.value = system.value
group by system.value, action.addresses_pattern, action.postmortem, action.id, later.id
order by system, pattern, later.identified""",
    },
}

_FACETS = {
    "postmortems": [
        "severity",
        "status",
        {"array": "incident_types"},
        {"array": "patterns"},
        {"array": "systems"},
        "quarter",
    ],
    "actions": ["status", "priority", "overdue", "owner"],
    "root_causes": ["lens", "pattern", "root_cause"],
    "controls": ["catalog"],
    "approvals": ["role"],
    "references": ["kind"],
}


def check_output(output: Path) -> None:
    check_file(output, "database", is_earlier_export)
    check_file(metadata_file(output), "Datasette metadata file", is_earlier_metadata)


def write(aggregate: Aggregate, output: Path) -> list[Path]:
    check_output(output)
    metadata_path = metadata_file(output)
    every_table = taxonomy_tables(aggregate.taxonomy) + tables(aggregate)
    try:
        replace_file(output, lambda path: build(every_table, path))
    except ExportError as e:  # say which database, not the temporary file's name
        raise ExportError(f"{output}: {e}") from None
    text = json.dumps(metadata(every_table, _database_name(output)), indent=2, ensure_ascii=False)
    replace_text(metadata_path, text + "\n")
    return [output, metadata_path]


def metadata_file(database: Path) -> Path:
    """`postmortems.metadata.json` beside `postmortems.db`."""
    return database.with_name(f"{_database_name(database)}.metadata.json")


def _database_name(database: Path) -> str:
    """The database's name in Datasette: its file name without the suffix."""
    return database.stem


def database_bytes(aggregate: Aggregate) -> bytes:
    """The database as bytes, for the site's download."""
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "incidents.db"
        build(taxonomy_tables(aggregate.taxonomy) + tables(aggregate), path)
        return path.read_bytes()


def build(every_table: list[Table], path: Path) -> None:
    """Write the tables to a new database at `path` (an empty file or none)."""
    connection = sqlite3.connect(path)
    try:
        # a new file, renamed into place only when whole: no journal needed
        connection.execute("PRAGMA journal_mode = OFF")
        connection.execute("PRAGMA synchronous = OFF")
        connection.execute(f"PRAGMA application_id = {APPLICATION_ID}")
        connection.execute(f"PRAGMA user_version = {SCHEMA_VERSION}")
        db = sqlite_utils.Database(connection)
        for table in every_table:
            _add_table(db, table)
        db.table("postmortems").enable_fts(list(SEARCHED), tokenize="porter")
        connection.commit()
    except sqlite3.Error as e:
        raise ExportError(f"cannot write the database: {e}") from None
    finally:
        connection.close()


def _add_table(db: sqlite_utils.Database, table: Table) -> None:
    db.table(table.name).create(
        {c.name: _SQL_TYPES.get(c.type, str) for c in table.columns},
        pk=table.primary_key[0] if len(table.primary_key) == 1 else table.primary_key,
        foreign_keys=[(k.column, k.table, k.other_column) for k in table.foreign_keys],
        not_null=table.primary_key,
    )
    lists = [i for i, c in enumerate(table.columns) if c.type == LIST]
    booleans = [i for i, c in enumerate(table.columns) if c.type == BOOLEAN]

    def values(row: list[Any]) -> list[Any]:
        row = list(row)
        for i in lists:
            row[i] = json.dumps(row[i], ensure_ascii=False)
        for i in booleans:
            row[i] = None if row[i] is None else int(row[i])
        return row

    # The rows go in with one prepared statement: sqlite-utils' insert_all
    # inspects every value again, which took 1.4 s of 2.2 s at 5,000 postmortems.
    names = ", ".join(quote_identifier(name) for name in table.column_names)
    marks = ", ".join("?" for _ in table.columns)
    db.conn.executemany(
        f"INSERT INTO {quote_identifier(table.name)} ({names}) VALUES ({marks})",
        (values(row) for row in table.rows),
    )


def metadata(every_table: list[Table], database: str) -> dict[str, Any]:
    """Datasette's metadata: descriptions, facets and labels, as plain text."""
    described: dict[str, Any] = {}
    for table in every_table:
        entry: dict[str, Any] = {
            "description": table.description,
            "columns": {c.name: _describe(c.type, c.description) for c in table.columns},
        }
        if table.name in _FACETS:
            entry["facets"] = _FACETS[table.name]
        if table.name == "postmortems":
            entry |= {"label_column": "title", "sort_desc": "identified"}
        elif table.name.startswith("taxonomy_"):
            entry["label_column"] = "label"
        described[table.name] = entry
    return {
        "title": TITLE,
        "source": SOURCE,
        "databases": {
            database: {
                "title": TITLE,
                "description": "Postmortems of AI incidents: one row per postmortem in "
                "`postmortems`, and its actions, root causes, controls, approvals and "
                "references in tables keyed by the postmortem's id.",
                "tables": described,
                "queries": QUERIES,
            }
        },
    }


def _describe(kind: str, description: str) -> str:
    if kind == LIST:
        return f"{description} (a JSON array)"
    if kind == BOOLEAN:
        return f"{description} (1 true, 0 false)"
    return description


def is_earlier_export(path: Path) -> bool:
    """Whether the file is a SQLite database with our application id."""
    with path.open("rb") as stream:
        header = stream.read(72)
    return (
        header[:16] == b"SQLite format 3\x00"
        and int.from_bytes(header[68:72], "big") == APPLICATION_ID
    )


def is_earlier_metadata(path: Path) -> bool:
    """Whether the file is metadata an export of ours wrote."""
    try:
        data = json.loads(path.read_bytes()[:10_000_000])
    except ValueError:
        return False
    return isinstance(data, dict) and data.get("source") == SOURCE
