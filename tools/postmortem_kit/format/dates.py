"""The format's dates: `YYYY-MM-DD`, or RFC 3339 date-times with an offset."""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

DATE_TIME_WITHOUT_OFFSET = re.compile(
    r"[0-9]{4}-[0-9]{2}-[0-9]{2}[Tt ][0-9]{2}:[0-9]{2}(:[0-9]{2}(\.[0-9]+)?)?"
)

# A date-time somewhere in a text, not followed by an offset (a quick pre-check).
NAIVE_DATE_TIME_IN_TEXT = re.compile(
    r"[0-9]{4}-[0-9]{2}-[0-9]{2}[Tt ][0-9]{2}:[0-9]{2}(:[0-9]{2}(\.[0-9]+)?)?(?![0-9:.Zz+-])"
)

When = dt.date | dt.datetime


def parse_when(value: Any) -> When | None:
    """A date or an aware datetime, or None for anything else (`ongoing`, typos)."""
    if not isinstance(value, str):
        return None
    try:
        if len(value) == 10:
            return dt.date.fromisoformat(value)
        moment = dt.datetime.fromisoformat(value.upper())  # RFC 3339 allows 't' and 'z'
    except ValueError:
        return None
    return moment if moment.tzinfo else None


def as_date(when: When) -> dt.date:
    return when.date() if isinstance(when, dt.datetime) else when


def is_before(later: When, earlier: When) -> bool:
    """True when `later` is before `earlier`; a date compares by day."""
    if isinstance(later, dt.datetime) and isinstance(earlier, dt.datetime):
        return later < earlier
    return as_date(later) < as_date(earlier)


def is_real_date(value: object) -> bool:
    """False for a string shaped like a date that no calendar has (2026-02-30)."""
    return not (isinstance(value, str) and len(value) == 10) or parse_when(value) is not None


def is_real_date_time(value: object) -> bool:
    if not isinstance(value, str):
        return True
    try:
        dt.datetime.fromisoformat(value.upper())
    except ValueError:
        return False
    return True


# The plausible range of a date (`date-range`): nothing an AI system did
# happened before the Unix epoch, or later than tomorrow anywhere on Earth;
# plans (due dates, monitoring, long-term fixes) reach at most ten years ahead.
EARLIEST_DAY = dt.date(1970, 1, 1)
PLANNING_YEARS = 10


def latest_event_day(today: dt.date) -> dt.date:
    return today + dt.timedelta(days=1)


def latest_plan_day(today: dt.date) -> dt.date:
    return today.replace(year=today.year + PLANNING_YEARS, day=min(today.day, 28))
