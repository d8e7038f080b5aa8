"""What a lint rule is, and the registry of them.

A rule's check is a small function `(Postmortem, Context) -> Iterable[Problem]`.
It says where and what; the runner adds the path, the rule id and the level
(the rule's default, or what the configuration says). Everything else about a
rule (its level, which ids it reports, whether it reads git history, its old
names) is declared where the rule is defined, with `@rule`.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable, Iterator, Mapping
from typing import Any, NamedTuple

from postmortem_kit.format.collection import Collection
from postmortem_kit.format.config import Config
from postmortem_kit.format.findings import ERROR, WARNING
from postmortem_kit.format.read import Position, Postmortem
from postmortem_kit.format.schema import SchemaValidator
from postmortem_kit.format.taxonomy import Taxonomy
from postmortem_kit.format.vocabulary import status_at_least


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
    config: Config
    taxonomy: Taxonomy
    validator: SchemaValidator
    today: dt.date
    now: dt.datetime
    first_commits: dict[str, dt.datetime] | None  # by display path; None outside git


Check = Callable[[Postmortem, Context], Iterable[Problem]]


class Rule(NamedTuple):
    id: str
    level: str  # by default: error or warning
    summary: str  # one line, for `postmortem rules` and docs/format.md
    check: Check | None  # None: reported while reading the file, or by another rule's check
    reports: tuple[str, ...] = ()  # further rule ids the check reports under
    aliases: tuple[str, ...] = ()  # earlier ids, still accepted in configuration
    needs_history: bool = False  # reads git history: skipped outside git
    needs_front_matter: bool = True  # skipped when the front matter cannot be read
    outranks_schema: bool = False  # a schema finding at the same place only repeats it
    escalates: bool = False  # reports some findings as errors, though its level is warning


def rule(
    rule_id: str,
    level: str,
    *,
    reports: tuple[str, ...] = (),
    aliases: tuple[str, ...] = (),
    needs_history: bool = False,
    needs_front_matter: bool = True,
    outranks_schema: bool = False,
    escalates: bool = False,
) -> Callable[[Check], Rule]:
    """Make a check a rule; its docstring's first paragraph is the rule's summary."""

    def define(check: Check) -> Rule:
        first_paragraph = (check.__doc__ or "").strip().split("\n\n")[0]
        return Rule(
            rule_id,
            level,
            " ".join(first_paragraph.split()),
            check,
            reports,
            aliases,
            needs_history,
            needs_front_matter,
            outranks_schema,
            escalates,
        )

    return define


class Registry(Mapping[str, Rule]):
    """Every rule by id, from an explicit list; a mistake in the list fails at import."""

    def __init__(self, rules: Iterable[Rule]) -> None:
        self._rules: dict[str, Rule] = {}
        self.names: dict[str, str] = {}  # each id and alias -> the rule's id
        for r in rules:
            for name in (r.id, *r.aliases):
                if name in self.names:
                    raise ValueError(f"rule name {name!r} is given twice")
                self.names[name] = r.id
            self._rules[r.id] = r
        for r in self._rules.values():
            if r.level not in (ERROR, WARNING):
                raise ValueError(f"rule {r.id}: level {r.level!r} is neither error nor warning")
            for reported in r.reports:
                if reported not in self._rules:
                    raise ValueError(f"rule {r.id} reports {reported!r}, which is not a rule")

    def __getitem__(self, rule_id: str) -> Rule:
        return self._rules[rule_id]

    def __iter__(self) -> Iterator[str]:
        return iter(self._rules)

    def __len__(self) -> int:
        return len(self._rules)

    def require(self, rule_ids: Iterable[str], where: str) -> None:
        """Fail unless every id is a rule: for ids other modules report."""
        unknown = sorted(set(rule_ids) - set(self._rules))
        if unknown:
            raise ValueError(f"{where} reports {', '.join(unknown)}, not a rule")


def markdown_table(rules: Iterable[Rule]) -> str:
    """The rule table of docs/format.md."""
    rows = ["| rule | level | what it finds |", "|---|---|---|"]
    rows += [f"| `{r.id}` | {r.level} | {r.summary} |" for r in rules]
    return "\n".join(rows) + "\n"


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
