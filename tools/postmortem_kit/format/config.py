"""Configuration from `[tool.postmortem]` in the repository's pyproject.toml.

Everything has a default, so the toolkit works in any repository with no
configuration at all.
"""

from __future__ import annotations

import re
import tomllib
from pathlib import Path
from typing import Any, NamedTuple

from postmortem_kit.format.taxonomy import DEFAULT_PATH as DEFAULT_TAXONOMY
from postmortem_kit.format.vocabulary import DEFAULT_ID_PREFIX, PRIORITIES, VISIBILITIES

LEVELS = ("error", "warning", "off")
_KEYS = {
    "id_prefix",
    "postmortems",
    "taxonomy",
    "audience",
    "rules",
    "per-path-ignores",
    "similar-within-days",
    "action-due-within-days",
}
# How long before a postmortem an earlier similar one still counts (`unlinked-similar`).
SIMILAR_WITHIN_DAYS = 365
# The latest due date of an action, in days after `identified`, by priority (`action-due-target`).
ACTION_DUE_WITHIN_DAYS = {"critical": 28, "high": 90}  # medium and low: no target unless set


class ConfigError(Exception):
    """The configuration cannot be used; the message says where and what to do."""


class Config(NamedTuple):
    root: Path
    id_prefix: str = DEFAULT_ID_PREFIX
    postmortems: str = "postmortems"
    taxonomy: Path = DEFAULT_TAXONOMY
    audience: str | None = None  # who exports and pages are for, unless told
    rule_levels: dict[str, str] = {}
    per_path_ignores: dict[str, tuple[str, ...]] = {}
    similar_within_days: int = SIMILAR_WITHIN_DAYS
    action_due_within_days: dict[str, int] = ACTION_DUE_WITHIN_DAYS

    @property
    def postmortems_dir(self) -> Path:
        return self.root / self.postmortems


def find_root(start: Path) -> Path:
    """The repository root: where pyproject.toml configures us, else the git top."""
    start = start.resolve()
    for folder in (start, *start.parents):
        if _postmortem_table(folder / "pyproject.toml") is not None:
            return folder
    for folder in (start, *start.parents):
        if (folder / ".git").exists():
            return folder
    return start


def load_config(root: Path) -> Config:
    """The configuration; rule names are lint's to check (`lint.selection`)."""
    source = root / "pyproject.toml"
    table = _postmortem_table(source) or {}
    where = f"{source}: [tool.postmortem]"
    unknown = set(table) - _KEYS
    if unknown:
        raise ConfigError(
            f"{where}: unknown key(s) {', '.join(sorted(unknown))}; "
            f"known keys are {', '.join(sorted(_KEYS))}"
        )

    prefix = table.get("id_prefix", DEFAULT_ID_PREFIX)
    if not isinstance(prefix, str) or not re.fullmatch(r"[A-Z]+", prefix):
        raise ConfigError(f'{where}: id_prefix must be capital letters, like "AIPM"')
    folder = table.get("postmortems", "postmortems")
    if not isinstance(folder, str) or not folder:
        raise ConfigError(f'{where}: postmortems must be a folder name, like "postmortems"')
    taxonomy = DEFAULT_TAXONOMY
    if "taxonomy" in table:
        taxonomy = root / str(table["taxonomy"])
        if not taxonomy.is_file():
            raise ConfigError(f"{where}: taxonomy file {taxonomy} does not exist")

    levels = table.get("rules", {})
    if not isinstance(levels, dict):
        raise ConfigError(f'{where}.rules must be a table of rule = "error|warning|off"')
    for rule, level in levels.items():
        if level not in LEVELS:
            raise ConfigError(f"{where}.rules: {rule} = {level!r}; use one of {', '.join(LEVELS)}")

    ignores = table.get("per-path-ignores", {})
    if not isinstance(ignores, dict):
        raise ConfigError(f'{where}.per-path-ignores must be a table of "glob" = [rules]')
    for pattern, rules in ignores.items():
        if not isinstance(rules, list) or not all(isinstance(r, str) for r in rules):
            raise ConfigError(f'{where}.per-path-ignores: "{pattern}" needs a list of rules')

    audience = table.get("audience")
    if audience is not None and audience not in VISIBILITIES:
        raise ConfigError(f"{where}: audience must be one of {', '.join(VISIBILITIES)}")
    within = table.get("similar-within-days", SIMILAR_WITHIN_DAYS)
    if not _is_days(within):
        raise ConfigError(f"{where}: similar-within-days must be a whole number of days, like 365")
    targets = table.get("action-due-within-days", {})
    if not isinstance(targets, dict) or not all(
        priority in PRIORITIES and _is_days(days) for priority, days in targets.items()
    ):
        raise ConfigError(
            f"{where}.action-due-within-days must be a table of priority = days, "
            f"with priorities {', '.join(PRIORITIES)}, like critical = 28"
        )

    return Config(
        root=root,
        id_prefix=prefix,
        postmortems=folder,
        taxonomy=taxonomy,
        audience=audience,
        rule_levels=dict(levels),
        per_path_ignores={pattern: tuple(rules) for pattern, rules in ignores.items()},
        similar_within_days=within,
        action_due_within_days={**ACTION_DUE_WITHIN_DAYS, **targets},
    )


def _is_days(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and 0 < value <= 36_500


def _postmortem_table(pyproject: Path) -> dict[str, Any] | None:
    try:
        with pyproject.open("rb") as f:
            document = tomllib.load(f)
    except FileNotFoundError:
        return None
    except (OSError, tomllib.TOMLDecodeError) as e:
        raise ConfigError(f"{pyproject}: cannot read it: {e}") from None
    table = document.get("tool", {}).get("postmortem")
    if table is not None and not isinstance(table, dict):
        raise ConfigError(f"{pyproject}: [tool.postmortem] must be a table")
    return table
