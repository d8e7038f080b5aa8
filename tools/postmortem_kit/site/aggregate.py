"""What the site shows, derived from the postmortems: plain data, no MkDocs.

An `Incident` is a postmortem as readers see it (derived fields computed once);
`Aggregate` groups them every way the index pages need.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter, defaultdict
from collections.abc import Iterable
from typing import Any, NamedTuple, TypedDict

from postmortem_kit.format import vocabulary
from postmortem_kit.format.collection import Collection
from postmortem_kit.format.dates import When, as_date, parse_when
from postmortem_kit.format.read import Postmortem
from postmortem_kit.format.taxonomy import Taxonomy
from postmortem_kit.format.vocabulary import (
    DEFAULT_VISIBILITY,
    NEAR_MISS,
    REFERENCE_KEYS,
    SERIOUS_SEVERITIES,
    is_open,
    is_overdue,
    slug,
)
from postmortem_kit.git.history import FileHistory


def unique_slugs(names: Iterable[str], reserved: Iterable[str] = ("index",)) -> dict[str, str]:
    """A slug for each name, different for different names: each gets a page.

    `slug` maps `Chat Bot` and `chat-bot` to one slug, and `Index` to the
    section's own index page. Names are sorted so the result never depends
    on the order postmortems are read: the first name of each slug keeps it,
    the others get `-2`, `-3`... A reserved slug is never given out.
    """
    names = sorted(set(names))
    slugs: dict[str, str] = {}
    taken = set(reserved)
    for name in names:  # plain slugs first, so a suffix never takes one a name needs
        if slug(name) not in taken:
            slugs[name] = slug(name)
            taken.add(slugs[name])
    for name in (n for n in names if n not in slugs):
        number = 2
        while f"{slug(name)}-{number}" in taken:
            number += 1
        slugs[name] = f"{slug(name)}-{number}"
        taken.add(slugs[name])
    return slugs


def quarter_of(day: dt.date) -> str:
    return f"{day.year:04d}-q{(day.month - 1) // 3 + 1}"


def previous_quarter(quarter: str) -> str:
    year, number = int(quarter[:4]), int(quarter[-1])
    return f"{year - 1:04d}-q4" if number == 1 else f"{year:04d}-q{number - 1}"


def is_visible(postmortem: Postmortem, audience: str) -> bool:
    """Visible to `audience`; an unknown visibility is treated as restricted."""
    return vocabulary.is_visible(postmortem.data.get("visibility", DEFAULT_VISIBILITY), audience)


class Action(NamedTuple):
    incident: Incident
    id: str
    description: str
    owner: str
    priority: str
    due: dt.date | None
    status: str
    addresses: list[str]
    tracker: str
    closed: dt.date | None  # when it was done or dropped, if the author says

    def overdue(self, today: dt.date) -> bool:
        return is_overdue(self.status, self.due, today)


class Control(NamedTuple):
    incident: Incident
    control: str
    metric: str
    addresses: list[str]
    catalog: str


class Incident(NamedTuple):
    postmortem: Postmortem
    id: str
    title: str
    page: str  # path of its page among the site's pages
    status: str
    severity: str
    identified: dt.date
    quarter: str
    types: list[str]
    patterns: list[str]  # of all its root causes, in order, once each
    systems: list[str]
    time_to_detect: dt.timedelta | None
    time_to_contain: dt.timedelta | None

    @property
    def data(self) -> dict[str, Any]:
        return self.postmortem.data

    def root_causes(self) -> list[dict[str, Any]]:
        return [c for c in self.data.get("root_causes") or [] if isinstance(c, dict)]

    def root_causes_by_lens(self) -> dict[str, list[dict[str, Any]]]:
        by_lens: dict[str, list[dict[str, Any]]] = {}
        for cause in self.root_causes():
            by_lens.setdefault(str(cause.get("lens")), []).append(cause)
        return by_lens

    def actions(self) -> list[Action]:
        return [_action(self, a) for a in self.data.get("actions") or [] if isinstance(a, dict)]

    def controls(self) -> list[Control]:
        return [
            Control(
                self,
                str(c.get("control", "")),
                str(c.get("metric", "")),
                _texts(c.get("addresses")),
                str(c.get("catalog", "")),
            )
            for c in self.data.get("controls") or []
            if isinstance(c, dict)
        ]

    def lessons(self) -> tuple[str, ...]:
        section = self.postmortem.section("Lessons learned")
        return section.items if section else ()


def incident_of(postmortem: Postmortem) -> Incident | None:
    """The site's view of a postmortem; None when it lacks an id or a date."""
    data = postmortem.data
    pm_id, identified = data.get("id"), parse_when(data.get("identified"))
    if not isinstance(pm_id, str) or identified is None:
        return None
    day = as_date(identified)
    timeline = data.get("timeline")
    if not isinstance(timeline, dict):
        timeline = {}
    triggered, detected, contained = (
        parse_when(timeline.get(k)) for k in ("triggered", "detected", "contained")
    )
    patterns = [c.get("pattern") for c in data.get("root_causes") or [] if isinstance(c, dict)]
    return Incident(
        postmortem=postmortem,
        id=pm_id,
        title=str(data.get("title", pm_id)),
        page=f"incidents/{pm_id}.md",
        status=str(data.get("status", "draft")),
        severity=str(data.get("severity", "")),
        identified=day,
        quarter=quarter_of(day),
        types=_texts(data.get("incident_types")),
        patterns=list(dict.fromkeys(p for p in patterns if isinstance(p, str))),
        systems=_texts(data.get("systems")),
        time_to_detect=_between(triggered, detected),
        time_to_contain=_between(detected, contained),
    )


