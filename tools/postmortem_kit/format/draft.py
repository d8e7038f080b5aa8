"""`postmortem new`: the next free id and a fresh draft from the template."""

from __future__ import annotations

import datetime as dt
import json
import os
import re
import unicodedata
from collections.abc import Iterable
from pathlib import Path

from jinja2 import Template

from postmortem_kit.format.collection import bulk_reading, find_postmortem_files
from postmortem_kit.format.read import read_id_only, read_postmortem
from postmortem_kit.format.vocabulary import TITLE_LENGTH, slug

TEMPLATE = (Path(__file__).parent / "templates" / "postmortem.md").read_text("utf-8")

FILE_NAME_WORDS = 50  # characters of the title's slug in a new file's name

# What the plain `_template.md` shows where `postmortem new` fills in values.
BLANK = {
    "id": "AIPM-YYYY-NNN",
    "title": '"<Write a one-line title: what went wrong, where>"',
    "severity": "medium",
    "identified": "YYYY-MM-DD",
    "reported_by": '"<Name the team or person who reported it>"',
    "incident_types": "[]  # one or more; `postmortem taxonomy` lists them",
}


def next_id(prefix: str, year: int, taken: Iterable[str]) -> str:
    """One above the highest number of that prefix and year; numbers are never reused.

    `taken` holds ids, or file names that start with one.
    """
    # the format's ids have a four-digit year: year 999 is 0999, never 999
    pattern = re.compile(rf"{re.escape(prefix)}-{year:04d}-([0-9]{{3,}})(?![0-9])")
    numbers = [int(m.group(1)) for name in taken if (m := pattern.match(name))]
    return f"{prefix}-{year:04d}-{max(numbers, default=0) + 1:03d}"


def ids_in_folder(folder: Path) -> list[str]:
    """What the working tree already uses under `folder`: the name of every file
    and folder, and the id in every postmortem's front matter.

    Names count because a draft whose YAML is broken still holds its number
    (and its file name), and so do attachments such as `AIPM-2026-004-log.txt`.
    """
    names = [name for _, dirs, found in os.walk(folder) for name in (*dirs, *found)]
    with bulk_reading():
        ids = [_id_of(path) for path in find_postmortem_files(folder)]
    return names + [pm_id for pm_id in ids if pm_id]


def _id_of(path: Path) -> str | None:
    pm_id = read_postmortem(path, positions=False).data.get("id")
    if not isinstance(pm_id, str):  # unreadable YAML: its `id:` line may still say
        pm_id = read_id_only(path, path.name).data.get("id")
    return pm_id if isinstance(pm_id, str) else None


def one_line(text: str) -> str:
    """Runs of whitespace, line breaks and tabs included, become one space."""
    return " ".join(text.split())


def character_problem(text: str) -> str | None:
    """What is wrong with the first character that no front matter should hold.

    Line breaks and tabs are gone once the text is `one_line`. A control
    character left (BEL, DEL, the C1 controls) is invisible, and YAML forbids
    most of them; a lone surrogate is not text at all (bytes that were not
    UTF-8); noncharacters (U+FFFE…) are not for interchange. Format characters
    such as a zero-width joiner are allowed: emoji and some scripts need them.
    """
    for char in text:
        kind = _forbidden_kind(char)
        if kind:
            return f"has {kind}: remove it"
    return None


def _forbidden_kind(char: str) -> str | None:
    code = ord(char)
    category = unicodedata.category(char)
    if category == "Cc":
        return f"a control character U+{code:04X}"
    if category == "Cs":  # how Python shows a byte that is not UTF-8 (in arguments)
        return f"a byte that is not UTF-8 (U+{code:04X})"
    if 0xFDD0 <= code <= 0xFDEF or (code & 0xFFFE) == 0xFFFE:  # U+FFFE, U+1FFFF…
        return f"a noncharacter U+{code:04X}"
    return None


def title_problem(title: str) -> str | None:
    """Why a (one-line) title would fail lint, or None."""
    shortest, longest = TITLE_LENGTH
    if not shortest <= len(title) <= longest:
        return f"needs {shortest} to {longest} characters (it has {len(title)})"
    return character_problem(title)


def reported_by_problem(reported_by: str) -> str | None:
    """Why a (one-line) reported-by text would fail lint, or None."""
    if not reported_by:
        return "is empty: name the team or person who reported it"
    return character_problem(reported_by)


def render_new(
    pm_id: str,
    title: str,
    severity: str,
    incident_types: list[str],
    reported_by: str,
    identified: dt.date,
) -> str:
    return Template(TEMPLATE, keep_trailing_newline=True).render(
        id=pm_id,
        title=_yaml_string(title),
        severity=severity,
        identified=identified.isoformat(),
        reported_by=_yaml_string(reported_by),
        incident_types="[" + ", ".join(incident_types) + "]",
    )


def render_blank() -> str:
    return Template(TEMPLATE, keep_trailing_newline=True).render(**BLANK)


def write_new(folder: Path, pm_id: str, title: str, text: str, year: int) -> Path:
    """Write the draft; never overwrite a file that is already there."""
    path = folder / str(year) / f"{pm_id}-{slug(title, FILE_NAME_WORDS, empty='postmortem')}.md"
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("x", encoding="utf-8", newline="\n") as f:
        f.write(text)
    return path


# What YAML lets a file hold as it is (its printable set, as libyaml reads it).
_NOT_YAML_PRINTABLE = re.compile(
    r"[^\t\n\r\x20-\x7e\x85\xa0-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]"
)


def _yaml_string(text: str) -> str:
    """A YAML double-quoted scalar of `text` on one line.

    A JSON string is one, except that JSON leaves DEL, the C1 controls and
    U+FFFE/U+FFFF raw, and YAML refuses those raw: they are escaped too.
    (Lone surrogates cannot be written at all: `character_problem` refuses them.)
    """
    quoted = json.dumps(one_line(text), ensure_ascii=False)
    return _NOT_YAML_PRINTABLE.sub(lambda m: f"\\u{ord(m.group()):04X}", quoted)
