"""What the configuration selects: each rule's level, and where a rule is ignored.

Decided here, once, against the registry: an unknown rule name is an error
that lists the known ones, and an old name (an alias) counts as the rule's id.
"""

from __future__ import annotations

from fnmatch import fnmatch
from typing import NamedTuple

from postmortem_kit.format.config import Config, ConfigError
from postmortem_kit.format.findings import ERROR, did_you_mean
from postmortem_kit.lint.rules import RULES
from postmortem_kit.lint.rules.base import Registry, Rule

OFF = "off"
EVERY_RULE = "*"


class Selection(NamedTuple):
    levels: dict[str, str]  # rule id -> level, where the configuration sets one
    ignores: dict[str, frozenset[str]]  # path glob -> rule ids (or "*")

    @classmethod
    def of(cls, config: Config, registry: Registry = RULES) -> Selection:
        where = f"{config.root / 'pyproject.toml'}: [tool.postmortem]"
        levels = {
            _rule_id(name, registry, f"{where}.rules"): level
            for name, level in config.rule_levels.items()
        }
        ignored = f"{where}.per-path-ignores"
        ignores = {
            pattern: frozenset(
                n if n == EVERY_RULE else _rule_id(n, registry, ignored) for n in names
            )
            for pattern, names in config.per_path_ignores.items()
        }
        return cls(levels, ignores)

    def level(self, rule_id: str, default: str) -> str:
        return self.levels.get(rule_id, default)

    def is_on(self, rule: Rule) -> bool:
        return self.level(rule.id, rule.level) != OFF

    def may_fail(self, rule: Rule) -> bool:
        """Whether `rule` can report an error here: what deciding pass or fail needs."""
        for rule_id in (rule.id, *rule.reports):
            default = ERROR if rule.escalates else RULES[rule_id].level
            if self.level(rule_id, default) == ERROR:
                return True
        return False

    def ignored(self, path: str, rule_id: str) -> bool:
        return any(
            rule_id in rules or EVERY_RULE in rules
            for pattern, rules in self.ignores.items()
            if fnmatch(path, pattern)
        )


def _rule_id(name: str, registry: Registry, where: str) -> str:
    if name in registry.names:
        return registry.names[name]
    hint = did_you_mean(name, registry.names)
    raise ConfigError(
        f"{where}: no rule named {name!r}{hint}; run `postmortem rules` to list them. "
        f"Known rules: {', '.join(sorted(registry))}"
    )
