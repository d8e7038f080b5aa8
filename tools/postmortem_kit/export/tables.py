"""The postmortems an audience may read, as tables: what the csv and sqlite
exports (and the site's `incidents.csv`) write.

Six tables: `postmortems`, one row each, and five that belong to a postmortem
(`actions`, `root_causes`, `controls`, `approvals`, `references`), each row
keyed by the postmortem's id and its position in that list (`number`, from 1).
The taxonomy's own tables (`taxonomy_*`) give every slug its label. Each
column is declared once, with its type and a description, for the CSV
header, the SQLite schema, the Datasette metadata and docs/exports.md.

Rows hold plain values: text, integers, floats, booleans, None for "not
given", and lists of text. Ids of postmortems the audience may not see are
gone from `references` before this module sees them (`load_published`), and
wherever a text names one it is withheld here.
"""

from __future__ import annotations

import datetime as dt
from typing import Any, NamedTuple

from postmortem_kit.export.text import HiddenIds, withhold_hidden_ids
from postmortem_kit.format.dates import as_date, parse_when
from postmortem_kit.format.taxonomy import Taxonomy, Term
from postmortem_kit.format.vocabulary import (
    DEFAULT_VISIBILITY,
    REFERENCE_KEYS,
    TRIAGE,
    is_open,
    is_overdue,
)
from postmortem_kit.site.aggregate import Aggregate, Incident

Value = str | int | float | bool | list[str] | None
Row = list[Value]

# Column types: how each format spells a value (sqlite.py, csv.py).
TEXT, INTEGER, REAL, BOOLEAN, LIST = "text", "integer", "real", "boolean", "list"
FREE = True  # a column of text written freely (`Column.free`)


class Column(NamedTuple):
    name: str
    type: str  # TEXT, INTEGER, REAL, BOOLEAN or LIST
    description: str
    # Written freely by authors, so it may name another postmortem. Other
    # columns hold keys (shown ids), numbers, or values the schema restricts
    # to a slug, a date or a word of the vocabulary.
    free: bool = False


class ForeignKey(NamedTuple):
    column: str
    table: str
    other_column: str


class Table(NamedTuple):
    name: str
    description: str
    columns: tuple[Column, ...]
    primary_key: tuple[str, ...]
    foreign_keys: tuple[ForeignKey, ...]
    rows: list[Row]  # values in the order of `columns`

    @property
    def column_names(self) -> list[str]:
        return [c.name for c in self.columns]


def _columns(*spec: tuple[str, str, str] | tuple[str, str, str, bool]) -> tuple[Column, ...]:
    return tuple(Column(*s) for s in spec)


# Times are as the author wrote them, a date-time turned to UTC
# (`2025-02-03T08:00:00Z`) so that they sort and compare as text.
_TIME = "; date-times in UTC"
_OWNED = (
    ("postmortem", TEXT, "the postmortem's id (postmortems.id)"),
    ("number", INTEGER, "its position in the postmortem's list, from 1"),
)
_OF_POSTMORTEM = (ForeignKey("postmortem", "postmortems", "id"),)