def _without_hidden_references(incident: Incident, shown: set[str]) -> Incident:
    """The incident with references to postmortems the audience cannot see
    taken out, before any page, count or export reads them. A key left with
    no visible id is dropped: an empty list would tell that one was hidden."""
    data = incident.data
    hidden = {
        key: [i for i in data[key] if isinstance(i, str) and i in shown]
        for key in REFERENCE_KEYS
        if isinstance(data.get(key), list)
        and not all(isinstance(i, str) and i in shown for i in data[key])
    }
    if not hidden:
        return incident
    kept = {k: v for k, v in {**data, **hidden}.items() if k not in hidden or hidden[k]}
    return incident._replace(postmortem=incident.postmortem._replace(data=kept))


def _texts(value: Any) -> list[str]:
    return [str(v) for v in value] if isinstance(value, list) else []


def _between(start: When | None, end: When | None) -> dt.timedelta | None:
    if isinstance(start, dt.datetime) and isinstance(end, dt.datetime) and end >= start:
        return end - start
    return None


def _action(incident: Incident, raw: dict[str, Any]) -> Action:
    due, closed = parse_when(raw.get("due")), parse_when(raw.get("closed"))
    return Action(
        incident=incident,
        id=str(raw.get("id", "")),
        description=str(raw.get("description", "")),
        owner=str(raw.get("owner") or "no owner"),
        priority=str(raw.get("priority", "")),
        due=as_date(due) if due else None,
        status=str(raw.get("status", "planned")),
        addresses=_texts(raw.get("addresses")),
        tracker=str(raw.get("tracker", "")),
        closed=as_date(closed) if closed else None,
    )


class QuarterReview(NamedTuple):
    quarter: str
    previous: str
    incidents: list[Incident]
    type_counts: list[tuple[str, int, int]]  # slug, this quarter, previous quarter
    pattern_counts: list[tuple[str, int, int]]
    near_miss_share: float | None
    median_time_to_detect: dt.timedelta | None
    median_time_to_contain: dt.timedelta | None
    recurring_patterns: list[str]  # root causes seen in an earlier quarter too
    actions_opened: int
    actions_due: int
    actions_due_closed: int


class Headline(TypedDict):
    """The figures at the top of the home page."""

    incidents: int
    near_misses: int
    high_or_critical: int
    open_actions: int
    overdue_actions: int
    median_time_to_detect: dt.timedelta | None
    median_time_to_contain: dt.timedelta | None


