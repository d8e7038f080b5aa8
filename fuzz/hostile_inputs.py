"""Hostile postmortem files, each made deterministically from (seed, index).

`generate(seed, index)` draws one of four families with its own
`random.Random(f"{seed}:{index}")`, so any file of a run can be made again
from the two numbers alone:

- mutation: a valid file (tests/data/final.md, postmortems/**/*.md) with lines
  deleted, duplicated, swapped, re-indented, truncated, bytes inserted or a
  value changed;
- type-swap: walks the JSON Schema (`build_schema(load_taxonomy())`) and puts
  a value of another type, or an edge value of the same type, at a field's
  place in a valid file (the YAML node's span is replaced, or the key added);
- noise: random bytes, random Unicode (NUL, BOM, CR, U+2028, control
  characters, lone surrogates encoded badly), other encodings;
- known: the cases that broke parsers before: alias bombs, deep nesting,
  duplicate keys, YAML 1.1 booleans, `<!--pm-block-N-->` marks, HTML, hostile
  link targets, Markdown bombs, odd tags and keys, dates at the edges.

Every generated file gets an id of its own (`AIPM-2026-<index>`), so files do
not collide with each other or with the repository's postmortems.
"""

from __future__ import annotations

import json
import random
import re
from collections.abc import Callable
from functools import cache
from pathlib import Path
from typing import Any, NamedTuple

import yaml
from postmortem_kit.format.read import MAX_BYTES
from postmortem_kit.format.schema import build_schema
from postmortem_kit.format.taxonomy import load_taxonomy

PROJECT = Path(__file__).resolve().parent.parent
ID_PLACEHOLDER = "AIPM-2026-000000"  # as long as every fresh id: offsets stay put


class Seed(NamedTuple):
    name: str  # path in the project
    text: str  # with its id replaced by ID_PLACEHOLDER


class Sample(NamedTuple):
    raw: bytes
    family: str  # mutation | type-swap | noise | known
    recipe: str  # what was done, in a few words, for crash reports


def fresh_id(index: int) -> str:
    return f"AIPM-2026-{index:06d}"


def path_of(index: int) -> str:
    """Where a generated file lives in a repository (and in findings)."""
    return f"postmortems/2026/fuzz-{index:06d}.md"


_ID_LINE = re.compile(r"^id:.*$", re.MULTILINE)


def _load_seeds() -> tuple[Seed, ...]:
    paths = [PROJECT / "tests" / "data" / "final.md"]
    paths += sorted((PROJECT / "postmortems").rglob("*.md"))
    return tuple(
        Seed(
            p.relative_to(PROJECT).as_posix(),
            _ID_LINE.sub(f"id: {ID_PLACEHOLDER}", p.read_text(encoding="utf-8"), count=1),
        )
        for p in paths
    )


SEEDS = _load_seeds()


def seed_text(seed: Seed, index: int) -> str:
    return seed.text.replace(ID_PLACEHOLDER, fresh_id(index), 1)


def encode(text: str) -> bytes:
    """UTF-8, keeping lone surrogates as the (invalid) bytes they would be."""
    return text.encode("utf-8", "surrogatepass")


# --- hostile values: YAML text on one line, valid in block and flow context ---


def q(text: str) -> str:
    """A YAML double-quoted scalar (JSON's escapes are YAML's)."""
    return json.dumps(text)


def nested_lists(depth: int) -> str:
    return "[" * depth + "x" + "]" * depth


def nested_maps(depth: int) -> str:
    return "{a: " * depth + "x" + "}" * depth


HUGE_INT = "1" + "0" * 4999  # 5,000 digits: over Python's 4,300-digit str/int limit
TAXONOMY = load_taxonomy()
SLUGS = [
    *TAXONOMY.categories,
    *TAXONOMY.incident_types,
    *TAXONOMY.patterns,
    *TAXONOMY.manifestations,
    *TAXONOMY.lenses,
    *TAXONOMY.controls,
]

