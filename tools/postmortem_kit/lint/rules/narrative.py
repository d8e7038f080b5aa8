"""Rules on the narrative (the Markdown body) as the site will show it.

The narrative is untrusted text: authors of prompt-injection and harmful-output
postmortems quote hostile payloads. The site sanitises what it renders, so these
rules do not guarantee safety; they tell the author, at the line and column,
where the page would hold live HTML instead of the quoted text they meant.

The body is read as CommonMark reads it: mistune's block parser finds which
stretches of text are inline Markdown (paragraphs, headings), HTML blocks or
link definitions; code blocks are never looked at. Inline Markdown is then
scanned left to right, so code spans and backslash escapes hide what they hold.
"""

from __future__ import annotations

import html
import re
from bisect import bisect_right
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from functools import cached_property, lru_cache
from itertools import accumulate
from typing import NamedTuple
from urllib.parse import unquote

from mistune.block_parser import BlockParser
from mistune.core import BlockState

from postmortem_kit.format.patterns import LazyPattern
from postmortem_kit.format.read import Postmortem
from postmortem_kit.lint.rules.base import Context, Problem, rule
from postmortem_kit.lint.rules.body import PLACEHOLDER

QUOTE_IT = "quote the payload in a code span or a fenced code block"
# Elements that run code or pull other content into the page: an error even in
# the shape of a template prompt, since browsers ignore the case of tag names.
ACTIVE_ELEMENTS = {
    "script": "runs script when the page is shown",
    "style": "restyles the whole page",
    "link": "loads a stylesheet or another resource into the page",
    "iframe": "embeds another page",
    "frame": "embeds another page",
    "frameset": "embeds other pages",
    "object": "embeds active content",
    "embed": "embeds active content",
    "applet": "embeds active content",
    "base": "redirects every relative link on the page",
    "meta": "can redirect the reader to another page",
}
DANGEROUS_SCHEMES = {
    "javascript": "runs script when followed",
    "vbscript": "runs script when followed",
    "data": "can carry a whole page or script",
}

# A tag as a browser reads it: quotes matter only after `=`, so
# `onerror=alert(1)//'` is one unquoted value. An unquoted `<` ends the match,
# as it does for the site's renderer; with possessive quantifiers, a failed
# attempt costs no more than the text up to it.
_TAG = LazyPattern(
    r"<(?P<close>/?)(?P<name>[A-Za-z][A-Za-z0-9-]*)(?=[\s/>])"
    r"(?P<attrs>(?:[^\s/<>=]++(?:\s*+=\s*+(?:\"[^\"]*+\"|'[^']*+'|[^\s<>]*+))?|[\s/=]++)*+)>"
)
# An attribute with a value; one without cannot run script or hold a URL.
_VALUED_ATTRIBUTE = LazyPattern(
    r"(?P<name>[^\s/<>=]+)\s*=\s*(?:\"(?P<dq>[^\"]*)\"|'(?P<sq>[^']*)'|(?P<uq>[^\s<>]*))"
)
_HANDLER = LazyPattern(r"on[a-z]+", re.IGNORECASE)
_COMMENT_END = LazyPattern(r"--!?>")
_AUTOLINK = LazyPattern(r"<([A-Za-z][A-Za-z0-9+.-]{1,31}:[^\s<>]*)>")
# What changes how inline Markdown that follows is read.
_INLINE = LazyPattern(r"\\[!-/:-@\[-`{-~]|`+|<|\]\(")
# A link destination: <bracketed>, or plain with one level of balanced parentheses;
# then any title, which the page shows as text (so a <tag> in it is not HTML).
_DESTINATION = LazyPattern(
    r"[ \t]*\n?[ \t]*(?:<(?P<bracketed>[^<>\n]*)>"
    r"|(?P<plain>(?:[^\s()\\]|\\.|\((?:[^\s()\\]|\\.)*\))+))"
    r"(?:\s+(?:\"(?:[^\"\\]|\\.)*\"|'(?:[^'\\]|\\.)*'|\((?:[^()\\]|\\.)*\)))?"
)
_DEFINITION = LazyPattern(r"[ \t]*\[(?:\\.|[^\\\]])*\]:")
_BARE_LIST_MARKER = LazyPattern(r" {0,3}(?:[-+*]|\d{1,9}[.)])[ \t]*")
# A scheme with none of these in it is what it looks like.
_PLAIN_SCHEME = LazyPattern(r"[^&%\\\x00-\x20]*")
_MARKDOWN_ESCAPE = LazyPattern(r"\\([!-/:-@\[-`{-~])")
_URL_IGNORED = str.maketrans("", "", "\t\n\r")  # browsers drop these anywhere in a URL
_CONTROL_OR_SPACE = "".join(map(chr, range(0x21)))  # ...and these at its start