class Aggregate(NamedTuple):
    incidents: list[Incident]  # newest first
    taxonomy: Taxonomy
    today: dt.date
    by_id: dict[str, Incident]
    referenced_by: dict[str, list[Incident]]
    actions: list[Action]  # of every incident, derived once
    history: dict[str, FileHistory]  # git history by postmortem path; empty outside git

    @classmethod
    def of(
        cls,
        collection: Collection,
        taxonomy: Taxonomy,
        audience: str,
        today: dt.date,
        history: dict[str, FileHistory] | None = None,
    ) -> Aggregate:
        visible = [p for p in collection.postmortems if is_visible(p, audience)]
        incidents = sorted(
            (i for p in visible if (i := incident_of(p))),
            key=lambda i: (i.identified, i.id),
            reverse=True,
        )
        shown = {i.id for i in incidents}
        incidents = [_without_hidden_references(i, shown) for i in incidents]
        by_id = {i.id: i for i in incidents}
        referenced_by: dict[str, list[Incident]] = defaultdict(list)
        for incident in incidents:
            for other in _texts(incident.data.get("related")):
                if other in by_id:  # a link to an invisible postmortem is not shown
                    referenced_by[other].append(incident)
        actions = [action for incident in incidents for action in incident.actions()]
        return cls(incidents, taxonomy, today, by_id, dict(referenced_by), actions, history or {})

    def related(self, incident: Incident) -> list[Incident]:
        return [self.by_id[i] for i in _texts(incident.data.get("related")) if i in self.by_id]

    def by(self, key: str) -> dict[str, list[Incident]]:
        """Incidents grouped by `types`, `patterns`, `systems`, `severity` or `quarter`."""
        groups: dict[str, list[Incident]] = defaultdict(list)
        for incident in self.incidents:
            value = getattr(incident, key)
            for group in value if isinstance(value, list) else [value]:
                groups[group].append(incident)
        return dict(groups)

    def category_of(self, incident_type: str) -> str:
        term = self.taxonomy.incident_types.get(incident_type)
        return term.parent if term else "other"

    def quarters(self) -> list[str]:
        """The quarters that have incidents, oldest first."""
        return sorted({i.quarter for i in self.incidents})

    def recent_quarters(self, count: int) -> list[str]:
        """The last `count` quarters up to the latest incident's, gaps included."""
        if not self.incidents:
            return []
        quarters = [self.incidents[0].quarter]
        while len(quarters) < count:
            quarters.append(previous_quarter(quarters[-1]))
        return quarters[::-1]

    def open_actions_by_owner(self) -> list[tuple[str, list[Action]]]:
        """Open actions by owner; overdue first, then by due date."""
        groups: dict[str, list[Action]] = defaultdict(list)
        for action in self.actions:
            if is_open(action.status):
                groups[action.owner].append(action)
        for actions in groups.values():
            actions.sort(key=lambda a: (not a.overdue(self.today), a.due or dt.date.max))
        return sorted(
            groups.items(), key=lambda g: (-sum(a.overdue(self.today) for a in g[1]), g[0].lower())
        )

    def controls(self) -> list[Control]:
        return [c for incident in self.incidents for c in incident.controls()]

    def lens_matrix(self) -> dict[tuple[str, str], int]:
        """Root causes counted by lens and by the category of the incident's types."""
        counts: Counter[tuple[str, str]] = Counter()
        for incident in self.incidents:
            categories = {self.category_of(t) for t in incident.types}
            for cause in incident.root_causes():
                for category in categories:
                    counts[(str(cause.get("lens")), category)] += 1
        return dict(counts)

    def pattern_frequency(self) -> Counter[str]:
        return Counter(p for incident in self.incidents for p in incident.patterns)

    def review(self, quarter: str) -> QuarterReview:
        grouped = self.by("quarter")
        now, before = grouped.get(quarter, []), grouped.get(previous_quarter(quarter), [])
        earlier = {p for i in self.incidents if i.quarter < quarter for p in i.patterns}
        due = [a for a in self.actions if a.due and quarter_of(a.due) == quarter]
        return QuarterReview(
            quarter=quarter,
            previous=previous_quarter(quarter),
            incidents=now,
            type_counts=_compare(now, before, "types"),
            pattern_counts=_compare(now, before, "patterns"),
            near_miss_share=(sum(i.severity == NEAR_MISS for i in now) / len(now) if now else None),
            median_time_to_detect=median(i.time_to_detect for i in now),
            median_time_to_contain=median(i.time_to_contain for i in now),
            recurring_patterns=sorted({p for i in now for p in i.patterns} & earlier),
            actions_opened=sum(len(i.actions()) for i in now),
            actions_due=len(due),
            actions_due_closed=sum(not is_open(a.status) for a in due),
        )

    def headline(self) -> Headline:
        severities = Counter(i.severity for i in self.incidents)
        open_actions = [a for a in self.actions if is_open(a.status)]
        return {
            "incidents": len(self.incidents),
            "near_misses": severities[NEAR_MISS],
            "high_or_critical": sum(severities[s] for s in SERIOUS_SEVERITIES),
            "open_actions": len(open_actions),
            "overdue_actions": sum(a.overdue(self.today) for a in open_actions),
            "median_time_to_detect": median(i.time_to_detect for i in self.incidents),
            "median_time_to_contain": median(i.time_to_contain for i in self.incidents),
        }


def _compare(now: list[Incident], before: list[Incident], key: str) -> list[tuple[str, int, int]]:
    counts_now = Counter(v for i in now for v in getattr(i, key))
    counts_before = Counter(v for i in before for v in getattr(i, key))
    keys = sorted(set(counts_now) | set(counts_before), key=lambda k: (-counts_now[k], k))
    return [(k, counts_now[k], counts_before[k]) for k in keys]


def median(durations: Iterable[dt.timedelta | None]) -> dt.timedelta | None:
    """The median of the known durations (the mean of the middle two when
    there is an even number of them), or None."""
    known = sorted(d for d in durations if d is not None)
    if not known:
        return None
    middle = len(known) // 2
    return known[middle] if len(known) % 2 else (known[middle - 1] + known[middle]) / 2