POSTMORTEMS = _columns(
    ("id", TEXT, "the postmortem's id"),
    ("title", TEXT, "one line", FREE),
    ("status", TEXT, "draft, review or final"),
    ("severity", TEXT, "near-miss, low, medium, high or critical"),
    ("visibility", TEXT, "public, internal or restricted: who may read it"),
    ("identified", TEXT, "when it was identified" + _TIME),
    ("quarter", TEXT, "the quarter of `identified`, like 2025-q1"),
    ("resolved", TEXT, "when it was resolved, or `ongoing`" + _TIME),
    ("reported_by", TEXT, "team or person", FREE),
    ("systems", LIST, "systems and components affected", FREE),
    ("incident_types", LIST, "incident type slugs (taxonomy_incident_types)"),
    ("incident_categories", LIST, "the categories of its incident types (taxonomy_categories)"),
    ("patterns", LIST, "root-cause pattern slugs of its root causes, once each, in order"),
    ("disclosure_public", BOOLEAN, "public disclosure required"),
    ("disclosure_regulatory", BOOLEAN, "regulatory reporting required"),
    *((f"triage_{key}", BOOLEAN, question) for key, question in TRIAGE.items()),
    ("users_affected", INTEGER, "users affected; empty while unknown"),
    ("data_exposed", LIST, "types of data exposed", FREE),
    ("downtime_minutes", REAL, "minutes of downtime"),
    ("triggered", TEXT, "T0, when it started" + _TIME),
    ("detected", TEXT, "T1, when it was detected" + _TIME),
    ("detection_method", TEXT, "how it was detected", FREE),
    ("contained", TEXT, "T2, when it was contained" + _TIME),
    ("remediated", TEXT, "T3, when it was remediated" + _TIME),
    ("long_term", TEXT, "T4, the long-term fix, planned or deployed" + _TIME),
    ("minutes_to_detect", REAL, "from triggered to detected"),
    ("minutes_to_contain", REAL, "from detected to contained"),
    ("follow_up_date", TEXT, "the review of the action items" + _TIME),
    ("follow_up_attendees", LIST, "who attended the follow-up", FREE),
    ("monitoring_owner", TEXT, "who watches after the incident", FREE),
    ("monitoring_until", TEXT, "until when"),
    ("monitoring_review", TEXT, "what is reviewed", FREE),
    ("authors", LIST, "each as `name (role)`", FREE),
    ("tags", LIST, "free-form tags", FREE),
    ("lessons", LIST, "the items of Lessons learned", FREE),
    ("path", TEXT, "the file, from the repository's root", FREE),
    ("created", TEXT, "first commit of the file (git); empty outside git"),
    ("updated", TEXT, "last commit that changed it (git)"),
    ("revisions", INTEGER, "commits that changed it (git)"),
    ("summary", TEXT, "the Summary section, Markdown", FREE),
    ("narrative", TEXT, "the whole body after the front matter, Markdown", FREE),
)
ACTIONS = _columns(
    *_OWNED,
    ("id", TEXT, "the action's id in its postmortem, like A1", FREE),
    ("description", TEXT, "what is done", FREE),
    ("owner", TEXT, "who does it", FREE),
    ("acceptance", TEXT, "how the fix is verified", FREE),
    ("priority", TEXT, "low, medium, high or critical"),
    ("due", TEXT, "due date"),
    ("status", TEXT, "planned, in-progress, done or dropped"),
    ("closed", TEXT, "when it was done or dropped"),
    ("open", BOOLEAN, "neither done nor dropped"),
    ("overdue", BOOLEAN, "open and past its due date on the day of the export"),
    ("addresses", LIST, "root-cause pattern slugs it fixes"),
    ("tracker", TEXT, "ticket link", FREE),
)
ROOT_CAUSES = _columns(
    *_OWNED,
    ("lens", TEXT, "governance, security or operations (taxonomy_lenses)"),
    ("pattern", TEXT, "root-cause pattern slug (taxonomy_patterns)"),
    ("manifestation", TEXT, "manifestation slug (taxonomy_manifestations)"),
    ("factor", TEXT, "what went wrong", FREE),
    ("evidence", TEXT, "the evidence: logs, commits, configs", FREE),
    ("root_cause", BOOLEAN, "true for a root cause, false for a contributing factor"),
)
CONTROLS = _columns(
    *_OWNED,
    ("control", TEXT, "the control that prevents a recurrence", FREE),
    ("metric", TEXT, "its metric or test", FREE),
    ("addresses", LIST, "root-cause pattern slugs it addresses"),
    ("catalog", TEXT, "control-catalog slug (taxonomy_controls)"),
)
APPROVALS = _columns(
    *_OWNED,
    ("name", TEXT, "who approved", FREE),
    ("role", TEXT, "manager, security-lead, legal, privacy, product or other"),
    ("date", TEXT, "when"),
)
REFERENCE_KINDS = ("related", "not_similar", "atlas", "owasp_llm", "aiid", "link")
REFERENCES = _columns(
    *_OWNED,
    ("kind", TEXT, ", ".join(REFERENCE_KINDS)),
    ("value", TEXT, "the id, ATLAS technique, OWASP entry, AIID incident number or URL", FREE),
    ("title", TEXT, "a link's title", FREE),
    ("target", TEXT, "for related and not_similar: the other postmortem's id (postmortems.id)"),
)
TERMS = _columns(
    ("slug", TEXT, "as postmortems write it"),
    ("label", TEXT, "as pages show it"),
    ("description", TEXT, "what it means"),
)


