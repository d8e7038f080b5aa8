"""Reading a file: positions, dates as strings, and hostile input handled calmly."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from helpers import FINAL
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from postmortem_kit.format.collection import Collection
from postmortem_kit.format.config import Config
from postmortem_kit.format.read import MAX_BYTES, parse_postmortem
from postmortem_kit.format.schema import SchemaValidator, build_schema
from postmortem_kit.format.taxonomy import load_taxonomy
from postmortem_kit.lint.rules import Context
from postmortem_kit.lint.runner import lint_postmortem
from postmortem_kit.lint.selection import Selection

TAXONOMY = load_taxonomy()
CONTEXT = Context(
    collection=Collection([]),
    config=Config(root=Path(".")),
    taxonomy=TAXONOMY,
    validator=SchemaValidator(build_schema(TAXONOMY)),
    today=dt.date(2026, 1, 1),
    now=dt.datetime(2026, 1, 1, tzinfo=dt.UTC),
    first_commits=None,
)
SELECTION = Selection({}, {})


def read(text: str | bytes):
    return parse_postmortem(text.encode() if isinstance(text, str) else text, "p.md")


def rules_of(postmortem) -> list[str]:
    return [f.rule for f in postmortem.problems]


def test_values_and_positions() -> None:
    pm = read(FINAL)
    assert pm.data["identified"] == "2025-02-11"  # a string, not a date object
    assert pm.data["timeline"]["triggered"] == "2025-02-03T08:00:00Z"
    assert pm.data["impact"]["users_affected"] == 412
    assert pm.data["triage"]["direct_harm"] is True
    assert pm.value_positions[("severity",)] == (5, 11)
    assert pm.key_positions[("timeline", "detected")] == (28, 3)
    assert pm.value_positions[("root_causes", 1, "pattern")] == (41, 14)
    assert pm.position(("timeline", "missing"), key=True) == (26, 1)
    assert [s.title for s in pm.sections][:3] == ["Summary", "Impact", "Timeline"]
    assert pm.section("lessons LEARNED").line == 142
    assert pm.section("Lessons learned").items == (
        "An assistant that may answer without a source will, confidently.",
        "Data pipelines that feed a model need the same release gates as the model.",
        "Open questions in a launch review need an owner and a date.",
    )


def test_crlf_and_bom_keep_the_same_lines() -> None:
    pm = read(b"\xef\xbb\xbf" + FINAL.replace("\n", "\r\n").encode())
    assert pm.problems == ()
    assert pm.value_positions[("severity",)] == (5, 11)
    assert pm.section("Impact").line == 110


def test_yaml_12_scalars() -> None:
    pm = read("---\na: on\nb: 'on'\nc: 0x1F\nd: 1.5\ne: ~\nf: 2026-03-02\ng: !!str 12\n---\n")
    assert pm.data == {
        "a": True,
        "b": "on",
        "c": 31,
        "d": 1.5,
        "e": None,
        "f": "2026-03-02",
        "g": "12",
    }
    assert rules_of(pm) == ["yaml-boolean"]


def test_headings_in_code_blocks_and_setext_headings() -> None:
    pm = read("---\nid: x\n---\n```\n## Not a heading\n```\n\nImpact\n------\n\n- a\n- b\n")
    assert [(s.title, s.line, s.items) for s in pm.sections] == [("Impact", 8, ("a", "b"))]


def test_alias_expansion_bomb_is_refused_at_the_first_alias() -> None:
    """Expanded, the bomb would be 9 x 4**10 values (9.4 million): the reader
    refuses the first alias it meets, so expands none. Nothing is timed here;
    fuzz/hostile.py (make fuzz, and tests/test_fuzz.py) generates alias bombs
    and fails any file that takes 10 s."""
    bomb = "---\na: &a [x, x, x, x, x, x, x, x, x]\n"
    for level in "bcdefghijk":
        previous = chr(ord(level) - 1)
        bomb += f"{level}: &{level} [*{previous}, *{previous}, *{previous}, *{previous}]\n"
    pm = read(bomb + "---\n")
    assert [(f.rule, f.line) for f in pm.problems] == [("yaml-syntax", 2)]  # the anchor
    assert "anchors and aliases" in pm.problems[0].message


def test_deep_nesting_is_refused() -> None:
    deep = "---\na: " + "[" * 200 + "]" * 200 + "\n---\n"
    pm = read(deep)
    assert rules_of(pm) == ["yaml-syntax"]
    assert "nested deeper than" in pm.problems[0].message


def test_oversized_file_is_refused_without_parsing() -> None:
    pm = read(b"---\nid: x\n---\n" + b"a" * (MAX_BYTES + 1))
    assert rules_of(pm) == ["unreadable-file"]
    assert "over the 1,048,576 byte limit" in pm.problems[0].message


def test_unclosed_front_matter_and_non_mapping() -> None:
    assert read("---\nid: x\n").problems[0].message.startswith("front matter opened on line 1")
    pm = read("---\n- a list\n---\n")
    assert [(f.rule, f.line, f.column) for f in pm.problems] == [("yaml-syntax", 2, 1)]


def test_yaml_error_points_into_the_file() -> None:
    pm = read("---\nid: x\ntitle: a: b\n---\n")
    assert [(f.rule, f.line, f.column) for f in pm.problems] == [("yaml-syntax", 3, 9)]


def lint_text(raw: bytes) -> None:
    postmortem = parse_postmortem(raw, "fuzz.md")
    for finding in lint_postmortem(postmortem, CONTEXT, SELECTION):
        assert finding.line >= 1 and finding.column >= 1


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.binary(max_size=2000))
def test_arbitrary_bytes_never_raise(raw: bytes) -> None:
    lint_text(raw)
    lint_text(b"---\n" + raw)
    lint_text(b"---\n" + raw + b"\n---\n## Summary\n")


LINES = FINAL.split("\n")


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    st.lists(st.integers(0, len(LINES) - 1), max_size=6),
    st.text(alphabet=":-[]{}&*!|>'\"#? \nyes0123456789TZabc", max_size=30),
)
def test_mangled_postmortems_never_raise(positions: list[int], junk: str) -> None:
    """A real postmortem with some lines replaced by YAML-ish junk."""
    lines = list(LINES)
    for i in positions:
        lines[i] = lines[i][: len(lines[i]) // 2] + junk
    lint_text("\n".join(lines).encode())