@rule("raw-html", "warning", escalates=True)
def check_raw_html(postmortem: Postmortem, context: Context) -> Iterable[Problem]:
    """Raw HTML in the narrative, outside code spans and blocks: the site removes what its
    sanitiser does not allow (see Raw HTML in docs/format.md); an error for `<script>`,
    event handlers and `javascript:`/`data:` URLs.
    """
    if not _might_have_html(postmortem.text):
        return
    body = postmortem.body
    lines = body.split("\n")
    for region in _regions(body):
        for found in _Scan(region.text).findings(region.kind):
            line, column = region.position(region.start + found.offset, lines)
            yield Problem(
                postmortem.body_line + line,
                column,
                found.message,
                level="error" if found.error else "",
            )


class _Found(NamedTuple):
    offset: int
    message: str
    error: bool


def _might_have_html(text: str) -> bool:
    """A quick look for anything this rule reports, in code too: most files have none.

    It looks for single characters, which CPython finds far faster than pairs.
    """
    scan = _Scan(text)
    start = text.find("<")
    while start >= 0:
        if scan.html_at(start, autolinks=True)[1]:
            return True
        start = text.find("<", start + 1)
    start = text.find("]")
    while start >= 0:
        if text[start + 1 : start + 2] in ("(", ":") and scan.destination_at(start + 2)[1]:
            return True
        start = text.find("]", start + 1)
    return False


class _Scan:
    """Scanning one stretch of text, remembering what it learnt about the rest of it.

    What is known not to occur further on is never searched for again, so that
    no text, however odd, costs more than a few passes over it.
    """

    def __init__(self, text: str) -> None:
        self.text = text
        self.unclosed: set[int] = set()  # lengths of backtick runs nothing further on closes
        # (from, at, end): the first --> at or after any offset from `from` to `at`
        # ends at `end`; None if there is none.
        self.comment_close: tuple[int, int, int | None] = (-1, -1, None)

    def findings(self, kind: str) -> Iterator[_Found]:
        """What the site would show as live HTML in a region of this kind."""
        return {"prose": self.prose, "html": self.html, "definition": self.definition}[kind]()

    def prose(self) -> Iterator[_Found]:
        """Raw HTML and risky links in inline Markdown, left to right as CommonMark reads it."""
        text, pos = self.text, 0
        while match := _INLINE.search(text, pos):
            token, start = match.group(), match.start()
            found = None
            if token[0] == "\\":
                pos = match.end()
            elif token[0] == "`":
                pos = self.code_span_end(start, len(token))
            elif token == "<":
                pos, found = self.html_at(start, autolinks=True)
            else:
                pos, found = self.destination_at(match.end())
            if found:
                yield found

    def html(self) -> Iterator[_Found]:
        """Tags in an HTML block, where Markdown (code spans included) means nothing."""
        pos = 0
        while (start := self.text.find("<", pos)) >= 0:
            pos, found = self.html_at(start, autolinks=False)
            if found:
                yield found

    def definition(self) -> Iterator[_Found]:
        """The destination of a link reference definition, `[label]: url`."""
        if match := _DEFINITION.match(self.text):
            found = self.destination_at(match.end())[1]
            if found:
                yield found

    def code_span_end(self, start: int, length: int) -> int:
        """A backtick run opens a code span only if a run of the same length closes it."""
        if length not in self.unclosed:
            closing = _closing_run(length).search(self.text, start + length)
            if closing:
                return closing.end()
            self.unclosed.add(length)
        return start + length

    def html_at(self, start: int, *, autolinks: bool) -> tuple[int, _Found | None]:
        """What the `<` at `start` opens, and where to go on scanning."""
        text = self.text
        if text.startswith("<!--", start) and (end := self.comment_end(start)):
            return end, None  # never shown, never run: the sanitiser drops comments
        if match := _TAG.match(text, start):
            return match.end(), _judge_tag(text, match)
        if autolinks and (match := _AUTOLINK.match(text, start)):
            return match.end(), _judge_url(match.start(1), match.group(1))
        return start + 1, None

    def comment_end(self, start: int) -> int | None:
        """Where the comment opened at `start` ends: at once as <!--> or <!--->, else at -->."""
        for short in ("<!-->", "<!--->"):
            if self.text.startswith(short, start):
                return start + len(short)
        after = start + 4
        searched_from, found_at, end = self.comment_close
        if not searched_from <= after <= found_at:
            match = _COMMENT_END.search(self.text, after)
            found_at, end = (match.start(), match.end()) if match else (len(self.text), None)
            self.comment_close = (after, found_at, end)
        return end

    def destination_at(self, start: int) -> tuple[int, _Found | None]:
        """The link destination that starts at `start` (after `](` or `]:`), if risky."""
        match = _DESTINATION.match(self.text, start)
        if not match:
            return start, None
        group = "bracketed" if match["bracketed"] is not None else "plain"
        return match.end(), _judge_url(match.start(group), match[group])


