"""`--format jsonl`: one file, one postmortem per line, in id order.

Each line is a JSON object: `id`, `path`, `history` (as in incidents.json;
null outside git), `front_matter` (as the author wrote it, dates as strings)
and `body` (the Markdown after the front matter). Ids of postmortems the
audience may not read are gone from `related` and `not_similar`, and withheld
wherever a text names one. Characters that some readers take for a line break
(U+0085, U+2028, U+2029), and `<`, `>` and `&`, are written as `\\u` escapes:
the same values, one line each, safe even where a tool pastes them into a page.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from postmortem_kit.export.output import check_file, replace_text
from postmortem_kit.export.text import withhold_hidden_ids
from postmortem_kit.site.aggregate import Aggregate
from postmortem_kit.site.content import history_record, json_text

# Keys of every line, in order; the first line of an earlier export has them.
KEYS = ("id", "path", "history", "front_matter", "body")
_FIRST_LINE_LIMIT = 64 * 1024 * 1024


def check_output(output: Path) -> None:
    check_file(output, "JSON Lines file", is_earlier_export)


def write(aggregate: Aggregate, output: Path) -> list[Path]:
    check_output(output)
    text = "".join(line + "\n" for line in lines(aggregate))
    replace_text(output, text)
    return [output]


def lines(aggregate: Aggregate) -> list[str]:
    records: list[dict[str, Any]] = [
        {
            "id": incident.id,
            "path": incident.postmortem.path,
            "history": history_record(aggregate.history.get(incident.postmortem.path)),
            "front_matter": incident.data,
            "body": incident.postmortem.body,
        }
        for incident in sorted(aggregate.incidents, key=lambda i: i.id)
    ]
    return [json_text(record) for record in withhold_hidden_ids(records, aggregate)]


def is_earlier_export(path: Path) -> bool:
    """Whether the file's first line is a record of ours."""
    with path.open("rb") as stream:
        first = stream.readline(_FIRST_LINE_LIMIT)
    try:
        record = json.loads(first)
    except ValueError:  # also a UnicodeDecodeError
        return False
    return isinstance(record, dict) and tuple(record) == KEYS
