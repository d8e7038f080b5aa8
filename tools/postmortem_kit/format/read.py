"""Reading a postmortem file, once, into an immutable `Postmortem`.

The front matter is composed by libyaml into nodes and turned into plain
values here, so that we keep every node's line and column, keep dates as the
strings the author wrote, treat only `true`/`false` as booleans (YAML 1.2), and
refuse what could hang or exhaust memory (aliases, deep nesting, huge files).
"""

from __future__ import annotations

import math
import os
import re
import stat
from pathlib import Path
from typing import Any, NamedTuple

import mistune
import yaml
from mistune.block_parser import BlockParser
from mistune.core import BlockState

from postmortem_kit.format.findings import ERROR, Finding
from postmortem_kit.format.patterns import LazyPattern

MAX_BYTES = 1024 * 1024
MAX_DEPTH = 16

NodePath = tuple[str | int, ...]
Position = tuple[int, int]


_PLAIN = "tag:postmortem-kit:plain"


# the base is chosen at run time: libyaml's loader where PyYAML has it
class _Loader(getattr(yaml, "CSafeLoader", yaml.SafeLoader)):  # type: ignore[misc]
    """libyaml's composer without PyYAML's YAML 1.1 tag resolution.

    We decide what a plain scalar means ourselves (YAML 1.2 core schema), so
    asking PyYAML's resolver first, once per scalar, is wasted time.
    """

    def resolve(self, kind: type, value: str | None, implicit: tuple[bool, bool]) -> str:
        if kind is yaml.ScalarNode:
            return _PLAIN if implicit[0] else "tag:yaml.org,2002:str"
        return "tag:yaml.org,2002:seq" if kind is yaml.SequenceNode else "tag:yaml.org,2002:map"


_TRUE = {"true", "True", "TRUE"}
_FALSE = {"false", "False", "FALSE"}
_YAML11_BOOLEANS = {
    spelling: word in {"yes", "on"}
    for word in ("yes", "no", "on", "off")
    for spelling in (word, word.capitalize(), word.upper())
}
_NULL = {"", "~", "null", "Null", "NULL"}
_INT = LazyPattern(r"[-+]?[0-9]+|0o[0-7]+|0x[0-9a-fA-F]+")
_FLOAT = LazyPattern(r"[-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?")


class Section(NamedTuple):
    """A level-2 heading of the body and what it holds."""

    title: str
    line: int
    items: tuple[str, ...]  # the items of the lists directly under the heading


class Postmortem(NamedTuple):
    path: str  # as shown in findings: relative, with forward slashes
    data: dict[str, Any]
    value_positions: dict[NodePath, Position]
    key_positions: dict[NodePath, Position]
    sections: tuple[Section, ...]
    body_line: int  # first line after the front matter
    text: str  # the whole file, newlines normalised
    problems: tuple[Finding, ...]  # what reading it found (syntax, duplicates…)

    @property
    def readable(self) -> bool:
        """False when the front matter could not be read at all."""
        return not any(p.rule in _UNREADABLE for p in self.problems)

    @property
    def status(self) -> str:
        status = self.data.get("status")
        return status if isinstance(status, str) else "draft"

    def get(self, *path: str | int) -> Any:
        """The value at `path`, or None where any step is missing."""
        value: Any = self.data
        for step in path:
            try:
                value = value[step]
            except (KeyError, IndexError, TypeError):
                return None
        return value

    def position(self, path: NodePath, *, key: bool = False) -> Position:
        """Where the node at `path` is; a missing node points at its nearest parent."""
        while path:
            where = self.key_positions.get(path) if key else None
            where = where or self.value_positions.get(path) or self.key_positions.get(path)
            if where:
                return where
            path = path[:-1]
        return self.value_positions.get((), (1, 1))

    @property
    def front_matter_text(self) -> str:
        return self.text[: self._body_offset]

    @property
    def body(self) -> str:
        """The Markdown after the front matter."""
        return self.text[self._body_offset :]

    @property
    def _body_offset(self) -> int:
        end = 0
        for _ in range(self.body_line - 1):
            end = self.text.find("\n", end) + 1
            if end == 0:  # the file ends on the closing `---`: no body
                return len(self.text)
        return end

    def text_position(self, offset: int) -> Position:
        """Line and column of a character offset in the file's text."""
        line_start = self.text.rfind("\n", 0, offset) + 1
        return self.text.count("\n", 0, offset) + 1, offset - line_start + 1

    def body_position(self, offset: int) -> Position:
        """Line and column of a character offset in the body."""
        return self.text_position(self._body_offset + offset)

    def section(self, title: str) -> Section | None:
        wanted = title.casefold()
        return next((s for s in self.sections if s.title.casefold() == wanted), None)

    def section_text(self, title: str) -> str:
        """The Markdown under the H2 `title`, up to the next H1 or H2; "" without one."""
        section = self.section(title)
        if section is None:
            return ""
        lines = self.text.split("\n")
        later = [s.line for s in self.sections if s.line > section.line]
        body = lines[section.line : (min(later) - 1 if later else len(lines))]
        if body and _SETEXT_UNDERLINE.fullmatch(body[0]):
            body = body[1:]
        return "\n".join(_before_h1(body)).strip()