@lru_cache(maxsize=32)
def _closing_run(length: int) -> re.Pattern[str]:
    return re.compile(rf"(?<!`)`{{{length}}}(?!`)")


# Text the site's Markdown cannot render in reasonable time. Python-Markdown
# recurses once per level of nested lists (and fails near 300), and copies a
# paragraph's text for every inline mark it finds in it, which takes quadratic
# time: 10,000 `[` take 20 s, 100,000 `<b>` a few minutes; 1,000 and 10,000,
# the limits, take a fraction of a second. Real prose comes nowhere near them.
MAX_NESTING = 20
MAX_BRACKETS = 1000
MAX_INLINE_MARKS = 10_000
INLINE_MARKS = "`\\&*_<"  # and a line break made of two spaces
_DEEP_PREFIX = LazyPattern(r"^[ \t>*+\-0-9.)]{40}", re.MULTILINE)  # 20 levels take 40 characters
_LINE_PREFIX = LazyPattern(r"(?:[ \t]|>|[-*+](?=[ \t])|[0-9]{1,9}[.)](?=[ \t]))*")
_LIST_MARKER = LazyPattern(r"[-*+](?=[ \t])|[0-9]{1,9}[.)](?=[ \t])")
_PARAGRAPH = LazyPattern(r"(?:^[ \t]*\S[^\n]*\n?)+", re.MULTILINE)
_NOT_NEWLINE = LazyPattern(r"[^\n]")
_FENCED_CODE = LazyPattern(r"^ {0,3}(`{3,}|~{3,}).*?(?:^ {0,3}\1|\Z)", re.MULTILINE | re.DOTALL)


@rule("unrenderable", "error")
def check_unrenderable(postmortem: Postmortem, context: Context) -> Iterable[Problem]:
    r"""Lists nested more than 20 levels deep, or a paragraph (outside fenced code) with more
    than 1,000 `[` or 10,000 inline marks (`` ` `` `\` `&` `*` `_` `<`, two-space line
    breaks): Python-Markdown recurses on the one and takes quadratic time on the other, so
    the site could not show it.
    """
    body = postmortem.body
    for match in _DEEP_PREFIX.finditer(body):
        found = _LINE_PREFIX.match(body, match.start())
        assert found is not None  # it matches the empty string too
        prefix = found.group()
        markers = len(_LIST_MARKER.findall(prefix))
        indent = len(prefix.expandtabs(4)) - len(prefix.lstrip(" \t"))
        if markers and markers + indent // 4 > MAX_NESTING:
            yield Problem.at(
                postmortem.body_position(match.start()),
                f"lists nested more than {MAX_NESTING} levels deep, which the site cannot "
                "render: flatten them, or quote the text in a fenced code block",
            )
            break
    if body.count("[") > MAX_BRACKETS or _inline_marks(body) > MAX_INLINE_MARKS:
        # code is blanked out, not removed, so that offsets stay those of the body
        prose = _FENCED_CODE.sub(lambda code: _NOT_NEWLINE.sub(" ", code.group()), body)
        for paragraph in _PARAGRAPH.finditer(prose):
            text = paragraph.group()
            if text.count("[") > MAX_BRACKETS or _inline_marks(text) > MAX_INLINE_MARKS:
                yield Problem.at(
                    postmortem.body_position(paragraph.start()),
                    f"a paragraph holds over {MAX_BRACKETS} '[' or {MAX_INLINE_MARKS:,} marks "
                    f"({INLINE_MARKS}, line breaks), which the site cannot render in reasonable "
                    "time: quote such text in a fenced code block",
                )


def _inline_marks(text: str) -> int:
    return sum(text.count(mark) for mark in INLINE_MARKS) + text.count("  \n")


