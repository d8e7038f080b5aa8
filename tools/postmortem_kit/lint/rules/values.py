"""Rules on the meaning of front-matter values that a JSON Schema cannot express."""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import PurePosixPath
from typing import Any

from postmortem_kit.format.dates import (
    DATE_TIME_WITHOUT_OFFSET,
    EARLIEST_DAY,
    NAIVE_DATE_TIME_IN_TEXT,
    PLANNING_YEARS,
    When,
    as_date,
    is_before,
    latest_event_day,
    latest_plan_day,
    parse_when,
)
from postmortem_kit.format.read import NodePath, Postmortem
from postmortem_kit.format.vocabulary import PLANNED_STEP, TIMELINE
from postmortem_kit.lint.rules.base import Context, Problem, dicts, field, rule


@rule("ambiguous-time", "error", outranks_schema=True)
def check_ambiguous_time(postmortem: Postmortem, context: Context) -> Iterable[Problem]:
    """A date-time without an offset."""
    if not NAIVE_DATE_TIME_IN_TEXT.search(postmortem.front_matter_text):
        return  # the common case, found without walking every value
    for path, value in _strings(postmortem.data, ()):
        if DATE_TIME_WITHOUT_OFFSET.fullmatch(value):
            yield Problem.at(
                postmortem.position(path),
                f"{field(path)}: '{value}' has no time zone: add Z for UTC or an offset "
                "such as +01:00 (2026-03-02T14:05:00Z)",
            )


def _strings(value: Any, path: NodePath) -> Iterable[tuple[NodePath, str]]:
    if isinstance(value, str):
        yield path, value
    elif isinstance(value, dict):
        for key, item in value.items():
            yield from _strings(item, (*path, key))
    elif isinstance(value, list):
        for i, item in enumerate(value):
            yield from _strings(item, (*path, i))


@rule("manifestation-pattern", "error")
def check_manifestation_pattern(postmortem: Postmortem, context: Context) -> Iterable[Problem]:
    """A root cause's manifestation that belongs to another pattern."""
    taxonomy = context.taxonomy
    for i, cause in dicts(postmortem.get("root_causes")):
        pattern, manifestation = cause.get("pattern"), cause.get("manifestation")
        if not (isinstance(pattern, str) and isinstance(manifestation, str)):
            continue
        term = taxonomy.manifestations.get(manifestation)
        if term and pattern in taxonomy.patterns and term.parent != pattern:
            expected = ", ".join(m.slug for m in taxonomy.manifestations_of(pattern))
            yield Problem.at(
                postmortem.position(("root_causes", i, "manifestation")),
                f"root_causes[{i}].manifestation: '{manifestation}' belongs to pattern "
                f"'{term.parent}', not '{pattern}'; under '{pattern}' use one of: {expected}",
            )


@rule("timeline-order", "error")
def check_timeline_order(postmortem: Postmortem, context: Context) -> Iterable[Problem]:
    """T0 ≤ T1 ≤ T2 ≤ T3 ≤ T4 broken, or triggered ≤ identified ≤ resolved."""
    chains: list[list[NodePath]] = [
        [("timeline", step) for step in TIMELINE],
        [("timeline", "triggered"), ("identified",), ("resolved",)],
    ]
    for chain in chains:
        known = [(path, when) for path in chain if (when := _when(postmortem, path))]
        for (earlier_path, earlier), (later_path, later) in zip(known, known[1:], strict=False):
            if is_before(later, earlier):
                yield Problem.at(
                    postmortem.position(later_path),
                    f"{field(later_path)} ({postmortem.get(*later_path)}) is before "
                    f"{field(earlier_path)} ({postmortem.get(*earlier_path)})",
                )


def _when(postmortem: Postmortem, path: NodePath) -> When | None:
    return parse_when(postmortem.get(*path))


EACH = "*"  # in a path of EVENT_DATES or PLAN_DATES: every item of that list
# Dates of what happened, and dates of what is planned (which may lie ahead).
EVENT_DATES = [
    ("identified",),
    ("resolved",),
    *(("timeline", step) for step in TIMELINE if step != PLANNED_STEP),
    ("approvals", EACH, "date"),
    ("actions", EACH, "closed"),
]
PLAN_DATES = [
    ("timeline", PLANNED_STEP),
    ("follow_up", "date"),
    ("monitoring", "until"),
    ("actions", EACH, "due"),
]


@rule("date-range", "error")
def check_date_range(postmortem: Postmortem, context: Context) -> Iterable[Problem]:
    """A date outside the plausible range: what happened (identified, resolved, timeline
    T0–T3, approvals, actions closed) from 1970-01-01 to tomorrow; what is planned (due
    dates, `monitoring.until`, `follow_up.date`, `timeline.long_term`) up to ten years ahead.
    """
    latest_event, latest_plan = latest_event_day(context.today), latest_plan_day(context.today)
    for paths, latest, why in [
        (EVENT_DATES, latest_event, "tomorrow"),
        (PLAN_DATES, latest_plan, f"{PLANNING_YEARS} years ahead"),
    ]:
        for path in (p for pattern in paths for p in _expand(postmortem, pattern)):
            when = parse_when(postmortem.get(*path))
            if when and not EARLIEST_DAY <= as_date(when) <= latest:
                yield Problem.at(
                    postmortem.position(path),
                    f"{field(path)}: {postmortem.get(*path)} is outside the plausible range "
                    f"{EARLIEST_DAY} to {latest} ({why}): check the year",
                )


def _expand(postmortem: Postmortem, pattern: NodePath) -> Iterable[NodePath]:
    """The paths `pattern` stands for in `postmortem`: one per list item at each EACH."""
    if EACH not in pattern:
        yield pattern
        return
    at = pattern.index(EACH)
    items = postmortem.get(*pattern[:at])
    for i in range(len(items) if isinstance(items, list) else 0):
        yield from _expand(postmortem, (*pattern[:at], i, *pattern[at + 1 :]))


@rule("duplicate-action-id", "error")
def check_duplicate_action_ids(postmortem: Postmortem, context: Context) -> Iterable[Problem]:
    """Two actions in one file with one id."""
    first_index: dict[str, int] = {}
    for i, action in dicts(postmortem.get("actions")):
        action_id = action.get("id")
        if not isinstance(action_id, str):
            continue
        if action_id in first_index:
            yield Problem.at(
                postmortem.position(("actions", i, "id")),
                f"actions[{i}].id: '{action_id}' is already the id of "
                f"actions[{first_index[action_id]}]: give each action its own id",
            )
        else:
            first_index[action_id] = i


@rule("filename-id", "warning")
def check_filename_id(postmortem: Postmortem, context: Context) -> Iterable[Problem]:
    """The file name does not start with the id."""
    pm_id = postmortem.get("id")
    name = PurePosixPath(postmortem.path).name
    if isinstance(pm_id, str) and pm_id and not name.startswith(pm_id):
        yield Problem.at(
            postmortem.position(("id",)),
            f"file name '{name}' does not start with the id '{pm_id}': "
            f"rename it to '{pm_id}-<short-slug>.md'",
        )
