"""What a lint rule is, and the registry every rule module adds itself to.

A rule is a small function `(Postmortem, Context) -> Iterable[Problem]`. It
says where and what; the runner adds the path, the rule id and the level (the
rule's default, or what the configuration says).
"""

from __future__ import annotations

import datetime as dt
import difflib
from collections.abc import Callable, Iterable
from typing import Any, NamedTuple

from postmortem_kit.format.collection import Collection
from postmortem_kit.format.read import Position, Postmortem
from postmortem_kit.format.schema import SchemaValidator
from postmortem_kit.format.taxonomy import Taxonomy
from postmortem_kit.format.vocabulary import status_at_least
from postmortem_kit.git.history import FileHistory


class Problem(NamedTuple):
    line: int
    column: int
    message: str
    rule: str = ""  # set where one check reports under a second rule id
    level: str = ""  # set where a rule raises its level for this finding (raw-html)

    @classmethod
    def at(cls, where: Position, message: str, rule: str = "", level: str = "") -> Problem:
        return cls(where[0], where[1], message, rule, level)


class Context(NamedTuple):
    """What rules may consult besides the postmortem itself."""

    collection: Collection
    taxonomy: Taxonomy
    validator: SchemaValidator
    today: dt.date
    now: dt.datetime
    history: dict[str, FileHistory] | None  # by display path; None outside git


Check = Callable[[Postmortem, Context], Iterable[Problem]]


class Rule(NamedTuple):
    id: str
    level: str
    summary: str
    check: Check | None  # None: reported while reading the file
    needs_front_matter: bool = True


RULES: dict[str, Rule] = {}


def rule(rule_id: str, level: str, *, needs_front_matter: bool = True) -> Callable[[Check], Check]:
    """Register a check; its docstring's first line is the rule's summary."""

    def register(check: Check) -> Check:
        summary = (check.__doc__ or "").strip().splitlines()[0]
        RULES[rule_id] = Rule(rule_id, level, summary, check, needs_front_matter)
        return check

    return register


def reported_elsewhere(rule_id: str, summary: str) -> None:
    """Register a rule whose findings come from reading the file or from another check."""
    RULES[rule_id] = Rule(rule_id, "error", summary, None)


def at_least(postmortem: Postmortem, status: str) -> bool:
    return status_at_least(postmortem.status, status)


def dicts(value: Any) -> list[tuple[int, dict[str, Any]]]:
    """The mappings of a list, with their indexes; anything else is skipped."""
    if not isinstance(value, list):
        return []
    return [(i, item) for i, item in enumerate(value) if isinstance(item, dict)]


def field(path: tuple[str | int, ...]) -> str:
    """`('root_causes', 0, 'evidence')` -> `root_causes[0].evidence`."""
    text = ""
    for step in path:
        text += f"[{step}]" if isinstance(step, int) else (f".{step}" if text else step)
    return text or "front matter"


def did_you_mean(value: Any, options: Iterable[str]) -> str | None:
    """The option closest to a short mistyped value, if any is close.

    Long values are never compared: difflib takes quadratic time on them, and
    nobody mistypes an id or a slug as a page of text.
    """
    if not isinstance(value, str) or len(value) > 64:
        return None
    close = difflib.get_close_matches(value, list(options), n=1, cutoff=0.6)
    return close[0] if close else None