VALUES: dict[str, list[str]] = {
    "integer": [
        "0",
        "-0",
        "-1",
        "7",
        "+12",
        "0x1F",
        "0o17",
        "007",
        "9" * 19,
        "9" * 300,
        "9" * 4300,
        "9" * 4301,
        HUGE_INT,
        "-" + HUGE_INT,
    ],
    "number": [
        "1.5",
        "-0.0",
        ".5",
        "5.",
        "1e308",
        "1e309",
        "-1e309",
        "4.9e-324",
        "1e-400",
        ".inf",
        "-.inf",
        "+.inf",
        ".nan",
        ".NaN",
        ".NAN",
        "1" + "0" * 400 + ".5",
    ],
    "null": ["null", "~", "NULL"],
    "boolean": ["true", "false", "True", "FALSE"],
    "yaml11-boolean": ["yes", "no", "on", "off", "Yes", "NO", "On", "OFF"],
    "array": [
        "[]",
        "[1, 2, 3]",
        "[null]",
        "[[]]",
        "[a, [b, [c]]]",
        "[{a: 1}]",
        "[true, .nan, .inf]",
        "[yes, no]",
        "[AIPM-2025-001, AIPM-2025-001]",
        f"[{HUGE_INT}]",
        nested_lists(14),
        nested_lists(15),
        nested_lists(16),
        nested_lists(17),
        nested_lists(60),
        "[" + ", ".join(["x"] * 5000) + "]",
        "[" + q("x" * 10000) + "]",
        "[" + ", ".join(SLUGS) + "]",
        "[" + q("<script>alert(1)</script>") + "]",
    ],
    "object": [
        "{}",
        "{a: 1}",
        "{status: final}",
        "{id: AIPM-2025-001}",
        "{'': x}",
        "{~: x}",
        "{1: 2}",
        "{a: {b: {c: []}}}",
        nested_maps(15),
        nested_maps(17),
        "{title: " + q("<script>alert(1)</script>") + "}",
        "{triggered: 2026-01-01T00:00:00Z}",
    ],
    "date": [
        "0001-01-01",
        "9999-12-31",
        "0999-12-31",
        "0000-01-01",
        "0000-00-00",
        "1969-12-31",
        "1970-01-01",
        "2026-02-30",
        "2026-02-29",
        "2024-02-29",
        "2026-13-01",
        "2026-00-10",
        "2026-12-02",
        "2026-12-03",
        "2036-11-30",
        "2036-12-31",
        "2037-01-01",
        "2026-1-1",
        "20260302",
        "2026/03/02",
        "2026-W10-1",
        q("2026-03-02 "),
        "'2026-03-02'",
    ],
    "date-time": [
        "2016-12-31T23:59:60Z",
        "2026-06-30T23:59:60+00:00",
        "2026-03-02T23:59:60Z",
        "2026-03-02T14:05:00+23:59",
        "2026-03-02T14:05:00-23:59",
        "2026-03-02T14:05:00+24:00",
        "2026-03-02T14:05:00+99:99",
        "2026-03-02T14:05:00-00:00",
        "2026-03-02T14:05:00",
        "2026-03-02T14:05",
        "2026-03-02 14:05:00Z",
        "2026-03-02t14:05:00z",
        "2026-03-02T24:00:00Z",
        "2026-03-02T14:60:00Z",
        "2026-03-02T14:05:61Z",
        "2026-02-30T10:00:00Z",
        "0001-01-01T00:00:00+23:59",
        "0001-01-01T00:00:00Z",
        "9999-12-31T23:59:59-23:59",
        "9999-12-31T23:59:59Z",
        "0999-12-31T00:00:00Z",
        "2026-03-02T14:05:00.1234567890123Z",
        "2026-03-02T14:05:00." + "9" * 5000 + "Z",
        "1970-01-01T00:00:00Z",
        "1969-12-31T23:59:59Z",
        "2026-12-02T00:00:00+14:00",
        "2026-03-02T14:05:00.5-00:01",
    ],
    "id": [
        "AIPM-2026-" + "9" * 300,
        "AIPM-2026-001",
        "AIPM-2025-001",
        "AIPM-0999-001",
        "AIPM-9999-999",
        "AIPM-0000-000",
        "aipm-2026-001",
        "AIPM-2026-1",
        q("AIPM-2026-001/../../etc"),
        "AIPM-2026-" + "1" * 5000,
        q("AIPM-2026-001\n"),
        "AIPM-2026-\uff10\uff10\uff11",
        "AIPM-2026-\u0660\u0660\u0661",
        q("AIPM-2026-001 "),
        "CON",
        q("."),
        q(".."),
        "index",
        q("../index"),
        q("AIPM-2026-001#x"),
        q("AIPM-2026-001?x"),
        q("AIPM-2026-001\u0000"),
    ],
    "string": [
        q("x" * 10000),
        q("word " * 2000),
        "ongoing",
        "TODO",
        "TBD",
        q("<describe it>"),
        q("<script>alert(1)</script>"),
        q("<img src=x onerror=alert(1)>"),
        q("javascript:alert(1)"),
        q("data:text/html,<script>alert(1)</script>"),
        q("\u0000"),
        q("\u2028"),
        "a\u2028b",
        "a\u2029b",
        "a\x85b",
        q("\ufeff"),
        q("line\nbreak"),
        q("\r"),
        q("\t"),
        q("\ud800"),
        q("\U0001f4a5"),
        q("{{ 7 * 7 }}"),
        q("{% raw %}"),
        q("| a | b |"),
        q("# heading"),
        q("---"),
        q("<!--pm-block-99-->"),
        q("[x](javascript:alert(1))"),
        "http://" + "a" * 300,
        q("https://e.com/" + "a/" * 200),
        q("\x1b[31m"),
        q("\u202eevil"),
        q(""),
        q(" "),
        "'single ''quoted'''",
        *SLUGS,
        "draft",
        "review",
        "final",
        "Final",
        "FINAL",
        q("final "),
        "near-miss",
        "public",
        "restricted",
        "secret",
        "manager",
        "security-lead",
    ],
}
TYPES = ["integer", "number", "null", "boolean", "yaml11-boolean", "array", "object", "string"]
STRINGS = ["string", "date", "date-time", "id"]


class Field(NamedTuple):
    """A place in the front matter, as the schema describes it."""

    path: tuple[str, ...]  # keys; "[]" for any item of a list
    types: frozenset[str]  # JSON types it may hold
    formats: frozenset[str]  # date, date-time


def _types_of(schema: dict[str, Any]) -> tuple[set[str], set[str]]:
    types: set[str] = set()
    formats = {schema["format"]} if "format" in schema else set()
    kind = schema.get("type")
    types |= set(kind) if isinstance(kind, list) else {kind} if kind else set()
    for member in [*schema.get("enum", []), *(["x"] if "const" in schema else [])]:
        types.add("string" if isinstance(member, str) else "integer")
    for option in schema.get("anyOf", []):
        more_types, more_formats = _types_of(option)
        types |= more_types
        formats |= more_formats
    if "integer" in types:
        types.add("number")
    return types, formats


def schema_fields(schema: dict[str, Any], path: tuple[str, ...] = ()) -> list[Field]:
    """Every field of the schema: objects, lists and their items included."""
    fields = []
    if path:
        types, formats = _types_of(schema)
        fields.append(Field(path, frozenset(types), frozenset(formats)))
    for key, sub in schema.get("properties", {}).items():
        fields += schema_fields(sub, (*path, key))
    if isinstance(schema.get("items"), dict):
        fields += schema_fields(schema["items"], (*path, "[]"))
    return fields


