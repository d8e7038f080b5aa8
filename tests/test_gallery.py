"""The sample postmortems: realistic, complete coverage of the format, all clean."""

from __future__ import annotations

import datetime as dt

from helpers import PROJECT
from postmortem_kit.format.collection import find_postmortem_files, load_collection
from postmortem_kit.format.taxonomy import load_taxonomy
from postmortem_kit.lint.runner import lint_repository
from postmortem_kit.repository import load_repository

GALLERY = load_collection(find_postmortem_files(PROJECT / "postmortems"), PROJECT)
TAXONOMY = load_taxonomy()


def values(key: str) -> set[str]:
    found: set[str] = set()
    for pm in GALLERY.postmortems:
        value = pm.data.get(key)
        found |= set(value) if isinstance(value, list) else {value}
    return found


def test_gallery_covers_the_format() -> None:
    assert len(GALLERY.postmortems) >= 12
    assert values("incident_types") == set(TAXONOMY.incident_types)
    patterns = {c["pattern"] for pm in GALLERY.postmortems for c in pm.data.get("root_causes", [])}
    assert patterns == set(TAXONOMY.patterns)
    assert values("status") == {"draft", "review", "final"}
    assert values("severity") == {"near-miss", "low", "medium", "high", "critical"}
    severities = [pm.data["severity"] for pm in GALLERY.postmortems]
    assert severities.count("near-miss") >= 2
    assert "public" in values("visibility")


def test_gallery_passes_lint() -> None:
    result = lint_repository(load_repository(PROJECT), base=PROJECT, today=dt.date(2026, 11, 29))
    assert result.findings == []
    assert result.files_checked == len(GALLERY.postmortems)