class Shape(NamedTuple):
    """A table without its rows."""

    description: str
    columns: tuple[Column, ...]
    primary_key: tuple[str, ...]
    foreign_keys: tuple[ForeignKey, ...]


_OWN_KEY = ("postmortem", "number")
SHAPES = {
    "postmortems": Shape("One row per postmortem.", POSTMORTEMS, ("id",), ()),
    "actions": Shape(
        "Corrective actions: owned, dated, verified.", ACTIONS, _OWN_KEY, _OF_POSTMORTEM
    ),
    "root_causes": Shape(
        "Root causes and contributing factors, by lens, with their evidence.",
        ROOT_CAUSES,
        _OWN_KEY,
        (
            *_OF_POSTMORTEM,
            ForeignKey("lens", "taxonomy_lenses", "slug"),
            ForeignKey("pattern", "taxonomy_patterns", "slug"),
            ForeignKey("manifestation", "taxonomy_manifestations", "slug"),
        ),
    ),
    "controls": Shape(
        "Controls that prevent a recurrence, each with a metric or test.",
        CONTROLS,
        _OWN_KEY,
        (*_OF_POSTMORTEM, ForeignKey("catalog", "taxonomy_controls", "slug")),
    ),
    "approvals": Shape("Sign-offs.", APPROVALS, _OWN_KEY, _OF_POSTMORTEM),
    "references": Shape(
        "Related postmortems the audience may read, suggested matches an editor "
        "rejected (not_similar), MITRE ATLAS techniques, OWASP LLM Top 10 entries, "
        "AI Incident Database incidents and links.",
        REFERENCES,
        _OWN_KEY,
        (*_OF_POSTMORTEM, ForeignKey("target", "postmortems", "id")),
    ),
}
TABLE_NAMES = tuple(SHAPES)


def tables(aggregate: Aggregate) -> list[Table]:
    """The six tables of the postmortems in `aggregate`, rows in id order."""
    rows: dict[str, list[Row]] = {name: [] for name in SHAPES}
    for incident in sorted(aggregate.incidents, key=lambda i: i.id):
        rows["postmortems"].append(_postmortem_row(incident, aggregate))
        owned = {
            "actions": _action_rows(incident, aggregate.today),
            "root_causes": _root_cause_rows(incident),
            "controls": _control_rows(incident),
            "approvals": _approval_rows(incident),
            "references": _reference_rows(incident),
        }
        for name, values in owned.items():
            rows[name] += ([incident.id, number, *v] for number, v in enumerate(values, start=1))
    return [_table(name, rows[name], aggregate) for name in SHAPES]


def postmortems_table(aggregate: Aggregate) -> Table:
    """The `postmortems` table alone (the site's `incidents.csv`)."""
    incidents = sorted(aggregate.incidents, key=lambda i: i.id)
    return _table("postmortems", [_postmortem_row(i, aggregate) for i in incidents], aggregate)


def _table(name: str, rows: list[Row], aggregate: Aggregate) -> Table:
    shape = SHAPES[name]
    return Table(name, *shape, _withhold_hidden_ids(rows, shape.columns, aggregate))


def _withhold_hidden_ids(
    rows: list[Row], columns: tuple[Column, ...], aggregate: Aggregate
) -> list[Row]:
    """Where a text names a postmortem the audience may not read, its id is
    withheld (`text.withhold_hidden_ids`, the one rule for every export).

    Only free text can name one, and only a value holding the prefix of the
    shown ids, in any case: those alone go through the rule (every value
    took 1.6 s at 5,000 postmortems).
    """
    rule = HiddenIds.of(aggregate)
    free = [i for i, column in enumerate(columns) if column.free]

    def names_one(value: Value) -> bool:
        texts = value if isinstance(value, list) else [value]
        return any(isinstance(t, str) and rule.may_name_one(t) for t in texts)

    where = [(r, c) for r, row in enumerate(rows) for c in free if names_one(row[c])]
    withheld = withhold_hidden_ids([rows[r][c] for r, c in where], rule)
    for (r, c), value in zip(where, withheld, strict=True):
        rows[r][c] = value
    return rows


