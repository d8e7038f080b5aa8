"""Trends across quarters: how fast incidents are detected and contained, how
often actions close by their due date, and how many incidents were near-misses.

Plain numbers from an `Aggregate` (only what the audience may see), and the
quarters page's charts of them: one pass over the incidents and one over the
actions for each.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from typing import Any, NamedTuple

from postmortem_kit.format.vocabulary import (
    CLOSED_ACTION_STATUSES,
    NEAR_MISS,
    PRIORITIES,
    SEVERITIES,
)
from postmortem_kit.site import charts
from postmortem_kit.site.aggregate import Action, Aggregate, Incident, median

DONE, DROPPED = CLOSED_ACTION_STATUSES


class QuarterTrend(NamedTuple):
    quarter: str
    incidents: int
    near_misses: int
    # median over the quarter's incidents of each severity; None where none had both times
    time_to_detect: dict[str, dt.timedelta | None]
    time_to_contain: dict[str, dt.timedelta | None]

    @property
    def near_miss_share(self) -> float | None:
        return self.near_misses / self.incidents if self.incidents else None


def quarter_trends(aggregate: Aggregate, quarters: list[str]) -> list[QuarterTrend]:
    """A trend row for each of `quarters` (in that order), gaps included."""
    by_quarter: dict[str, dict[str, list[Incident]]] = defaultdict(lambda: defaultdict(list))
    for incident in aggregate.incidents:
        by_quarter[incident.quarter][incident.severity].append(incident)
    trends = []
    for quarter in quarters:
        by_severity = by_quarter.get(quarter, {})
        trends.append(
            QuarterTrend(
                quarter,
                sum(len(group) for group in by_severity.values()),
                len(by_severity.get(NEAR_MISS, [])),
                {s: median(i.time_to_detect for i in by_severity.get(s, [])) for s in SEVERITIES},
                {s: median(i.time_to_contain for i in by_severity.get(s, [])) for s in SEVERITIES},
            )
        )
    return trends


# Where an action stands against its due date, in the order tables show them.
TIMELINESS = {
    "on_time": "Done on time",
    "late": "Done late",
    "undated": "Done, closing date not recorded",
    "dropped": "Dropped",
    "overdue": "Open past due",
    "open": "Open, not yet due",
    "no_due": "No due date",
}


def timeliness(action: Action, today: dt.date) -> str:
    """A key of TIMELINESS: done by its due date (`closed` ≤ `due`), after it,
    done without a `closed` date, dropped, open past due, open and not yet
    due, or (done or open) with no due date to judge it by."""
    if action.status == DROPPED:
        return "dropped"
    if action.due is None:
        return "no_due"
    if action.status == DONE:
        if action.closed is None:
            return "undated"
        return "on_time" if action.closed <= action.due else "late"
    return "overdue" if action.overdue(today) else "open"


class PriorityTimeliness(NamedTuple):
    priority: str
    counts: dict[str, int]  # by key of TIMELINESS

    @property
    def on_time_share(self) -> float | None:
        """Done on time, of the actions whose due date is known to be met or
        missed: done on time, done late, or open past due."""
        judged = self.counts["on_time"] + self.counts["late"] + self.counts["overdue"]
        return self.counts["on_time"] / judged if judged else None


def actions_by_priority(aggregate: Aggregate) -> list[PriorityTimeliness]:
    """Every action by priority, most urgent first; a priority outside the
    vocabulary (a draft's) after them."""
    counts: dict[str, dict[str, int]] = defaultdict(lambda: dict.fromkeys(TIMELINESS, 0))
    for action in aggregate.actions:
        counts[action.priority][timeliness(action, aggregate.today)] += 1
    known = [p for p in reversed(PRIORITIES) if p in counts]
    other = sorted(p for p in counts if p not in PRIORITIES)
    return [PriorityTimeliness(p, counts[p]) for p in known + other]


def charts_and_tables(aggregate: Aggregate) -> dict[str, Any]:
    """The quarters page's trend charts (over the last twelve quarters, gaps
    included) and its table of actions by priority, as the template names them."""
    quarters = aggregate.recent_quarters(12)
    rows = quarter_trends(aggregate, quarters)
    severities = list(reversed(SEVERITIES))
    times = {
        key: [(s, [_hours(getattr(row, key)[s]) for row in rows]) for s in severities]
        for key in ("time_to_detect", "time_to_contain")
    }
    priorities = actions_by_priority(aggregate)
    share = [(None if r.near_miss_share is None else r.near_miss_share * 100) for r in rows]
    return {
        "detect_chart": charts.lines(
            "time-to-detect",
            "Median time to detect, by severity (hours)",
            quarters,
            times["time_to_detect"],
            " h",
        ),
        "contain_chart": charts.lines(
            "time-to-contain",
            "Median time to contain, by severity (hours)",
            quarters,
            times["time_to_contain"],
            " h",
        ),
        "priorities": priorities,
        "timeliness": TIMELINESS,
        "actions_chart": charts.stacked_columns(
            "actions-against-due-date",
            "Actions against their due date, by priority",
            [p.priority or "none" for p in priorities],
            [(label, [p.counts[key] for p in priorities]) for key, label in TIMELINESS.items()],
        ),
        "near_miss_chart": charts.lines(
            "near-miss-share",
            "Near-miss share of postmortems",
            quarters,
            [("Near-misses", share)],
            "%",
        ),
    }


def _hours(delta: dt.timedelta | None) -> float | None:
    return None if delta is None else delta.total_seconds() / 3600
