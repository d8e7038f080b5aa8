"""Rules whose findings come from reading the file (format/read.py)."""

from __future__ import annotations

from postmortem_kit.lint.rules.base import Rule

unreadable_file = Rule(
    "unreadable-file", "error", "The file is not UTF-8 text, or is over 1 MiB.", None
)
unsafe_file = Rule(
    "unsafe-file",
    "error",
    "Not a regular file (a device, pipe or socket), or a link that resolves outside the "
    "repository: never read, never published.",
    None,
)
missing_front_matter = Rule(
    "missing-front-matter", "error", "The file does not start with a `---` line.", None
)
yaml_syntax = Rule(
    "yaml-syntax",
    "error",
    "Front matter that is not valid YAML, never closed, not a mapping, or uses anchors or "
    "deep nesting.",
    None,
)
duplicate_key = Rule(
    "duplicate-key", "error", "A key twice in one mapping.", None, outranks_schema=True
)
yaml_boolean = Rule(
    "yaml-boolean",
    "error",
    "`yes`/`no`/`on`/`off` where `true`/`false` is meant.",
    None,
    outranks_schema=True,
)