_SETEXT_UNDERLINE = LazyPattern(r" {0,3}(-+|=+)\s*")
_SETEXT_H1 = LazyPattern(r" {0,3}=+\s*")
_FENCE = LazyPattern(r" {0,3}(`{3,}|~{3,})")
_H1 = LazyPattern(r" {0,3}#(\s|$)")


def _before_h1(lines: list[str]) -> list[str]:
    """The lines before a level-1 heading that is not inside a fenced block."""
    fence = ""
    for index, line in enumerate(lines):
        opening = _FENCE.match(line)
        if fence:
            if opening and opening.group(1)[0] == fence[0] and len(opening.group(1)) >= len(fence):
                fence = ""
        elif opening:
            fence = opening.group(1)
        elif _H1.match(line):
            return lines[:index]
        elif index and lines[index - 1].strip() and _SETEXT_H1.fullmatch(line):
            return lines[: index - 1]
    return lines


_UNREADABLE = {"unreadable-file", "unsafe-file", "missing-front-matter", "yaml-syntax"}
# Every rule id reading reports under: lint's registry fails at import if one is not a rule.
RULES_REPORTED = (*sorted(_UNREADABLE), "duplicate-key", "yaml-boolean")


class _Unreadable(Exception):
    def __init__(self, rule: str, line: int, column: int, message: str) -> None:
        super().__init__(message)
        self.finding = (rule, line, column, message)


def read_postmortem(
    path: Path, display: str | None = None, *, positions: bool = True, root: Path | None = None
) -> Postmortem:
    """Read `path`; every problem becomes a finding, never an exception.

    Without `positions`, no node's line and column is kept (findings still have
    theirs): half the memory of a postmortem, for readers that report nothing.
    With `root`, a file that resolves outside it (through a link) is refused.
    """
    shown = display or path.as_posix()
    try:
        raw = read_regular_file(path, MAX_BYTES + 1, root)
    except UnsafeFile as e:
        return _unreadable(shown, "", 1, 1, str(e), rule="unsafe-file")
    except OSError as e:
        return _unreadable(shown, "", 1, 1, f"cannot read the file: {e.strerror}")
    return parse_postmortem(raw, shown, positions=positions)


class UnsafeFile(Exception):
    """A path that is not a regular file of the repository; the message says what to do."""


def read_regular_file(path: Path, limit: int, root: Path | None = None) -> bytes:
    """At most `limit` bytes of a regular file; never a device, pipe or socket.

    A link to /dev/zero or a FIFO committed under the postmortems folder must
    not exhaust memory or hang, so the file is opened without blocking and
    checked before anything is read.
    """
    # Only a link can lead out: git stores links to folders as links, so a
    # postmortem's own path is the one to check (and one lstat is cheap).
    if root is not None and path.is_symlink() and not _leads_into(path, root):
        raise UnsafeFile(
            "this is a link to a file outside the repository, which is never read or "
            "published: commit the file itself instead of a link"
        )
    descriptor = os.open(path, os.O_RDONLY | os.O_NONBLOCK)
    with open(descriptor, "rb") as f:
        if not stat.S_ISREG(os.fstat(descriptor).st_mode):
            raise UnsafeFile(
                "this is not a regular file (a device, pipe or socket), and is never read "
                "or published: replace it with the postmortem's Markdown file"
            )
        return f.read(limit)


def _leads_into(link: Path, root: Path) -> bool:
    return link.resolve().is_relative_to(root.resolve())


_ID_LINE = LazyPattern(r"^id:[ \t]*['\"]?([^'\"\s#]+)", re.MULTILINE)


def read_id_only(path: Path, display: str) -> Postmortem:
    """A stand-in that knows only the file's id: enough for repository-wide rules.

    Reading every other file in full would make linting one file in a large
    repository (the pre-commit case) as slow as linting them all.
    """
    try:
        head = read_regular_file(path, 8192).decode("utf-8-sig", errors="replace")
    except (OSError, UnsafeFile):
        head = ""
    front = head.split("\n---", 1)[0] if head.startswith("---") else ""
    found = _ID_LINE.search(front)
    return id_only(display, found.group(1) if found else "")


