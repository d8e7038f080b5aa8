"""Did our fixes work? The same root cause coming back, and what had been done about it.

A *recurrence group* is the postmortems that share a system and a root-cause
pattern (or an incident type and a pattern), oldest first, when there are two
or more. A system is known by its `name_key`: `Chat API` and `chat-api` are
one system, shown as the oldest postmortem spells it. Each postmortem of a
group brings its actions and controls for that pattern; the next postmortem of
the group is when the pattern came back, and each action is set against that
date: done before it, after it, or with no closing date to tell. A control has
no date of its own: it counts as in place from its postmortem's
`timeline.remediated` (T3), else its `identified` date, and only a postmortem
identified after that day recurred despite it.

Everything here reads an `Aggregate`, which holds only what the audience may
see: a hidden postmortem neither appears in a group nor splits or joins one.

Cost: one pass groups the postmortems; each group then shows its latest
`SHOWN`, each with its actions and controls. A control's later postmortems,
and an action's first, come from a binary search in the groups of its
systems and patterns, never from a scan of every postmortem.
"""

from __future__ import annotations

import bisect
import datetime as dt
from collections import Counter, defaultdict
from collections.abc import Iterable
from typing import NamedTuple

from postmortem_kit.format.dates import as_date, parse_when
from postmortem_kit.format.vocabulary import CLOSED_ACTION_STATUSES, name_key
from postmortem_kit.site.aggregate import Action, Aggregate, Control, Incident

# What a group shares besides the pattern.
BY_SYSTEM, BY_TYPE = "system", "type"
# The latest postmortems a group shows: enough to follow the recent fixes,
# and a page that stays readable (and cheap) when a pattern came back dozens of times.
SHOWN = 10

# The two closed statuses, in the order the vocabulary writes them.
DONE, DROPPED = CLOSED_ACTION_STATUSES

# How an action stood when its pattern came back (see `outcome`).
BEFORE = "before"  # done, closed before the day the pattern came back
AFTER = "after"  # done, closed on that day or later
UNDATED = "undated"  # done, closing date not recorded
NOT_BACK = "not-back"  # done, and the pattern has not come back since
WAS_DROPPED = "dropped"
WAS_OPEN = "open"  # planned or in progress: still, so then too


def outcome(action: Action, back: dt.date | None) -> str:
    """How `action` stood on `back`, the day its pattern came back (None: it has not)."""
    if action.status == DONE:
        if action.closed is None:
            return UNDATED
        if back is None:
            return NOT_BACK
        return BEFORE if action.closed < back else AFTER
    return WAS_DROPPED if action.status == DROPPED else WAS_OPEN


def _order(incident: Incident) -> tuple[dt.date, str]:
    return (incident.identified, incident.id)


def _system_keys(incident: Incident) -> list[str]:
    """The incident's systems by identity (`name_key`), once each, in its order."""
    return list(dict.fromkeys(name_key(s) for s in incident.systems))


def in_place_from(incident: Incident) -> dt.date:
    """From when the controls of `incident` count as in place: its
    `timeline.remediated` (T3) if given, else its `identified` date."""
    timeline = incident.data.get("timeline")
    remediated = parse_when(timeline.get("remediated")) if isinstance(timeline, dict) else None
    return as_date(remediated) if remediated else incident.identified


class Occurrence(NamedTuple):
    """A postmortem of a recurrence group, with what it did about the pattern."""

    incident: Incident
    actions: list[tuple[Action, str]]  # its actions for the pattern, each with its outcome
    controls: list[Control]  # its controls for the pattern
    back: Incident | None  # the group's next postmortem: the pattern came back; None if not yet


class RecurrenceGroup(NamedTuple):
    kind: str  # BY_SYSTEM or BY_TYPE
    name: str  # the system (as the oldest postmortem spells it), or the incident type's slug
    pattern: str
    occurrences: list[Occurrence]  # the latest SHOWN, oldest first
    first: dt.date  # when the first of the group was identified
    size: int  # how many postmortems the group has: two or more


class ControlRecord(NamedTuple):
    """A control, and the postmortems on its systems with a pattern it addresses
    identified after it was in place (`in_place_from`)."""

    control: Control
    later: list[Incident]  # oldest first
    since: dt.date  # from when it counts as in place


class DoneThenBack(NamedTuple):
    """A done action whose pattern came back on one of its postmortem's systems."""

    action: Action
    outcome: str
    back: Incident  # the first postmortem after it with the pattern on the system