FIELDS = schema_fields(build_schema(TAXONOMY))


def value_for(rng: random.Random, field: Field) -> str:
    """A value of another type (mostly), else an edge value of the field's own."""
    if rng.random() < 0.6:
        other = [t for t in TYPES if t not in field.types] or TYPES
        kind = rng.choice(other)
        if kind == "string":
            kind = rng.choice(STRINGS)
    elif field.formats:
        kind = rng.choice(sorted(field.formats))
    elif field.path[-1] == "id" or field.path[-1] in ("related", "not_similar"):
        kind = "id"
    elif "string" in field.types:
        kind = rng.choice(STRINGS)
    else:
        kind = rng.choice(sorted(field.types & set(VALUES)) or TYPES)
    value = rng.choice(VALUES[kind])
    if field.path[-1] in ("related", "not_similar") and rng.random() < 0.5:
        value = "[" + value + "]"
    return value


# --- front matter spans: where each value is, to replace or insert values ---

NodePath = tuple[str | int, ...]


class Span(NamedTuple):
    start: int  # offset of the value in the front matter text
    end: int  # its end, trailing blank lines and comments of a block left out
    key_end: int  # offset just after its key in a mapping; -1 for list items
    kind: str  # map | seq | scalar
    flow: bool  # written as {...} or [...]
    column: int


class FrontMatter(NamedTuple):
    head: str  # "---\n"
    text: str  # the YAML between the two --- lines
    tail: str  # the closing --- and the body
    spans: dict[NodePath, Span]


class Edit(NamedTuple):
    start: int
    end: int
    text: str


def split_front_matter(text: str) -> tuple[str, str, str] | None:
    lines = text.split("\n")
    if lines[0].rstrip() != "---":
        return None
    end = next((i for i in range(1, len(lines)) if lines[i].rstrip() == "---"), None)
    if end is None:
        return None
    return lines[0] + "\n", "\n".join(lines[1:end]) + "\n", "\n".join(lines[end:])


@cache
def front_matter(seed_number: int) -> FrontMatter | None:
    """The spans of a seed's front matter (pure-Python loader: character offsets)."""
    parts = split_front_matter(SEEDS[seed_number].text)
    if parts is None:
        return None
    head, text, tail = parts
    try:
        root = yaml.compose(text, Loader=yaml.SafeLoader)
    except yaml.YAMLError:
        return None
    if not isinstance(root, yaml.MappingNode):
        return None
    spans: dict[NodePath, Span] = {}
    _record(text, root, (), -1, False, spans)
    return FrontMatter(head, text, tail, spans)


def _record(
    text: str, node: yaml.Node, path: NodePath, key_end: int, in_flow: bool, spans: dict
) -> None:
    kind = {yaml.MappingNode: "map", yaml.SequenceNode: "seq"}.get(type(node), "scalar")
    flow = in_flow or bool(getattr(node, "flow_style", False))
    start, end = node.start_mark.index, node.end_mark.index
    if kind != "scalar" and not flow:
        end = start + len(text[start:end].rstrip())
    spans[path] = Span(start, end, key_end, kind, flow, node.start_mark.column)
    if isinstance(node, yaml.MappingNode):
        for key, value in node.value:
            if isinstance(key, yaml.ScalarNode):
                _record(text, value, (*path, key.value), key.end_mark.index, flow, spans)
    elif isinstance(node, yaml.SequenceNode):
        for i, item in enumerate(node.value):
            _record(text, item, (*path, i), -1, flow, spans)


def _nested(steps: tuple[str | int, ...], value: str) -> str:
    for step in reversed(steps):
        value = f"[{value}]" if step == "[]" else f"{{{step}: {value}}}"
    return value


def _replace(span: Span, value: str) -> Edit:
    if span.key_end >= 0:
        return Edit(span.key_end, span.end, ": " + value)
    return Edit(span.start, span.end, value)


def edit_for(fm: FrontMatter, path: tuple[str, ...], value: str, rng: random.Random) -> Edit:
    """The edit that puts `value` at `path`, adding the key (and its parents) if missing."""
    concrete: list[str | int] = []
    for step in path:
        parent = tuple(concrete)
        items = sum(1 for p in fm.spans if p and p[:-1] == parent and isinstance(p[-1], int))
        concrete.append(rng.randrange(items) if step == "[]" and items else step)
    depth = len(concrete)
    while tuple(concrete[:depth]) not in fm.spans:
        depth -= 1
    span, rest = fm.spans[tuple(concrete[:depth])], tuple(concrete[depth:])
    if not rest:
        return _replace(span, value)
    if span.kind == "map" and rest[0] != "[]":
        inserted = f"{rest[0]}: {_nested(rest[1:], value)}"
        if span.flow:
            return Edit(span.start + 1, span.start + 1, f" {inserted},")
        return Edit(span.start, span.start, inserted + "\n" + " " * span.column)
    return _replace(span, _nested(rest, value))


def apply_edits(text: str, edits: list[Edit]) -> str:
    """Apply edits from the end backwards, skipping any that overlap one applied."""
    limit = len(text)
    for edit in sorted(edits, key=lambda e: (e.start, e.end), reverse=True):
        if edit.end <= limit:
            text = text[: edit.start] + edit.text + text[edit.end :]
            limit = edit.start
    return text


# --- the four families ---

Made = tuple[bytes, str]  # the file, and the recipe