def id_only(display: str, pm_id: str) -> Postmortem:
    """A stand-in for a file whose id is `pm_id` ("": the file has none)."""
    return Postmortem(display, {"id": pm_id} if pm_id else {}, {}, {}, (), 1, "", ())


def parse_postmortem(
    raw: bytes, path: str, *, positions: bool = True, body: bool = True
) -> Postmortem:
    """The file as a Postmortem; without `body`, its sections are not parsed."""
    if len(raw) > MAX_BYTES:
        message = (
            f"file is {len(raw):,} bytes, over the {MAX_BYTES:,} byte limit: "
            "move large evidence into an attachment and link to it"
        )
        return _unreadable(path, "", 1, 1, message)
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as e:
        line = raw.count(b"\n", 0, e.start) + 1
        return _unreadable(path, "", line, 1, "file is not valid UTF-8: save it as UTF-8")
    text = text.replace("\r\n", "\n")
    if "\x00" in text:
        return _unreadable(path, text, 1, 1, "file contains NUL bytes: it is not a text file")

    lines = text.split("\n")
    if lines[0].rstrip() != "---":
        message = (
            "no front matter: the file must start with a line '---', then the YAML keys, "
            "then a closing '---'"
        )
        return _unreadable(path, text, 1, 1, message, rule="missing-front-matter")
    end = next((i for i in range(1, len(lines)) if lines[i].rstrip() == "---"), None)
    if end is None:
        message = "front matter opened on line 1 is never closed: add a line '---'"
        return _unreadable(path, text, 1, 1, message, rule="yaml-syntax")
    reader = _FrontMatterReader(path, first_line=2, positions=positions)
    try:
        data = reader.read("\n".join(lines[1:end]) + "\n")
    except _Unreadable as e:
        rule, line, column, message = e.finding
        return _unreadable(path, text, line, column, message, rule=rule)
    body_line = end + 2
    sections = _parse_body("\n".join(lines[end + 1 :]), body_line) if body else ()
    return Postmortem(
        path,
        data,
        reader.value_positions,
        reader.key_positions,
        sections,
        body_line,
        text,
        tuple(reader.problems),
    )


def _unreadable(
    path: str, text: str, line: int, column: int, message: str, rule: str = "unreadable-file"
) -> Postmortem:
    finding = Finding(path, line, column, ERROR, rule, message)
    return Postmortem(path, {}, {}, {}, (), 1, text, (finding,))


class _FrontMatterReader:
    """Turns libyaml's node tree into plain values, recording positions."""

    def __init__(self, path: str, first_line: int, positions: bool = True) -> None:
        self.path = path
        self.line_offset = first_line  # node marks count lines from 0
        self.value_positions: dict[NodePath, Position] = {}
        self.key_positions: dict[NodePath, Position] = {}
        self.keep_positions = positions
        self.problems: list[Finding] = []
        self._seen: set[int] = set()

    def read(self, front: str) -> dict[str, Any]:
        try:
            root = yaml.compose(front, Loader=_Loader)
        except yaml.MarkedYAMLError as e:
            mark = e.problem_mark or e.context_mark
            line, column = self._where(mark) if mark else (self.line_offset, 1)
            problem = e.problem or e.context or "invalid YAML"
            raise _Unreadable(
                "yaml-syntax",
                line,
                column,
                f"invalid YAML: {problem}: check the indentation, and quote values "
                "that contain ': ' or start with a special character",
            ) from None
        except yaml.YAMLError as e:
            raise _Unreadable("yaml-syntax", self.line_offset, 1, f"invalid YAML: {e}") from None
        if root is None:
            self.value_positions[()] = (1, 1)
            return {}
        if not isinstance(root, yaml.MappingNode):
            line, column = self._where(root.start_mark)
            raise _Unreadable(
                "yaml-syntax", line, column, "front matter must be a mapping of keys to values"
            )
        return self._value(root, ())

    def _where(self, mark: yaml.Mark) -> Position:
        return mark.line + self.line_offset, mark.column + 1

    def _value(self, node: yaml.Node, path: NodePath) -> Any:
        if id(node) in self._seen:
            line, column = self._where(node.start_mark)
            raise _Unreadable(
                "yaml-syntax",
                line,
                column,
                "anchors and aliases (&name, *name) are not allowed: write the value out",
            )
        self._seen.add(id(node))
        if len(path) > MAX_DEPTH:
            line, column = self._where(node.start_mark)
            raise _Unreadable("yaml-syntax", line, column, f"nested deeper than {MAX_DEPTH} levels")
        if self.keep_positions:
            self.value_positions[path] = self._where(node.start_mark)
        if isinstance(node, yaml.MappingNode):
            return self._mapping(node, path)
        if isinstance(node, yaml.SequenceNode):
            return [self._value(item, (*path, i)) for i, item in enumerate(node.value)]
        assert isinstance(node, yaml.ScalarNode)  # the composer makes no other kind
        return self._scalar(node, path)

    def _mapping(self, node: yaml.MappingNode, path: NodePath) -> dict[str, Any]:
        mapping: dict[str, Any] = {}
        first_lines: dict[str, int] = {}
        for key_node, value_node in node.value:
            key_line, key_column = self._where(key_node.start_mark)
            if not isinstance(key_node, yaml.ScalarNode):
                raise _Unreadable(
                    "yaml-syntax",
                    key_line,
                    key_column,
                    "keys must be plain words, not lists or maps",
                )
            key = key_node.value
            if key in first_lines:
                self._problem(
                    key_line,
                    key_column,
                    "duplicate-key",
                    f"duplicate key '{key}' (first on line {first_lines[key]}): keep one of them",
                )
            else:
                first_lines[key] = key_line
            if self.keep_positions:
                self.key_positions[(*path, key)] = (key_line, key_column)
            mapping[key] = self._value(value_node, (*path, key))
        return mapping

    def _scalar(self, node: yaml.ScalarNode, path: NodePath) -> Any:
        text = node.value
        if node.tag != _PLAIN:
            return text  # quoted, a block scalar, or given a tag such as !!str
        if text in _TRUE:
            return True
        if text in _FALSE:
            return False
        if text in _YAML11_BOOLEANS:
            line, column = self._where(node.start_mark)
            self._problem(
                line,
                column,
                "yaml-boolean",
                f"'{text}' is a YAML 1.1 boolean: write true or false, or quote it "
                f"('\"{text}\"') if you mean the word",
            )
            return _YAML11_BOOLEANS[text]
        if text in _NULL:
            return None
        return _number(text)

    def _problem(self, line: int, column: int, rule: str, message: str) -> None:
        self.problems.append(Finding(self.path, line, column, ERROR, rule, message))


