"""The format's words, written once.

The schema, the CLI's choices, the plugin's options, the rules, the
aggregation and the pages all read them from here: a new severity or status is
one edit. Order matters where a tuple says so. (Slugs of the taxonomy are data,
in schema/taxonomy.yaml.)
"""

from __future__ import annotations

import datetime as dt
import functools
import re

# A postmortem's status, in the order it moves through them. A missing or
# unknown status counts as the first: rules then ask the least of it.
STATUSES = ("draft", "review", "final")

# Least to most severe; a near-miss is an incident that harmed no one.
SEVERITIES = ("near-miss", "low", "medium", "high", "critical")
NEAR_MISS = "near-miss"
SERIOUS_SEVERITIES = ("high", "critical")

# Who may read a postmortem, in order of widening audience: a build for an
# audience shows postmortems of its own visibility and of those before it.
VISIBILITIES = ("public", "internal", "restricted")
PUBLIC = VISIBILITIES[0]
DEFAULT_VISIBILITY = "internal"
DEFAULT_AUDIENCE = "internal"

# Keys whose values are ids of other postmortems: each must exist, and each is
# filtered by audience before anything reads it.
REFERENCE_KEYS = ("related", "not_similar")
PRIORITIES = ("low", "medium", "high", "critical")

# An action is open until it is done or dropped; a missing or unknown status
# is open too, so a typo never hides an overdue action.
OPEN_ACTION_STATUSES = ("planned", "in-progress")
CLOSED_ACTION_STATUSES = ("done", "dropped")
ACTION_STATUSES = OPEN_ACTION_STATUSES + CLOSED_ACTION_STATUSES

APPROVAL_ROLES = ("manager", "security-lead", "legal", "privacy", "product", "other")

# The timeline's steps in the order they happen, with the labels pages show.
# All but the planned one are events that happened.
TIMELINE = {
    "triggered": "T0 triggered",
    "detected": "T1 detected",
    "contained": "T2 contained",
    "remediated": "T3 remediated",
    "long_term": "T4 long-term fix",
}
PLANNED_STEP = "long_term"

# The triage checklist: each question's key, and the question people read.
TRIAGE = {
    "direct_harm": "Did anyone come to harm, or could they have?",
    "sensitive_data": "Was personal or confidential data involved?",
    "anomalous_traffic": "Was there unusual volume or a pattern of requests?",
    "assets_exposed": "Were models, prompts, keys or data exposed?",
    "reproducible": "Can it be made to happen again?",
    "ood_or_recent_update": "New kind of input, or a recent change?",
    "prior_similar": "Has something similar happened before?",
}

TITLE_LENGTH = (10, 120)  # fewest and most characters
DEFAULT_ID_PREFIX = "AIPM"
# Three or more digits, as the format says, but not so many that the id stops
# fitting in a file name or a URL: nine allow a billion postmortems a year.
ID_DIGITS = (3, 9)
# Each system gets a page: bounded, so a file cannot make a build write millions.
MAX_SYSTEMS, SYSTEM_NAME_LENGTH = 50, 100


def statuses_from(minimum: str) -> tuple[str, ...]:
    """`minimum` and the statuses after it."""
    return STATUSES[STATUSES.index(minimum) :]


def status_at_least(status: object, minimum: str) -> bool:
    """Whether a postmortem with `status` has reached `minimum` (a known status)."""
    reached = STATUSES.index(status) if status in STATUSES else 0
    return reached >= STATUSES.index(minimum)


def is_visible(visibility: object, audience: str) -> bool:
    """Whether `audience` may read a postmortem of `visibility`; an unknown
    visibility is treated as narrower than every audience."""
    if visibility not in VISIBILITIES:
        return False
    return VISIBILITIES.index(visibility) <= VISIBILITIES.index(audience)


def is_open(action_status: object) -> bool:
    return action_status not in CLOSED_ACTION_STATUSES


def is_overdue(action_status: object, due: dt.date | None, today: dt.date) -> bool:
    """Past its due date and neither done nor dropped."""
    return is_open(action_status) and due is not None and due < today


def slug(text: str, max_length: int | None = None, empty: str = "unnamed") -> str:
    """Lower-case letters and digits joined by `-`: for file names and URLs.
    Cut at a word boundary when longer than `max_length`."""
    words = re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")
    if max_length is not None and len(words) > max_length:
        words = words[: max_length + 1].rsplit("-", 1)[0]
    return words or empty


@functools.lru_cache(maxsize=4096)
def name_key(name: str) -> str:
    """What two spellings of one name share: `Chat API` and `chat-api` name one
    system. Case, spaces and punctuation aside; letters of any script kept."""
    return re.sub(r"[\W_]+", "-", name.casefold()).strip("-") or name.strip()
