"""Rules on the Markdown body: its sections and what is left of the template."""

from __future__ import annotations

import re
from collections.abc import Iterable

from postmortem_kit.format.read import Postmortem
from postmortem_kit.lint.rules.base import Context, Problem, at_least, rule

SECTIONS_FROM_REVIEW = ("Summary",)
SECTIONS_IN_FINAL = (
    "Summary",
    "Impact",
    "Timeline",
    "Root cause analysis",
    "Containment",
    "Remediation",
    "Lessons learned",
    "Communication",
    "Monitoring",
)
# TODO/TBD as words, and template prompts such as "<Describe the impact on users.>":
# a capital, then words with spaces, so HTML tags and <https://autolinks> do not match.
# (The lookahead lets re skip to a T or a <: twice as fast on a whole file.)
PLACEHOLDER = re.compile(r"(?=[T<])(?:\b(TODO|TBD)\b|<[A-Z][a-z]* [^<>\n]*>)")


def required_sections(status: str) -> tuple[str, ...]:
    return {"final": SECTIONS_IN_FINAL, "review": SECTIONS_FROM_REVIEW}.get(status, ())


@rule("missing-section", "error")
def check_missing_sections(postmortem: Postmortem, context: Context) -> Iterable[Problem]:
    """A body section the status requires."""
    status = postmortem.status
    since = "final" if status == "final" else "review"
    line = min(postmortem.body_line, postmortem.text.count("\n") + 1)
    for title in required_sections(status):
        if postmortem.section(title) is None:
            needed = "review" if title in SECTIONS_FROM_REVIEW else since
            yield Problem(line, 1, f"missing section '## {title}' (required from status {needed})")


@rule("placeholder", "error")
def check_placeholders(postmortem: Postmortem, context: Context) -> Iterable[Problem]:
    """In `final`: template text left in."""
    if not at_least(postmortem, "final"):
        return
    for match in PLACEHOLDER.finditer(postmortem.text):
        yield Problem.at(
            postmortem.text_position(match.start()),
            f"placeholder '{match.group(0)[:40]}' left in a final postmortem: replace it "
            "with what happened",
        )


@rule("lessons-count", "warning")
def check_lessons_count(postmortem: Postmortem, context: Context) -> Iterable[Problem]:
    """In `final`: Lessons learned without two to four list items."""
    section = postmortem.section("Lessons learned")
    if at_least(postmortem, "final") and section and not 2 <= len(section.items) <= 4:
        yield Problem(
            section.line,
            1,
            f"'Lessons learned' has {len(section.items)} list items: keep the two to four "
            "that matter most, one per item",
        )