def taxonomy_tables(taxonomy: Taxonomy) -> list[Table]:
    """The slugs postmortems use, with their labels: for joins, and for
    Datasette to show a label beside each slug."""

    def table(name: str, what: str, terms: dict[str, Term], parent: Column | None = None) -> Table:
        columns = TERMS + ((parent,) if parent else ())
        rows: list[Row] = [
            [t.slug, t.label, t.description, *([t.parent or None] if parent else [])]
            for t in terms.values()
        ]
        keys = (ForeignKey(parent.name, *_PARENTS[name]),) if parent else ()
        return Table(name, what, columns, ("slug",), keys, rows)

    return [
        table("taxonomy_categories", "Categories of incident types.", taxonomy.categories),
        table(
            "taxonomy_incident_types",
            "Incident types.",
            taxonomy.incident_types,
            Column("category", TEXT, "its category (taxonomy_categories)"),
        ),
        table("taxonomy_lenses", "The lenses of root-cause analysis.", taxonomy.lenses),
        table("taxonomy_patterns", "Root-cause patterns.", taxonomy.patterns),
        table(
            "taxonomy_manifestations",
            "How each root-cause pattern shows.",
            taxonomy.manifestations,
            Column("pattern", TEXT, "its pattern (taxonomy_patterns)"),
        ),
        table("taxonomy_controls", "The control catalog.", taxonomy.controls),
    ]


_PARENTS = {
    "taxonomy_incident_types": ("taxonomy_categories", "slug"),
    "taxonomy_manifestations": ("taxonomy_patterns", "slug"),
}


# --- rows ---------------------------------------------------------------------------


def _postmortem_row(incident: Incident, aggregate: Aggregate) -> Row:
    data = incident.data
    disclosure, triage, impact = (
        _dict(data, "disclosure"),
        _dict(data, "triage"),
        _dict(data, "impact"),
    )
    timeline, follow_up = _dict(data, "timeline"), _dict(data, "follow_up")
    monitoring = _dict(data, "monitoring")
    history = aggregate.history.get(incident.postmortem.path)
    categories = (aggregate.category_of(t) for t in incident.types)
    return [
        incident.id,
        incident.title,
        incident.status,
        incident.severity,
        _text(data.get("visibility")) or DEFAULT_VISIBILITY,
        _time(data.get("identified")),
        incident.quarter,
        _time(data.get("resolved")),
        _text(data.get("reported_by")),
        incident.systems,
        incident.types,
        list(dict.fromkeys(categories)),
        incident.patterns,
        _bool(disclosure.get("public")),
        _bool(disclosure.get("regulatory")),
        *(_bool(triage.get(key)) for key in TRIAGE),
        _integer(impact.get("users_affected")),
        _texts(impact.get("data_exposed")),
        _number(impact.get("downtime_minutes")),
        _time(timeline.get("triggered")),
        _time(timeline.get("detected")),
        _text(timeline.get("detection_method")),
        _time(timeline.get("contained")),
        _time(timeline.get("remediated")),
        _time(timeline.get("long_term")),
        _minutes(incident.time_to_detect),
        _minutes(incident.time_to_contain),
        _time(follow_up.get("date")),
        _texts(follow_up.get("attendees")),
        _text(monitoring.get("owner")),
        _time(monitoring.get("until")),
        _text(monitoring.get("review")),
        [_author(a) for a in _dicts(data.get("authors"))],
        _texts(data.get("tags")),
        list(incident.lessons()),
        incident.postmortem.path,
        _utc(history.created) if history else None,
        _utc(history.updated) if history else None,
        history.revisions if history else None,
        incident.postmortem.section_text("Summary") or None,
        incident.postmortem.body.strip("\n") or None,
    ]


def _action_rows(incident: Incident, today: dt.date) -> list[list[Value]]:
    rows: list[list[Value]] = []
    for raw in _dicts(incident.data.get("actions")):
        due = parse_when(raw.get("due"))
        rows.append(
            [
                _text(raw.get("id")),
                _text(raw.get("description")),
                _text(raw.get("owner")),
                _text(raw.get("acceptance")),
                _text(raw.get("priority")),
                _time(raw.get("due")),
                _text(raw.get("status")),
                _time(raw.get("closed")),
                is_open(raw.get("status")),
                is_overdue(raw.get("status"), as_date(due) if due else None, today),
                _texts(raw.get("addresses")),
                _text(raw.get("tracker")),
            ]
        )
    return rows


