"""Rules that keep a postmortem accountable: causes fixed, owners, dates, sign-off."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable

from postmortem_kit.format.dates import as_date, parse_when
from postmortem_kit.format.read import Postmortem
from postmortem_kit.format.vocabulary import (
    CLOSED_ACTION_STATUSES,
    OPEN_ACTION_STATUSES,
    SERIOUS_SEVERITIES,
    is_overdue,
)
from postmortem_kit.lint.rules.base import Context, Problem, at_least, dicts, rule

FOLLOW_UP_DAYS = 7
DRAFT_HOURS = 72


@rule("no-root-cause", "error")
def check_no_root_cause(postmortem: Postmortem, context: Context) -> Iterable[Problem]:
    """In `final`: no root cause marked `true`."""
    causes = dicts(postmortem.get("root_causes"))
    if (
        at_least(postmortem, "final")
        and causes
        and not any(cause.get("root_cause") is True for _, cause in causes)
    ):
        yield Problem.at(
            postmortem.position(("root_causes",), key=True),
            "no root cause is marked 'root_cause: true': mark the cause(s) that, fixed, "
            "would have prevented the incident",
        )


@rule("unaddressed-root-cause", "error")
def check_unaddressed_root_causes(postmortem: Postmortem, context: Context) -> Iterable[Problem]:
    """In `final`: a root-cause pattern (marked `true`) that no action or control `addresses`."""
    if not at_least(postmortem, "final"):
        return
    addressed = {
        pattern
        for key in ("actions", "controls")
        for _, item in dicts(postmortem.get(key))
        if isinstance(item.get("addresses"), list)
        for pattern in item["addresses"]
        if isinstance(pattern, str)
    }
    reported: set[str] = set()
    for i, cause in dicts(postmortem.get("root_causes")):
        pattern = cause.get("pattern")
        if cause.get("root_cause") is not True or not isinstance(pattern, str):
            continue
        if pattern in addressed | reported:
            continue
        reported.add(pattern)
        yield Problem.at(
            postmortem.position(("root_causes", i, "pattern")),
            f"root cause '{pattern}' is addressed by no action or control: add it "
            "to the 'addresses' of the action or control that fixes it",
        )


@rule("missing-approval", "error")
def check_missing_approvals(postmortem: Postmortem, context: Context) -> Iterable[Problem]:
    """In `final`: no `manager` approval; for `high` and `critical`, no `security-lead` either."""
    if not at_least(postmortem, "final"):
        return
    roles = [approval.get("role") for _, approval in dicts(postmortem.get("approvals"))]
    needed = ["manager"]
    severity = postmortem.get("severity")
    if severity in SERIOUS_SEVERITIES:
        needed.append("security-lead")
    for role in needed:
        if role not in roles:
            why = f" ({severity} severity)" if role == "security-lead" else ""
            yield Problem.at(
                postmortem.position(("approvals",), key=True),
                f"a final postmortem needs an approval with role '{role}'{why}: add "
                f"{{name, role: {role}, date}} under approvals",
            )


@rule("overdue-action", "warning")
def check_overdue_actions(postmortem: Postmortem, context: Context) -> Iterable[Problem]:
    """An action past its `due` date and not `done` or `dropped`."""
    for i, action in dicts(postmortem.get("actions")):
        due = parse_when(action.get("due"))
        if due and is_overdue(action.get("status"), as_date(due), context.today):
            owner = action.get("owner") or "no owner"
            yield Problem.at(
                postmortem.position(("actions", i, "due")),
                f"action {action.get('id', i)} ({owner}) was due {action['due']} and is "
                f"{action.get('status', 'without a status')}: finish it, or set a new due date",
            )


@rule("late-follow-up", "warning")
def check_late_follow_up(postmortem: Postmortem, context: Context) -> Iterable[Problem]:
    """`follow_up.date` more than 7 days after `identified`."""
    follow_up = parse_when(postmortem.get("follow_up", "date"))
    identified = parse_when(postmortem.get("identified"))
    if follow_up and identified:
        days = (as_date(follow_up) - as_date(identified)).days
        if days > FOLLOW_UP_DAYS:
            yield Problem.at(
                postmortem.position(("follow_up", "date")),
                f"follow_up.date is {days} days after identified: review action items "
                f"within {FOLLOW_UP_DAYS} days",
            )


@rule("late-draft", "warning", needs_history=True)
def check_late_draft(postmortem: Postmortem, context: Context) -> Iterable[Problem]:
    """The file's first commit more than 72 hours after `identified` (git; silent outside a
    checkout).
    """
    identified = parse_when(postmortem.get("identified"))
    if context.first_commits is None or identified is None:
        return
    if not isinstance(identified, dt.datetime):  # a date: give the author the whole day
        identified = dt.datetime.combine(identified, dt.time.max, dt.UTC)
    committed = context.first_commits.get(postmortem.path)
    first = committed or context.now  # not committed yet: it is now
    hours = (first - identified).total_seconds() / 3600
    if hours > DRAFT_HOURS:
        when = (
            f"first committed {first.astimezone(dt.UTC):%Y-%m-%d %H:%M} UTC"
            if committed
            else "not committed yet"
        )
        yield Problem.at(
            postmortem.position(("identified",)),
            f"{when}, {hours:.0f} hours after the incident was identified: commit a first "
            f"draft within {DRAFT_HOURS} hours, however thin",
        )


@rule("action-closed-date", "warning")
def check_action_closed_date(postmortem: Postmortem, context: Context) -> Iterable[Problem]:
    """In `final`: a `done` or `dropped` action without a `closed` date (closure cannot be
    measured without it); in any status, an open action with one.
    """
    for i, action in dicts(postmortem.get("actions")):
        status, closed = action.get("status"), action.get("closed")
        if status in CLOSED_ACTION_STATUSES and closed is None and at_least(postmortem, "final"):
            yield Problem.at(
                postmortem.position(("actions", i, "status")),
                f"action {action.get('id', i)} is {status} but has no closed date: add "
                "closed: YYYY-MM-DD, the day it was done or dropped",
            )
        elif status in OPEN_ACTION_STATUSES and closed is not None:
            yield Problem.at(
                postmortem.position(("actions", i, "closed")),
                f"action {action.get('id', i)} is {status} but has a closed date: set its "
                "status to done or dropped, or remove closed",
            )


@rule("action-due-target", "warning")
def check_action_due_target(postmortem: Postmortem, context: Context) -> Iterable[Problem]:
    """An action due later after `identified` than its priority allows
    (`action-due-within-days`; by default critical 28 days, high 90, no target for the others).
    """
    identified = parse_when(postmortem.get("identified"))
    if identified is None:
        return
    targets = context.config.action_due_within_days
    for i, action in dicts(postmortem.get("actions")):
        due, priority = parse_when(action.get("due")), action.get("priority")
        if due is None or not isinstance(priority, str) or priority not in targets:
            continue
        days = (as_date(due) - as_date(identified)).days
        if days > targets[priority]:
            yield Problem.at(
                postmortem.position(("actions", i, "due")),
                f"action {action.get('id', i)} is {priority} but due {days} days after "
                f"identified; the target is {targets[priority]}: bring the due date forward, "
                "or lower the priority",
            )