# Judging what was found


def _judge_tag(text: str, tag: re.Match[str]) -> _Found | None:
    if tag["close"]:
        return None  # the element was reported at its opening tag, if at all
    name = tag["name"][:20]
    if element := ACTIVE_ELEMENTS.get(name.lower()):
        return _Found(tag.start(), f"raw HTML <{name}> {element}: {QUOTE_IT}", True)
    if "=" in tag["attrs"] and (risk := _risky_attribute(tag["attrs"])):
        return _Found(tag.start(), f"raw HTML <{name} ... {risk}: {QUOTE_IT}", True)
    if PLACEHOLDER.match(text, tag.start()):
        return None  # a template prompt such as <Describe the impact.>: see `placeholder`
    return _Found(
        tag.start(),
        f"raw HTML <{name}>: the site removes what its sanitiser does not allow; use Markdown, "
        "or quote it in a code span or a fenced code block",
        False,
    )


def _risky_attribute(attributes: str) -> str | None:
    """An event handler, or a URL with a risky scheme: how to show it, and what it does."""
    for attribute in _VALUED_ATTRIBUTE.finditer(attributes):
        name = attribute["name"]
        if _HANDLER.fullmatch(name):
            return f"{name[:20]}> runs script when the page is shown"
        value = attribute[attribute.lastgroup or "uq"]  # the one of dq, sq, uq that matched
        if scheme := _dangerous_scheme(value):
            return f"{name[:20]}={scheme}:> {DANGEROUS_SCHEMES[scheme]}"
    return None


def _judge_url(offset: int, url: str) -> _Found | None:
    scheme = _dangerous_scheme(url)
    if not scheme:
        return None
    return _Found(
        offset,
        f"link to a {scheme}: URL ({_excerpt(url)}) {DANGEROUS_SCHEMES[scheme]}: {QUOTE_IT}",
        True,
    )


def _dangerous_scheme(url: str) -> str | None:
    """`javascript`, `vbscript` or `data` if the URL has that scheme, however spelt.

    Authors quote obfuscated payloads, so entities (`jav&#x61;script:`), Markdown
    escapes, percent-encoding and the tabs and newlines browsers ignore are undone.
    """
    head, colon, _ = url.partition(":")
    if not _PLAIN_SCHEME.fullmatch(head):
        url = _MARKDOWN_ESCAPE.sub(r"\1", url)
        url = unquote(html.unescape(url)).translate(_URL_IGNORED).lstrip(_CONTROL_OR_SPACE)
        head, colon, _ = url.partition(":")
    scheme = head.lower()
    return scheme if colon and scheme in DANGEROUS_SCHEMES else None


def _excerpt(text: str, limit: int = 40) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


# Finding the text the site renders: mistune's block structure, with positions


@dataclass(slots=True)
class _Region:
    """A stretch of one block state's text: inline Markdown, an HTML block or a definition."""

    state: _State
    start: int
    end: int
    kind: str  # "prose", "html" or "definition": see _Scan.findings

    @property
    def text(self) -> str:
        return self.state.src[self.start : self.end]

    def position(self, offset: int, body_lines: list[str]) -> tuple[int, int]:
        """Body line (from 0) and column (from 1) of an offset in the state's text.

        A state's line holds a body line's text less its container markers and
        indentation (and with leading tabs expanded), so what follows its own
        leading whitespace ends the body line.
        """
        state = self.state
        own_index = state.line_of(offset)
        own = state.lines[own_index]
        rest = own.lstrip(" \t")
        index = state.line + own_index
        body = body_lines[index] if index < len(body_lines) else own
        rest_at = len(body) - len(rest) if body.endswith(rest) else max(body.find(rest), 0)
        return index, rest_at + offset - state.line_starts[own_index] - (len(own) - len(rest)) + 1