def type_swap(rng: random.Random, index: int) -> Made:
    numbers = [n for n in range(len(SEEDS)) if front_matter(n) is not None]
    number = rng.choice(numbers)
    fm = front_matter(number)
    assert fm is not None
    edits, recipe = [], []
    if rng.random() < 0.3:
        status = rng.choice(["draft", "review", "final"])
        edits.append(edit_for(fm, ("status",), status, rng))
        recipe.append(f"status <- {status}")
    for _ in range(rng.choice([1, 1, 1, 2, 3])):
        field = rng.choice(FIELDS)
        value = value_for(rng, field)
        edits.append(edit_for(fm, field.path, value, rng))
        recipe.append(f"{'.'.join(field.path)} <- {_short(value)}")
    text = fm.head + apply_edits(fm.text, edits) + fm.tail
    return encode(text.replace(ID_PLACEHOLDER, fresh_id(index), 1)), (
        f"{SEEDS[number].name}: " + "; ".join(recipe)
    )


def _short(value: str, width: int = 40) -> str:
    return value if len(value) <= width else f"{value[:width]}... ({len(value):,} chars)"


Lines = list[bytes]
_VALUE_LINE = re.compile(rb"^(\s*(?:- )?[A-Za-z_][\w-]*:)[ \t]*(.*)$")
JUNK = b":-[]{}&*!|>'\"#?%@, \tyes0123456789TZabc"


def _any_value(rng: random.Random) -> str:
    return rng.choice(VALUES[rng.choice(list(VALUES))])


def _delete_line(rng: random.Random, lines: Lines) -> Lines:
    del lines[rng.randrange(len(lines))]
    return lines


def _duplicate_line(rng: random.Random, lines: Lines) -> Lines:
    i = rng.randrange(len(lines))
    lines.insert(i, lines[i])
    return lines


def _duplicate_block(rng: random.Random, lines: Lines) -> Lines:
    i = rng.randrange(len(lines))
    j = min(len(lines), i + rng.randint(2, 12))
    lines[j:j] = lines[i:j]
    return lines


def _swap_lines(rng: random.Random, lines: Lines) -> Lines:
    i, j = rng.randrange(len(lines)), rng.randrange(len(lines))
    lines[i], lines[j] = lines[j], lines[i]
    return lines


def _move_line(rng: random.Random, lines: Lines) -> Lines:
    line = lines.pop(rng.randrange(len(lines)))
    lines.insert(rng.randrange(len(lines) + 1), line)
    return lines


def _flip_indentation(rng: random.Random, lines: Lines) -> Lines:
    i = rng.randrange(len(lines))
    stripped = lines[i].lstrip(b" ")
    indent = len(lines[i]) - len(stripped)
    choice = rng.choice(["more", "less", "tab", "none"])
    new = {
        "more": indent + rng.randint(1, 4),
        "less": max(0, indent - rng.randint(1, 4)),
        "none": 0,
        "tab": indent,
    }[choice]
    lines[i] = (b"\t" if choice == "tab" else b"") + b" " * new + stripped
    return lines


def _change_value(rng: random.Random, lines: Lines) -> Lines:
    candidates = [i for i, line in enumerate(lines) if _VALUE_LINE.match(line)]
    if candidates:
        i = rng.choice(candidates)
        match = _VALUE_LINE.match(lines[i])
        assert match is not None
        lines[i] = match.group(1) + b" " + encode(_any_value(rng))
    return lines