def _root_cause_rows(incident: Incident) -> list[list[Value]]:
    return [
        [
            _text(cause.get("lens")),
            _text(cause.get("pattern")),
            _text(cause.get("manifestation")),
            _text(cause.get("factor")),
            _text(cause.get("evidence")),
            _bool(cause.get("root_cause")),
        ]
        for cause in incident.root_causes()
    ]


def _control_rows(incident: Incident) -> list[list[Value]]:
    return [
        [
            _text(control.get("control")),
            _text(control.get("metric")),
            _texts(control.get("addresses")),
            _text(control.get("catalog")),
        ]
        for control in _dicts(incident.data.get("controls"))
    ]


def _approval_rows(incident: Incident) -> list[list[Value]]:
    return [
        [_text(a.get("name")), _text(a.get("role")), _time(a.get("date"))]
        for a in _dicts(incident.data.get("approvals"))
    ]


def _reference_rows(incident: Incident) -> list[list[Value]]:
    data, references = incident.data, _dict(incident.data, "references")
    rows: list[list[Value]] = []
    for kind in REFERENCE_KEYS:  # only ids the audience may read are left
        rows += ([kind, pm_id, None, pm_id] for pm_id in _texts(data.get(kind)))
    for kind in ("atlas", "owasp_llm", "aiid"):
        rows += ([kind, value, None, None] for value in _texts(references.get(kind)))
    for link in _dicts(references.get("links")):
        rows.append(["link", _text(link.get("url")), _text(link.get("title")), None])
    return rows


# --- values -------------------------------------------------------------------------


def _dict(data: dict[str, Any], key: str) -> dict[str, Any]:
    value = data.get(key)
    return value if isinstance(value, dict) else {}


def _dicts(value: Any) -> list[dict[str, Any]]:
    return [v for v in value if isinstance(v, dict)] if isinstance(value, list) else []


def _text(value: Any) -> str | None:
    """Text, or None where nothing is given (an empty cell, SQL NULL)."""
    if value is None or value == "":
        return None
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def _texts(value: Any) -> list[str]:
    return [t for v in value if (t := _text(v)) is not None] if isinstance(value, list) else []


def _bool(value: Any) -> bool | None:
    return value if isinstance(value, bool) else None


def _integer(value: Any) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def _number(value: Any) -> float | None:
    if isinstance(value, int | float) and not isinstance(value, bool):
        return float(value)
    return None


def _time(value: Any) -> str | None:
    """A date as written; a date-time in UTC; anything else (`ongoing`) as written."""
    when = parse_when(value)
    if isinstance(when, dt.datetime):
        return _utc(when)
    return _text(value)


def _utc(moment: dt.datetime) -> str:
    return moment.astimezone(dt.UTC).isoformat().replace("+00:00", "Z")


def _minutes(duration: dt.timedelta | None) -> float | None:
    return duration.total_seconds() / 60 if duration is not None else None


def _author(author: dict[str, Any]) -> str:
    name, role = _text(author.get("name")) or "", _text(author.get("role"))
    return f"{name} ({role})" if role else name


# --- documentation ------------------------------------------------------------------

_TYPE_NAMES = {
    TEXT: "text",
    INTEGER: "integer",
    REAL: "number",
    BOOLEAN: "boolean",
    LIST: "list of text",
}


def column_docs() -> str:
    """The tables and their columns as Markdown (docs/exports.md holds this text)."""
    parts = []
    for name, shape in SHAPES.items():
        keys = ", ".join(f"`{k}`" for k in shape.primary_key)
        joins = "".join(
            f" `{k.column}` → `{k.table}.{k.other_column}`." for k in shape.foreign_keys
        )
        rows = [f"| `{c.name}` | {_TYPE_NAMES[c.type]} | {c.description} |" for c in shape.columns]
        parts.append(
            f"### `{name}`\n\n{shape.description} Key: {keys}.{joins}\n\n"
            "| column | type | what |\n|---|---|---|\n" + "\n".join(rows)
        )
    return "\n\n".join(parts) + "\n"


if __name__ == "__main__":
    print(column_docs(), end="")
