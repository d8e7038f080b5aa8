"""`postmortem new`: the next free id and a fresh draft from the template."""

from __future__ import annotations

import datetime as dt
import json
import re
from collections.abc import Iterable
from importlib.resources import files
from pathlib import Path

from jinja2 import Template

TEMPLATE = files("postmortem_kit").joinpath("templates", "postmortem.md").read_text("utf-8")

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
    pattern = re.compile(rf"{re.escape(prefix)}-{year}-([0-9]{{3,}})(?![0-9])")
    numbers = [int(m.group(1)) for name in taken if (m := pattern.match(name))]
    return f"{prefix}-{year}-{max(numbers, default=0) + 1:03d}"


def slugify(title: str, max_length: int = 50) -> str:
    slug = re.sub(r"[^a-z0-9]+", "-", title.lower()).strip("-")
    if len(slug) > max_length:  # cut at a word boundary
        slug = slug[: max_length + 1].rsplit("-", 1)[0]
    return slug or "postmortem"


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
    path = folder / str(year) / f"{pm_id}-{slugify(title)}.md"
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("x", encoding="utf-8", newline="\n") as f:
        f.write(text)
    return path


def _yaml_string(text: str) -> str:
    # a JSON string is a valid YAML double-quoted scalar, whatever it holds
    return json.dumps(" ".join(text.split()), ensure_ascii=False)
