"""The `actions` command's listings: a table for people, CSV and JSON for tools."""

from __future__ import annotations

import csv
import datetime as dt
import json
from typing import TextIO

from postmortem_kit.site.aggregate import Action

ACTION_FIELDS = [
    "postmortem",
    "id",
    "description",
    "owner",
    "priority",
    "due",
    "status",
    "overdue",
    "addresses",
    "tracker",
    "path",
]


def _action_record(action: Action, today: dt.date) -> dict[str, object]:
    return {
        "postmortem": action.incident.id,
        "id": action.id,
        "description": action.description,
        "owner": action.owner,
        "priority": action.priority,
        "due": action.due.isoformat() if action.due else None,
        "status": action.status,
        "overdue": action.overdue(today),
        "addresses": action.addresses,
        "tracker": action.tracker or None,
        "path": action.incident.postmortem.path,
    }


def actions_table(actions: list[Action], today: dt.date, out: TextIO) -> None:
    rows = [("DUE", "STATUS", "OWNER", "POSTMORTEM", "ACTION", "DESCRIPTION")]
    for a in actions:
        due = (a.due.isoformat() if a.due else "-") + (" OVERDUE" if a.overdue(today) else "")
        text = a.description if len(a.description) <= 60 else a.description[:57] + "..."
        rows.append((due, a.status, a.owner, a.incident.id, a.id, text))
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]) - 1)]
    for row in rows:
        out.write("  ".join(cell.ljust(w) for cell, w in zip(row, widths, strict=False)))
        out.write("  " + row[-1] + "\n")
    late = sum(a.overdue(today) for a in actions)
    out.write(f"{len(actions)} action{'s' if len(actions) != 1 else ''}, {late} overdue.\n")


# A spreadsheet reads a cell that starts with one of these as a formula (or,
# for tab and carriage return, may strip them and read the formula after).
FORMULA_TRIGGERS = ("=", "+", "-", "@", "\t", "\r")


def spreadsheet_safe(value: object) -> object:
    """A CSV cell that a spreadsheet shows as text instead of running it.

    Authors write descriptions and owners; a cell such as
    `=HYPERLINK("https://evil.example", "Click")` or `@SUM(...)` would run as a
    formula when the export is opened. As OWASP recommends for CSV injection,
    text starting with `=`, `+`, `-`, `@`, tab or carriage return gets a leading
    `'`: spreadsheets then read the cell as text (some show the quote).

    Only strings are text from an author: numbers, booleans, dates and None
    pass through unchanged, so a later export that writes a negative number as
    a number keeps it a number. Write such values as numbers, not as strings.
    """
    if isinstance(value, str) and value.startswith(FORMULA_TRIGGERS):
        return "'" + value
    return value


def actions_csv(actions: list[Action], today: dt.date, out: TextIO) -> None:
    # Every cell quoted: Python 3.11's writer leaves a carriage return inside a
    # cell unquoted when lines end in "\n", and readers then split the row.
    writer = csv.DictWriter(
        out, fieldnames=ACTION_FIELDS, lineterminator="\n", quoting=csv.QUOTE_ALL
    )
    writer.writeheader()
    for action in actions:
        record = _action_record(action, today)
        record["addresses"] = " ".join(action.addresses)
        writer.writerow({field: spreadsheet_safe(value) for field, value in record.items()})


def actions_json(actions: list[Action], today: dt.date, out: TextIO) -> None:
    records = [_action_record(a, today) for a in actions]
    json.dump(
        {"version": 1, "today": today.isoformat(), "actions": records},
        out,
        indent=2,
        ensure_ascii=False,
    )
    out.write("\n")


ACTION_REPORTERS = {"table": actions_table, "csv": actions_csv, "json": actions_json}