class _State(BlockState):
    """A block state that knows on which body line its text starts.

    mistune parses a block quote or a list item as a child state whose text is
    the container's lines, one for one, without their markers and indentation.
    """

    def __init__(self, parent: _State | None = None) -> None:
        super().__init__(parent)
        self.line = 0  # body line (from 0) of the first line of src
        self.child_starts: list[_QuoteStart | _ItemStarts] = []  # innermost container last
        if parent is None:
            self.env["regions"] = []

    def child_state(self, src: str, lazy_line_starts: set[int] | None = None) -> _State:
        child = super().child_state(src, lazy_line_starts)
        assert isinstance(child, _State)
        starts = self.child_starts[-1] if self.child_starts else None
        first = starts.first_line(src) if starts else self.line_of(self.cursor)
        child.line = self.line + first
        return child

    @cached_property
    def lines(self) -> list[str]:
        return self.src.split("\n")

    @cached_property
    def line_starts(self) -> list[int]:
        return list(accumulate((len(line) + 1 for line in self.lines[:-1]), initial=0))

    def line_of(self, offset: int) -> int:
        """The line (from 0) of src that holds `offset`."""
        return bisect_right(self.line_starts, offset) - 1

    def add_region(self, start: int, end: int, kind: str) -> _Region:
        region = _Region(self, start, end, kind)
        self.env["regions"].append(region)
        return region

    def add_paragraph(self, text: str) -> None:
        start = self.cursor
        super().add_paragraph(text)
        self._grow_paragraph(start, start + len(text))

    def append_paragraph(self) -> int | None:
        start = self.cursor
        end = super().append_paragraph()
        if end:
            self._grow_paragraph(start, end)
        return end

    def _grow_paragraph(self, start: int, end: int) -> None:
        """A paragraph is added to line by line; one region spans each unbroken run.

        A run can be broken: a list that ends a block quote may add its first
        line to the paragraph before the quote (mistune's order of tokens).
        """
        paragraph = self.tokens[-1]
        region = paragraph.get("_region")
        if region and region.end == start:
            region.end = end
        else:
            paragraph["_region"] = self.add_region(start, end, "prose")


class _QuoteStart(NamedTuple):
    line: int

    def first_line(self, src: str) -> int:
        return self.line


class _ItemStarts:
    """Where each item of a list starts, in the lines of the state that holds the list."""

    def __init__(self, lines: list[str], marker_line: int) -> None:
        self.lines = lines
        self.marker_line = marker_line

    def first_line(self, src: str) -> int:
        marker = self.marker_line
        bare = marker < len(self.lines) and _BARE_LIST_MARKER.fullmatch(self.lines[marker])
        first = marker + 1 if bare else marker  # "-" alone: the item's text starts below it
        last = first + src.rstrip().count("\n") if src.strip() else marker
        # mistune trims trailing blank lines; the next item starts at the next text.
        self.marker_line = next(
            (i for i in range(last + 1, len(self.lines)) if self.lines[i].strip()), len(self.lines)
        )
        return first


# (block rule that matched, type of the token it added): what kind of region it is.
# Paragraphs are noted by _State; code blocks are never regions.
_REGION_KINDS: dict[tuple[str | None, str | None], str] = {
    ("block_html", "block_html"): "html",
    ("raw_html", "block_html"): "html",
    ("atx_heading", "heading"): "prose",
    ("ref_link", None): "definition",
}


class _RegionParser(BlockParser):
    """mistune's block parser, noting where inline Markdown, HTML blocks and definitions are.

    It parses only a _State (and the child states it makes), which mistune's
    methods, typed for any BlockState, cannot say.
    """

    def parse_method(self, m: re.Match[str], state: BlockState) -> int | None:
        assert isinstance(state, _State)
        count = len(state.tokens)
        # After a paragraph, a would-be definition or HTML block only adds lines to it.
        continues = bool(state.tokens) and state.tokens[-1]["type"] == "paragraph"
        end = super().parse_method(m, state)
        added = state.tokens[-1]["type"] if len(state.tokens) > count else None
        kind = _REGION_KINDS.get((m.lastgroup, added))
        if end and kind and not (continues and kind == "definition"):
            state.add_region(m.start(), end, kind)
        return end

    def parse_block_quote(self, m: re.Match[str], state: BlockState) -> int:
        assert isinstance(state, _State)
        state.child_starts.append(_QuoteStart(state.line_of(m.start())))
        try:
            return super().parse_block_quote(m, state)
        finally:
            state.child_starts.pop()

    def parse_list(self, m: re.Match[str], state: BlockState) -> int:
        assert isinstance(state, _State)
        state.child_starts.append(_ItemStarts(state.lines, state.line_of(m.start())))
        try:
            return super().parse_list(m, state)
        finally:
            state.child_starts.pop()


_PARSER = _RegionParser()


def _regions(body: str) -> list[_Region]:
    state = _State()
    state.process(body if body.endswith("\n") else body + "\n")
    _PARSER.parse(state)
    regions: list[_Region] = state.env["regions"]  # shared by the child states
    return regions
