"""The text every export takes from a postmortem, and the one way it writes
JSON: a section's Markdown, the ids of postmortems the audience may not read
withheld wherever a text names one, and JSON that is safe to paste.
"""

from __future__ import annotations

import json
import re
from typing import Any, TypeVar, cast

from postmortem_kit.format.read import Postmortem
from postmortem_kit.format.schema import id_pattern
from postmortem_kit.site.aggregate import Aggregate

# In place of the id of a postmortem that is not shown, wherever a text names one.
WITHHELD = "[not disclosed]"

# Written as `\u` escapes in JSON: characters some readers take for a line
# break, and those that mean something in a page.
JSON_ESCAPED = "<>&\x85\u2028\u2029"

Record = TypeVar("Record")


def section_text(postmortem: Postmortem, title: str) -> str:
    """The Markdown under the H2 `title`, up to the next H1 or H2; "" without one."""
    section = postmortem.section(title)
    if section is None:
        return ""
    lines = postmortem.text.split("\n")
    later = [s.line for s in postmortem.sections if s.line > section.line]
    body = lines[section.line : (min(later) - 1 if later else len(lines))]
    if body and re.fullmatch(r" {0,3}(-+|=+)\s*", body[0]):  # a setext heading's underline
        body = body[1:]
    return "\n".join(_before_h1(body)).strip()


def _before_h1(lines: list[str]) -> list[str]:
    """The lines before a level-1 heading that is not inside a fenced block."""
    fence = ""
    for index, line in enumerate(lines):
        opening = re.match(r" {0,3}(`{3,}|~{3,})", line)
        if fence:
            if opening and opening.group(1)[0] == fence[0] and len(opening.group(1)) >= len(fence):
                fence = ""
        elif opening:
            fence = opening.group(1)
        elif re.match(r" {0,3}#(\s|$)", line):
            return lines[:index]
        elif index and lines[index - 1].strip() and re.fullmatch(r" {0,3}=+\s*", line):
            return lines[: index - 1]
    return lines


def narrative(postmortem: Postmortem, titles: tuple[str, ...]) -> str:
    """The sections `titles` that the postmortem has, each under its heading."""
    parts = []
    for title in titles:
        text = section_text(postmortem, title)
        if text:
            parts.append(f"## {title}\n\n{text}")
    return "\n\n".join(parts)


def withhold_hidden_ids(record: Record, aggregate: Aggregate) -> Record:
    """`record` (text, or lists and mappings of it) with every id of a
    postmortem outside `aggregate` replaced by `WITHHELD`: the one rule for
    every export.

    Free text may name a postmortem the audience may not read ("as in
    AIPM-2025-003"): `related` is already filtered, prose is filtered here.
    An id is anything shaped like one (the schema's id pattern) with the
    prefix of the shown ids (a repository's ids share its prefix); shown ids stay.
    """
    shown = set(aggregate.by_id)
    prefixes = sorted({pm_id.split("-")[0] for pm_id in shown}, key=len, reverse=True)
    if not prefixes:
        return record
    prefix = f"(?:{'|'.join(map(re.escape, prefixes))})"
    pattern = re.compile(id_pattern(prefix).removeprefix("^").removesuffix("$"))

    def withhold(value: Any) -> Any:
        if isinstance(value, str):
            return pattern.sub(lambda m: m[0] if m[0] in shown else WITHHELD, value)
        if isinstance(value, dict):
            return {withhold(k): withhold(v) for k, v in value.items()}
        if isinstance(value, list):
            return [withhold(v) for v in value]
        return value

    return cast(Record, withhold(record))


def json_text(value: Any, indent: int | None = None) -> str:
    """JSON of `value` with the characters of `JSON_ESCAPED` as `\\u` escapes:
    the same values, on one line unless `indent` is given, and safe even
    where a tool pastes them into a page."""
    text = json.dumps(value, ensure_ascii=False, indent=indent)
    for char in JSON_ESCAPED:
        if char in text:
            text = text.replace(char, f"\\u{ord(char):04x}")
    return text
