"""`--format csv`: a folder with one CSV file per table (`tables.py`).

UTF-8 without a byte-order mark, every cell quoted, lines ending in LF, a
header row of the column names. Keys join the files: `postmortems.id` is the
`postmortem` column of the others. An empty cell is a value not given; a
boolean is `true` or `false`; a list is one cell of its items joined by `;`,
with `\\` and `;` inside an item escaped by a backslash. A text cell that a
spreadsheet would run as a formula gets a leading `'` (`spreadsheet_safe`), and
so does each item of a list, and each part of an item after a `;`.
"""

from __future__ import annotations

# An absolute import: `csv` here is the standard library's, never this module
# (Python 3 has no implicit relative imports; tests/test_export_tables.py checks).
import csv
import io
from pathlib import Path
from typing import TextIO

from postmortem_kit.export.output import check_folder, mark_folder, replace_text
from postmortem_kit.export.tables import BOOLEAN, LIST, TABLE_NAMES, Table, Value, tables
from postmortem_kit.site.action_reports import spreadsheet_safe
from postmortem_kit.site.aggregate import Aggregate

FORMAT = "csv"
FILE_NAMES = tuple(f"{name}.csv" for name in TABLE_NAMES)


def check_output(output: Path) -> None:
    check_folder(output, FORMAT, _is_own)


def write(aggregate: Aggregate, output: Path) -> list[Path]:
    check_output(output)
    texts = {f"{table.name}.csv": table_csv(table) for table in tables(aggregate)}
    mark_folder(output, FORMAT, _is_own, texts)
    return [replace_text(output / name, text) for name, text in texts.items()]


def _is_own(name: str) -> bool:
    return name in FILE_NAMES


def table_csv(table: Table) -> str:
    """The table as CSV text (also the site's `incidents.csv`)."""
    out = io.StringIO()
    write_table(table, out)
    return out.getvalue()


def write_table(table: Table, out: TextIO) -> None:
    # Every cell quoted: Python's writer leaves a carriage return inside a cell
    # unquoted when lines end in "\n", and readers then split the row.
    writer = csv.writer(out, lineterminator="\n", quoting=csv.QUOTE_ALL)
    writer.writerow(table.column_names)
    types = [c.type for c in table.columns]
    writer.writerows(
        [cell(value, kind) for value, kind in zip(row, types, strict=True)] for row in table.rows
    )


def cell(value: Value, kind: str) -> str:
    """One value as the text of a cell."""
    if value is None:
        return ""
    if kind == BOOLEAN or isinstance(value, bool):
        return "true" if value else "false"
    if kind == LIST or isinstance(value, list):
        items = value if isinstance(value, list) else [str(value)]
        value = ";".join(_list_item(i) for i in items)
    if isinstance(value, float) and value.is_integer():
        return str(int(value))  # 30, not 30.0
    text = spreadsheet_safe(value)
    return text if isinstance(text, str) else str(text)


def _list_item(item: str) -> str:
    """An item of a list cell: each of its parts between `;`s made safe as a
    cell is (`spreadsheet_safe`: a spreadsheet that splits the cell at `;` gets
    no formula either), then `\\` and `;` escaped, as `split_list` reads them."""
    safe = ";".join(str(spreadsheet_safe(part)) for part in item.split(";"))
    return safe.replace("\\", "\\\\").replace(";", "\\;")


def split_list(text: str) -> list[str]:
    """A list cell's items again: the reverse of `cell` for a list (an item
    that `cell` neutralised keeps its `'`)."""
    items, item, escaped = [], "", False
    for char in text:
        if escaped:
            item, escaped = item + char, False
        elif char == "\\":
            escaped = True
        elif char == ";":
            items.append(item)
            item = ""
        else:
            item += char
    return [*items, item] if text else []