class Recurrence:
    """The postmortems by (system, pattern) and by (incident type, pattern), oldest first."""

    def __init__(self, aggregate: Aggregate) -> None:
        self.aggregate = aggregate
        # by (name_key of the system, pattern)
        self.by_system: dict[tuple[str, str], list[Incident]] = defaultdict(list)
        self.by_type: dict[tuple[str, str], list[Incident]] = defaultdict(list)
        self.system_names: dict[str, str] = {}  # name_key -> the oldest postmortem's spelling
        for incident in reversed(aggregate.incidents):  # they are newest first
            for system in incident.systems:
                self.system_names.setdefault(name_key(system), system)
            for pattern in incident.patterns:
                for system in _system_keys(incident):
                    self.by_system[(system, pattern)].append(incident)
                for incident_type in dict.fromkeys(incident.types):
                    self.by_type[(incident_type, pattern)].append(incident)
        self._keys = {key: [_order(i) for i in group] for key, group in self.by_system.items()}
        self._controls = aggregate.controls()  # derived once, like aggregate.actions
        self._actions_of: dict[str, list[Action]] = defaultdict(list)
        self._controls_of: dict[str, list[Control]] = defaultdict(list)
        for action in aggregate.actions:
            self._actions_of[action.incident.id].append(action)
        for control in self._controls:
            self._controls_of[control.incident.id].append(control)

    def groups(self) -> list[RecurrenceGroup]:
        """Every group of two or more: by system (by name), then by type (taxonomy
        order), each system's or type's patterns in the taxonomy's order."""
        taxonomy = self.aggregate.taxonomy
        pattern_order = {slug: n for n, slug in enumerate(taxonomy.patterns)}
        type_order = {slug: n for n, slug in enumerate(taxonomy.incident_types)}
        names = self.system_names
        by_system = sorted(
            ((k, g) for k, g in self.by_system.items() if len(g) > 1),
            key=lambda kg: (
                names[kg[0][0]].lower(),
                names[kg[0][0]],
                pattern_order.get(kg[0][1], -1),
                kg[0][1],
            ),
        )
        by_type = sorted(
            ((k, g) for k, g in self.by_type.items() if len(g) > 1),
            key=lambda kg: (
                type_order.get(kg[0][0], len(type_order)),
                kg[0][0],
                pattern_order.get(kg[0][1], -1),
                kg[0][1],
            ),
        )
        return [
            self._group(BY_SYSTEM, names[key], pattern, g) for (key, pattern), g in by_system
        ] + [self._group(BY_TYPE, name, pattern, g) for (name, pattern), g in by_type]

    def _group(
        self, kind: str, name: str, pattern: str, incidents: list[Incident]
    ) -> RecurrenceGroup:
        occurrences = []
        for n in range(max(len(incidents) - SHOWN, 0), len(incidents)):
            incident = incidents[n]
            back = incidents[n + 1] if n + 1 < len(incidents) else None
            day = back.identified if back else None
            actions = [
                (a, outcome(a, day))
                for a in self._actions_of[incident.id]
                if pattern in a.addresses
            ]
            controls = [c for c in self._controls_of[incident.id] if pattern in c.addresses]
            occurrences.append(Occurrence(incident, actions, controls, back))
        return RecurrenceGroup(
            kind, name, pattern, occurrences, incidents[0].identified, len(incidents)
        )

    def later(
        self, incident: Incident, patterns: Iterable[str], since: dt.date | None = None
    ) -> list[Incident]:
        """The postmortems after `incident`, oldest first, that share one of its
        systems and have one of `patterns` among their root causes; with `since`,
        only those identified after that day too."""
        after = _order(incident)
        found: dict[str, Incident] = {}
        for system in _system_keys(incident):
            for pattern in patterns:
                group = self.by_system.get((system, pattern))
                if group:
                    keys = self._keys[(system, pattern)]
                    start = bisect.bisect_right(keys, after)
                    if since is not None:
                        start = max(start, bisect.bisect_right(keys, (since, "\U0010ffff")))
                    found.update((i.id, i) for i in group[start:])
        return sorted(found.values(), key=_order)

    def first_later(self, incident: Incident, patterns: Iterable[str]) -> Incident | None:
        """The first of `later(incident, patterns)`, found without listing the others."""
        after, first = _order(incident), None
        for system in _system_keys(incident):
            for pattern in patterns:
                keys = self._keys.get((system, pattern))
                if keys:
                    start = bisect.bisect_right(keys, after)
                    if start < len(keys) and (first is None or keys[start] < _order(first)):
                        first = self.by_system[(system, pattern)][start]
        return first

    def controls(self) -> list[ControlRecord]:
        """Every control, in the order of `Aggregate.controls`, with what came
        after it was in place."""
        records = []
        for control in self._controls:
            since = in_place_from(control.incident)
            records.append(
                ControlRecord(
                    control, self.later(control.incident, control.addresses, since), since
                )
            )
        return records

    def done_then_back(self) -> tuple[list[DoneThenBack], Counter[str]]:
        """Done actions closed before their pattern came back on a system of
        their postmortem (the fixes that did not hold), latest comeback first;
        and how many done actions came back after all, by outcome (AFTER:
        closed too late; UNDATED: no closing date to tell)."""
        held_not, outcomes = [], Counter[str]()
        for action in self.aggregate.actions:
            back = (
                self.first_later(action.incident, action.addresses)
                if action.status == DONE
                else None
            )
            if back:
                result = outcome(action, back.identified)
                outcomes[result] += 1
                if result == BEFORE:
                    held_not.append(DoneThenBack(action, result, back))
        held_not.sort(
            key=lambda d: (_order(d.back), d.action.incident.id, d.action.id), reverse=True
        )
        return held_not, outcomes