def _junk_line(rng: random.Random, lines: Lines) -> Lines:
    i = rng.randrange(len(lines))
    junk = bytes(rng.choice(JUNK) for _ in range(rng.randint(1, 30)))
    lines[i] = lines[i][: len(lines[i]) // 2] + junk
    return lines


LINE_MUTATIONS: list[Callable[[random.Random, Lines], Lines]] = [
    _delete_line,
    _duplicate_line,
    _duplicate_block,
    _swap_lines,
    _move_line,
    _flip_indentation,
    _change_value,
    _change_value,
    _junk_line,
]


def _truncate(rng: random.Random, raw: bytes) -> bytes:
    return raw[: rng.randrange(len(raw) + 1)]


def _insert_bytes(rng: random.Random, raw: bytes) -> bytes:
    at = rng.randrange(len(raw) + 1)
    return raw[:at] + rng.randbytes(rng.randint(1, 16)) + raw[at:]


def _line_endings(rng: random.Random, raw: bytes) -> bytes:
    return rng.choice([b"\r\n", b"\r", b"\n\n"]).join(raw.split(b"\n"))


def _bom(rng: random.Random, raw: bytes) -> bytes:
    return rng.choice([b"\xef\xbb\xbf", b"\xef\xbb\xbf\xef\xbb\xbf", b"\n", b" "]) + raw


BYTE_MUTATIONS: list[Callable[[random.Random, bytes], bytes]] = [
    _truncate,
    _insert_bytes,
    _line_endings,
    _bom,
]


def mutation(rng: random.Random, index: int) -> Made:
    seed = rng.choice(SEEDS)
    raw = encode(seed_text(seed, index))
    done = []
    for _ in range(rng.randint(1, 4)):
        if rng.random() < 0.8:
            line_op = rng.choice(LINE_MUTATIONS)
            raw = b"\n".join(line_op(rng, raw.split(b"\n")))
            done.append(line_op.__name__.lstrip("_"))
        else:
            byte_op = rng.choice(BYTE_MUTATIONS)
            raw = byte_op(rng, raw) or b""
            done.append(byte_op.__name__.lstrip("_"))
    return raw, f"{seed.name}: {', '.join(done)}"


ODD_CHARACTERS = (
    "\x00\ufeff\r\n\t\x01\x07\x08\x0b\x0c\x1b\x7f\x85\u2028\u2029\u200b\u202e\ud800\udfff"
    "\ufffe\uffff\U0001f4a5\u0301é𝕏"
)
YAML_CHARACTERS = ":-[]{}&*!|>'\"#?%@,`~ \n"


def _random_text(rng: random.Random, length: int) -> str:
    alphabet = ODD_CHARACTERS + YAML_CHARACTERS + "abcxyz019"
    return "".join(rng.choice(alphabet) for _ in range(length))


def noise(rng: random.Random, index: int) -> Made:
    kind = rng.choice(["bytes", "text", "splice", "bad-utf8", "encoding"])
    if kind == "bytes":
        raw = rng.randbytes(rng.choice([0, 1, 3, 16, 256, 4096]))
        prefix = rng.choice([b"", b"---\n", b"\xef\xbb\xbf---\n"])
        suffix = rng.choice([b"", b"\n---\n## Summary\n"])
        return prefix + raw + suffix, f"{len(raw)} random bytes"
    if kind == "text":
        text = _random_text(rng, rng.choice([0, 5, 50, 500, 2000]))
        framed = f"---\n{text}\n---\n{_random_text(rng, 100)}" if rng.random() < 0.7 else text
        return encode(framed), f"{len(text)} random characters"
    seed = rng.choice(SEEDS)
    text = seed_text(seed, index)
    if kind == "splice":
        for _ in range(rng.randint(1, 10)):
            at = rng.randrange(len(text) + 1)
            text = text[:at] + rng.choice(ODD_CHARACTERS) + text[at:]
        return encode(text), f"{seed.name}: odd characters spliced in"
    if kind == "bad-utf8":
        raw = encode(text)
        bad = [b"\xed\xa0\x80", b"\xc0\xaf", b"\xff", b"\xf4\x90\x80\x80", b"\xe2\x80", b"\x00"]
        for _ in range(rng.randint(1, 3)):
            at = rng.randrange(len(raw) + 1)
            raw = raw[:at] + rng.choice(bad) + raw[at:]
        return raw, f"{seed.name}: invalid UTF-8 spliced in"
    codec = rng.choice(["utf-16", "utf-16-le", "utf-32", "latin-1", "cp1252"])
    return text.encode(codec, "replace"), f"{seed.name}: encoded as {codec}"


# --- known cases: each (rng, index) -> (file, recipe) ---


def _final(index: int) -> str:
    return seed_text(SEEDS[0], index)


def _with_front(text: str, extra: str) -> str:
    """`extra` (YAML lines) added at the end of the front matter."""
    head, _, rest = text.partition("\n---\n")
    return f"{head}\n{extra.rstrip()}\n---\n{rest}"


def _set(text: str, key: str, value: str) -> str:
    """A top-level key's line replaced (or added) with `key: value`."""
    line = re.compile(rf"^{re.escape(key)}:.*$", re.MULTILINE)
    head, _, rest = text.partition("\n---\n")
    if line.search(head):
        head = line.sub(lambda _: f"{key}: {value}", head, count=1)
    else:
        head += f"\n{key}: {value}"
    return f"{head}\n---\n{rest}"


def _with_body(text: str, markdown: str) -> str:
    return text.rstrip("\n") + "\n\n" + markdown + "\n"


def alias_bomb(rng: random.Random, index: int) -> Made:
    levels, width = rng.randint(3, 12), rng.randint(2, 9)
    lines = ["a0: &a0 [" + ", ".join(["lol"] * width) + "]"]
    for level in range(1, levels):
        lines.append(f"a{level}: &a{level} [" + ", ".join([f"*a{level - 1}"] * width) + "]")
    where = rng.choice(["keys", "tags", "mapping"])
    if where == "tags":
        text = _set(_final(index), "tags", f"*a{levels - 1}")
        return encode(_with_front(text, "\n".join(lines))), f"alias bomb {levels}x{width} in tags"
    if where == "mapping":
        lines = ["m0: &m0 {a: lol, b: lol}"]
        lines += [f"m{i}: &m{i} {{a: *m{i - 1}, b: *m{i - 1}}}" for i in range(1, levels)]
    return encode(_with_front(_final(index), "\n".join(lines))), f"alias bomb {levels}x{width}"


def aliases(rng: random.Random, index: int) -> Made:
    extra = rng.choice(
        [
            'title: &t "A title that is long enough"\nreported_by: *t',
            "base: &b {public: true, regulatory: false}\ndisclosure:\n  <<: *b",
            "&k severity: low",
            "*nope: x",
            "tags: *undefined",
            "impact: &i\n  users_affected: 1\ntriage: *i",
            "tags: &t [a, *t]",
        ]
    )
    text = _final(index)
    for key in re.findall(r"^(\w+):", extra, re.MULTILINE):
        text = re.sub(rf"^{key}:.*\n(?:[ -].*\n)*", "", text, count=1, flags=re.MULTILINE)
    return encode(_with_front(text, extra)), f"aliases: {extra.splitlines()[0]}"


def deep_nesting(rng: random.Random, index: int) -> Made:
    depth = rng.choice([15, 16, 17, 18, 50, 1000, 10000, 100000])
    style = rng.choice(["flow-list", "flow-map", "block-map", "block-list"])
    key = rng.choice(["tags", "impact", "unknown_key", "root_causes", "references"])
    if style.startswith("block"):
        depth = min(depth, 300)  # indentation grows with depth: keep the file small
    if style == "flow-list":
        value = nested_lists(depth)
    elif style == "flow-map":
        value = nested_maps(depth)
    elif style == "block-map":
        value = "".join(f"\n{'  ' * (i + 1)}a:" for i in range(depth)) + " x"
    else:
        value = "\n  " + "- " * depth + "x"
    text = _set(_final(index), key, value)
    return encode(text), f"{depth} levels of {style} under {key}"


def duplicate_keys(rng: random.Random, index: int) -> Made:
    text = _final(index)
    variant = rng.choice(["status", "nested", "flow", "item", "many"])
    if variant == "status":
        text = _with_front(text, "status: draft")
    elif variant == "nested":
        text = text.replace("  detected:", "  triggered: 2025-02-03T08:00:00Z\n  detected:", 1)
    elif variant == "flow":
        text = text.replace("{name: Dana Okafor,", "{name: Dana Okafor, name: X,", 1)
    elif variant == "item":
        twice = "    root_cause: true\n    root_cause: false"
        text = text.replace("    root_cause: true", twice, 1)
    else:
        text = _with_front(text, "\n".join(f"tags: [t{i}]" for i in range(2000)))
    return encode(text), f"duplicate keys ({variant})"


def yaml11_booleans(rng: random.Random, index: int) -> Made:
    text = _final(index)
    words = ["yes", "no", "on", "off", "Yes", "NO", "On", "y", "n", "Y"]
    for key in ["direct_harm", "public", "regulatory", "root_cause", "reproducible"]:
        if rng.random() < 0.6:
            text = re.sub(rf"({key}: )(true|false)", rf"\g<1>{rng.choice(words)}", text, count=1)
    if rng.random() < 0.3:
        text = _with_front(text, "yes: no")
    return encode(text), "YAML 1.1 booleans"


def block_marks(rng: random.Random, index: int) -> Made:
    n = rng.choice(["0", "1", "99", "-1", "1" + "0" * 30, "x"])
    mark = f"<!--pm-block-{n}-->"
    body = rng.choice(
        [
            mark,
            f"Text {mark} more",
            f"<table>\n{mark}\n</table>",
            "<div>\n<div>\nunclosed",
            "</table>\n</div>\n</ul>",
            f"<figure>{mark}</figure>\n\n# {mark}",
            "<ul>\n<li>x</li>\n</ul>\n\n## Summary\n\n<div>" + mark * 50,
        ]
    )
    text = _with_body(_final(index), body)
    if rng.random() < 0.3:
        text = _set(text, "title", q(f"Incident title {mark}"))
    return encode(text), f"block marks {mark}"


HTML = [
    "<script>alert(1)</script>",
    "<img src=x onerror=alert(1)>",
    '<a href="javascript:alert(1)">x</a>',
    '<iframe src="data:text/html,<script>alert(1)</script>"></iframe>',
    "<svg onload=alert(1)>",
    "<style>body{display:none}</style>",
    "<!-- unclosed comment",
    "<textarea>",
    "<![CDATA[ x ]]>",
    "<?php echo 1; ?>",
    "<table><tr><td>unbalanced",
    '<div markdown="1">**x**</div>',
    "<details open ontoggle=alert(1)>",
    "{{ config }} {% for x in y %}",
    "&lt;script&gt; &#x3C;script&#x3E; &#0000060;",
]


def html_payloads(rng: random.Random, index: int) -> Made:
    payload = rng.choice(HTML)
    text = _final(index)
    where = rng.choice(["body", "title", "systems", "owner", "heading"])
    if where == "body":
        text = _with_body(text, f"## Appendix\n\n{payload}\n\n`{payload}`\n")
    elif where == "title":
        text = _set(text, "title", q(f"Payload in the title {payload}"))
    elif where == "systems":
        text = _set(text, "systems", f"[{q(payload)}, support-assistant]")
    elif where == "owner":
        text = text.replace("owner: Assistant platform team", f"owner: {q(payload)}", 1)
    else:
        text = text.replace("## Impact", f"## Impact {payload}", 1)
    return encode(text), f"HTML in {where}: {payload}"


LINK_TARGETS = [
    "a" * 300,
    "a" * 5000,
    "x/" * 200 + "a.png",
    "../../../../etc/passwd",
    "other.md/",
    "/etc/passwd",
    "file:///etc/passwd",
    "%2e%2e/%2e%2e/%2e%2e/etc/passwd",
    "..%2F..%2Fx.png",
    "<a b.png>",
    "a.png#frag?x",
    "../" * 200 + "x.png",
    "\\\\server\\share\\x.png",
    ".",
    "..",
    "./",
    "#",
    "?",
    "%00",
    "%zz",
    "a%2500.png",
    "javascript:alert(1)",
    "/dev/zero",
    "../../../../../../proc/self/environ",
    "",
    "<>",
    "%C0%AE%C0%AE/x.png",
    "~/.ssh/id_rsa",
]


def hostile_links(rng: random.Random, index: int) -> Made:
    target = rng.choice(LINK_TARGETS)
    form = rng.choice(
        [
            f"[x]({target})",
            f"![x]({target})",
            f"[x]: {target}",
            f'<img src="{target}">',
            f'<a href="{target}">x</a>',
        ]
    )
    text = _with_body(_final(index), f"## Appendix\n\n{form}\n")
    return encode(text), f"link {_short(form)}"


def markdown_bombs(rng: random.Random, index: int) -> Made:
    n = rng.choice([100, 1000, 10000, 50000])
    body = rng.choice(
        [
            ">" * n + " x",
            "".join("  " * i + "- x\n" for i in range(min(n, 300))),
            "*a" * n,
            "[" * n + "x" + "]" * n,
            "<" * n,
            "`" * n,
            "_" * n + "x",
            "## Summary\n\n" * (n // 10),
            "| a | b |\n|---|---|\n" + "| x | y |\n" * n,
            "- " * n + "x",
            "1. " * n + "x",
            "[x](" * n,
            "![" * n,
            "## Lessons learned\n\n" + "- lesson\n" * n,
            "x\n" + "=" * n,
            "```\n" * n,
            "&#" * n,
        ]
    )
    text = _with_body(_final(index), body)
    return encode(text), f"Markdown bomb ({_short(body, 20)})"


def big_files(rng: random.Random, index: int) -> Made:
    variants = ["at-limit", "over-limit", "many-keys", "long-line", "long-list", "many-related"]
    variant = rng.choice(variants)
    text = _final(index)
    if variant in ("at-limit", "over-limit"):
        raw = encode(_with_body(text, ""))
        pad = MAX_BYTES - len(raw) + (1 if variant == "over-limit" else 0)
        return raw + b"x" * pad, variant
    if variant == "many-keys":
        extra = "\n".join(f"unknown_key_{i}: {i}" for i in range(rng.choice([1000, 20000])))
        return encode(_with_front(text, extra)), variant
    if variant == "long-line":
        return encode(_set(text, "title", "x" * 900_000)), variant
    if variant == "many-related":
        ids = ", ".join(f"AIPM-2025-{i:03d}" for i in range(1, 10_000))
        return encode(_set(text, "related", f"[{ids}]")), variant
    items = ", ".join(f"s{i}" for i in range(100_000))
    return encode(_set(text, "systems", f"[{items}]")), variant


def tags_and_directives(rng: random.Random, index: int) -> Made:
    text = _final(index)
    variant = rng.choice(
        [
            'tags: !!python/object/apply:os.system ["id"]',
            "tags: !!binary aGVsbG8=",
            "identified: !!timestamp 2025-02-11",
            'impact: {users_affected: !!int "5", downtime_minutes: !!float .nan}',
            "title: !!str 12345678901",
            "severity: !custom high",
            "tags: !!set {a, b}",
            "tags: !!omap [a: 1]",
            "resolved: !<tag:yaml.org,2002:str> ongoing",
        ]
    )
    key = variant.split(":")[0]
    text = re.sub(rf"^{key}:.*$", variant, text, count=1, flags=re.MULTILINE)
    if rng.random() < 0.3:
        text = text.replace("---\n", rng.choice(["---\n%YAML 1.1\n---\n", "--- !!map\n"]), 1)
    if rng.random() < 0.2:
        text = _with_front(text, rng.choice(["...", "---\nsecond: document", "..."]))
    return encode(text), f"tag or directive: {variant}"


def odd_keys(rng: random.Random, index: int) -> Made:
    extra = rng.choice(
        [
            "? [complex, key]\n: value",
            "? {a: 1}\n: value",
            "1: one",
            "~: null key",
            '"": empty key',
            "k" * 2000 + ": long key",
            "tïtle: unicode",
            "timeline.triggered: 2025-02-03T08:00:00Z",
            "__proto__: x",
            "<<: {a: 1}",
            "Status: final",
            "status : final",
            "id : AIPM-2025-001",
            "title\u2028x: y",
            "x: y: z",
        ]
    )
    return encode(_with_front(_final(index), extra)), f"odd key: {_short(extra)}"


DATE_CASES = [
    {"identified": "9999-12-31"},
    {"identified": "0999-12-31"},
    {"identified": "0001-01-01"},
    {"identified": "2016-12-31T23:59:60Z"},
    {"identified": "2026-02-30"},
    {"identified": "2025-02-11T09:00:00"},
    {"identified": "0001-01-01T00:00:00+23:59"},
    {"identified": "9999-12-31T23:59:59-23:59"},
    {"resolved": "0001-01-01", "identified": "9999-12-31"},
    {"triggered": "2025-02-03T08:00:00", "detected": "2025-02-11T09:40:00Z"},
    {"triggered": "2025-02-03T08:00:00+23:59", "detected": "2025-02-03T08:00:00-23:59"},
    {"triggered": "0001-01-01T00:00:00+00:01"},
    {"contained": "9999-12-31T23:59:59-00:01"},
    {"long_term": "9999-12-31"},
    {"long_term": "2025-02-14T17:00:00"},
    {"due": "0999-12-31"},
    {"due": "9999-12-31"},
    {"until": "2026-02-30"},
    {"date": "2025-02-17T23:59:60+23:59"},
    {"identified": "2025-02-11", "resolved": "ongoing"},
]


def edge_dates(rng: random.Random, index: int) -> Made:
    case = rng.choice(DATE_CASES)
    text = _final(index)
    for key, value in case.items():
        text = re.sub(rf"^(\s*{key}: ).*$", rf"\g<1>{value}", text, count=1, flags=re.MULTILINE)
    if rng.random() < 0.3:
        text = _set(text, "status", rng.choice(["draft", "review"]))
    return encode(text), f"dates {case}"


def secrets_and_pii(rng: random.Random, index: int) -> Made:
    text = _set(_final(index), "visibility", rng.choice(["public", "internal"]))
    secret = rng.choice(
        [
            "AKIAIOSFODNN7EXAMPLE",
            "-----BEGIN RSA PRIVATE KEY-----\n" + "MIIE" * 5000 + "\n-----END RSA PRIVATE KEY-----",
            "ghp_" + "a1B2" * 9,
            "password = 'hunter2'",
            "".join(rng.choice("abcdefABCDEF0123456789+/") for _ in range(100_000)),
            "x@example.com " * 20000,
            "+44 20 7946 0958 " * 5000,
            "sk-" + "A" * 48,
        ]
    )
    return encode(_with_body(text, f"## Appendix\n\n{secret}\n")), f"secret/PII {_short(secret)}"


def related_ids(rng: random.Random, index: int) -> Made:
    text = _final(index)
    value = rng.choice(
        [
            f"[{fresh_id(index)}]",
            "AIPM-2025-001",
            "[AIPM-2025-002, AIPM-2025-002]",
            "[" + HUGE_INT + "]",
            "[AIPM-2026-" + "9" * 300 + "]",
            "[null, 1, [x]]",
        ]
    )
    key = rng.choice(["related", "not_similar"])
    text = _set(text, key, value)
    if rng.random() < 0.5:
        text = text.replace("prior_similar: false", "prior_similar: true", 1)
    return encode(text), f"{key}: {_short(value)}"


def front_matter_edges(rng: random.Random, index: int) -> Made:
    text = _final(index)
    variant = rng.choice(
        [
            "---",
            "---\n---",
            "---\n---\n---\n",
            "--- \nid: AIPM-2026-000001\n--- \n",
            "---\r\nid: x\r---\r",
            "---\n# only a comment\n---\n## Summary\n",
            "-- -\nid: x\n-- -\n",
            "---\nid: x\n--- trailing\n",
            "----\nid: x\n----\n",
            "\n" + text,
            text.replace("\n---\n", "\n---\n---\n", 1),
            text.replace("\n---\n", "\n", 1),
            text.replace("\n## Summary", "\nSummary\n---", 1),
            "---\n" + "\n" * 10000 + "---\n",
            "---\n" + "#" * 500000 + "\n---\n",
        ]
    )
    return encode(variant), f"front matter edge {_short(variant[:30])}"


def line_breaks(rng: random.Random, index: int) -> Made:
    text = _final(index)
    odd = rng.choice(["\u2028", "\u2029", "\x85", "\x0c", "\x0b", "\r"])
    where = rng.choice(["title", "value", "key", "everywhere", "body"])
    if where == "title":
        text = text.replace("title: Support", f"title: Support{odd}", 1)
    elif where == "value":
        text = text.replace("reported_by: Customer", f"reported_by:{odd} Customer", 1)
    elif where == "key":
        text = text.replace("\nseverity:", f"\n{odd}severity:", 1)
    elif where == "everywhere":
        text = text.replace("\n", odd + "\n")
    else:
        text = text.replace("\n## Impact", f"\n{odd}## Impact", 1)
    return encode(text), f"line break {odd!r} in {where}"


def lifecycle(rng: random.Random, index: int) -> Made:
    """Valid-looking files with another status, severity or visibility."""
    seed = rng.choice(SEEDS)
    text = seed_text(seed, index)
    changes = {
        "status": rng.choice(["draft", "review", "final"]),
        "severity": rng.choice(["near-miss", "low", "medium", "high", "critical"]),
        "visibility": rng.choice(["public", "internal", "restricted", "secret"]),
    }
    for key in rng.sample(sorted(changes), rng.randint(1, 3)):
        text = _set(text, key, changes[key])
    return encode(text), f"{seed.name}: {changes}"


ODD_NAMES = [
    q("!!!"),
    q(".."),
    q("a/b"),
    q("<b>x</b>"),
    "x" * 300,
    "Foo",
    "foo",
    "日本語",
    "CON",
    "index",
    q("-"),
    q("a\tb"),
    q("{{ x }}"),
    q("x" * 250),
    q("%2e%2e"),
    q("\u202egnp.exe"),
]


def site_oddities(rng: random.Random, index: int) -> Made:
    """Files lint may well accept, with values that are odd to publish."""
    text = _final(index)
    what = rng.choice(["id", "systems", "title", "identified", "url", "tags", "owner"])
    if what == "id":
        long_id = f"AIPM-2026-{index:06d}" + "9" * rng.choice([50, 200, 240, 294, 1000])
        text = _set(text, "id", long_id)
    elif what == "systems":
        text = _set(text, "systems", "[" + ", ".join(rng.sample(ODD_NAMES, 3)) + "]")
    elif what == "title":
        text = _set(text, "title", q(rng.choice(HTML)[:100].ljust(10, "x")))
    elif what == "identified":
        day = rng.choice(["1970-01-01", "1970-01-01T00:00:00Z", "2026-12-02", "2026-12-01"])
        draft = f"---\nid: {fresh_id(index)}\ntitle: A draft with an edge date\nstatus: draft\n"
        text = draft + f"severity: low\nidentified: {day}\nreported_by: Fuzz\n---\n\n## Summary\n"
    elif what == "url":
        text = text.replace(
            "url: https://status.example.com/incidents/2025-02-refund-policy",
            "url: https://e.com/" + "a" * rng.choice([300, 5000]),
            1,
        )
    elif what == "tags":
        text = _set(text, "tags", "[" + ", ".join(f"t{i}" for i in range(1000)) + "]")
    else:
        text = text.replace("owner: Assistant platform team", f"owner: {rng.choice(ODD_NAMES)}")
    return encode(text), f"site oddity: {what}"


KNOWN_CASES: list[tuple[Callable[[random.Random, int], Made], float]] = [
    (site_oddities, 4),
    (alias_bomb, 1),
    (aliases, 1),
    (deep_nesting, 1),
    (duplicate_keys, 1),
    (yaml11_booleans, 1),
    (block_marks, 1),
    (html_payloads, 2),
    (hostile_links, 2),
    (markdown_bombs, 0.15),
    (big_files, 0.02),
    (tags_and_directives, 1),
    (odd_keys, 1),
    (edge_dates, 3),
    (secrets_and_pii, 0.2),
    (related_ids, 1),
    (front_matter_edges, 1),
    (line_breaks, 1),
    (lifecycle, 3),
]


def known_case(rng: random.Random, index: int) -> Made:
    builders, weights = zip(*KNOWN_CASES, strict=True)
    builder = rng.choices(builders, weights)[0]
    raw, recipe = builder(rng, index)
    return raw, f"{builder.__name__}: {recipe}"


FAMILIES: list[tuple[str, float, Callable[[random.Random, int], Made]]] = [
    ("mutation", 35, mutation),
    ("type-swap", 35, type_swap),
    ("noise", 10, noise),
    ("known", 20, known_case),
]


def generate(seed: int, index: int) -> Sample:
    """File number `index` of the run with `seed`: the same bytes every time."""
    rng = random.Random(f"{seed}:{index}")
    name, _, make = rng.choices(FAMILIES, [weight for _, weight, _ in FAMILIES])[0]
    raw, recipe = make(rng, index)
    return Sample(raw, name, recipe)
