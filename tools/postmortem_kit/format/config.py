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
from postmortem_kit.format.vocabulary import DEFAULT_ID_PREFIX

LEVELS = ("error", "warning", "off")
_KEYS = {"id_prefix", "postmortems", "taxonomy", "rules", "per-path-ignores"}


class ConfigError(Exception):
    """The configuration cannot be used; the message says where and what to do."""


class Config(NamedTuple):
    root: Path
    id_prefix: str = DEFAULT_ID_PREFIX
    postmortems: str = "postmortems"
    taxonomy: Path = DEFAULT_TAXONOMY
    rule_levels: dict[str, str] = {}
    per_path_ignores: dict[str, tuple[str, ...]] = {}

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

    return Config(
        root=root,
        id_prefix=prefix,
        postmortems=folder,
        taxonomy=taxonomy,
        rule_levels=dict(levels),
        per_path_ignores={pattern: tuple(rules) for pattern, rules in ignores.items()},
    )


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