def _number(text: str) -> int | float | str:
    """A plain scalar as a number where it is one JSON can hold, else the text.

    `.inf`, `.nan` and `1e999` stay text (JSON has no such numbers, so the
    schema reports them where a number is expected), and so does an integer
    too long for Python to convert (over 4,300 digits).
    """
    try:
        if _INT.fullmatch(text):
            return int(text, 0) if text[:2] in ("0o", "0x") else int(text)
        if _FLOAT.fullmatch(text) and math.isfinite(number := float(text)):
            return number
    except ValueError:
        pass
    return text


class _PositionedBlockParser(BlockParser):
    """mistune's block parser, noting where each top-level heading starts."""

    def parse_atx_heading(self, m: re.Match[str], state: BlockState) -> int:
        end = super().parse_atx_heading(m, state)
        state.tokens[-1]["offset"] = m.start()
        return end

    def parse_setex_heading(self, m: re.Match[str], state: BlockState) -> int | None:
        end = super().parse_setex_heading(m, state)
        token = state.last_token()
        if end is not None and token and token.get("style") == "setext":
            heading_lines = token["text"].rstrip("\n").count("\n") + 1
            token["offset"] = _line_start(state.src, m.start(), back=heading_lines)
        return end


def _line_start(src: str, offset: int, back: int) -> int:
    for _ in range(back):
        offset = src.rfind("\n", 0, offset - 1) + 1
    return offset


_markdown = mistune.Markdown(block=_PositionedBlockParser())


def _parse_body(body: str, first_line: int) -> tuple[Section, ...]:
    state = BlockState()
    state.process(body if body.endswith("\n") else body + "\n")
    _markdown.block.parse(state)
    sections: list[Section] = []
    title, line = "", 0
    items: list[str] = []
    for token in state.tokens:
        if token["type"] == "heading" and token["attrs"]["level"] <= 2:
            if title:
                sections.append(Section(title, line, tuple(items)))
            title, items = "", []
            if token["attrs"]["level"] == 2 and "offset" in token:
                title = " ".join(token["text"].split())
                line = first_line + state.src.count("\n", 0, token["offset"])
        elif token["type"] == "list" and title:
            items += [_item_text(item) for item in token["children"] if item["type"] == "list_item"]
    if title:
        sections.append(Section(title, line, tuple(items)))
    return tuple(sections)


def _item_text(item: dict[str, Any]) -> str:
    first = next((child for child in item["children"] if "text" in child), None)
    return " ".join(first["text"].split()) if first else ""
