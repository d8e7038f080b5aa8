"""Every lint rule of the format, registered by family."""

from __future__ import annotations

from postmortem_kit.lint.rules import (  # noqa: F401  (importing registers the rules)
    accountability,
    body,
    narrative,
    repository,
    schema,
    sensitive,
    values,
)
from postmortem_kit.lint.rules.base import RULES, Context, Rule, reported_elsewhere

reported_elsewhere("unreadable-file", "The file cannot be read as text (size, encoding).")
reported_elsewhere(
    "unsafe-file", "Not a regular file, or a link that resolves outside the repository."
)
reported_elsewhere("missing-front-matter", "The file does not start with YAML front matter.")
reported_elsewhere(
    "yaml-syntax", "Front matter that is not valid YAML, or uses anchors or deep nesting."
)
reported_elsewhere("duplicate-key", "A key appears twice in one mapping.")
reported_elsewhere("yaml-boolean", "yes/no/on/off used where true/false is meant.")
reported_elsewhere("unknown-key", "A key the format does not have (typos must not pass silently).")

__all__ = ["RULES", "Context", "Rule"]
