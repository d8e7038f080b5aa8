"""A python-frontmatter handler that reads postmortems as the linter does.

    import frontmatter
    from postmortem_kit.format.frontmatter_handler import PostmortemHandler

    post = frontmatter.load(path, handler=PostmortemHandler())

`post.metadata` is the linter's own reading of the front matter (`read.py`
does the work): dates stay the strings the author wrote, true/false are
booleans and so are yes/no/on/off (which the linter reports), numbers JSON
cannot hold (.inf, .nan, 1e999, huge integers) stay text, keys are always
strings, and of duplicate keys the last wins. The front matter ends where
the linter says (after a BOM, with CRLF line ends, at the first line `---`).
`post.content` is the body after it, stripped as python-frontmatter strips it.

A file the linter cannot read at all (no front matter, unclosed, invalid YAML,
anchors, not a mapping, too deep, too large, NUL bytes) raises
`UnreadablePostmortem`, whose message is the linter's. It is not a ValueError
on purpose: python-frontmatter takes a ValueError from `split` to mean "no front
matter" and would return empty metadata, silently dropping the file's values.
Problems that still leave values (duplicate keys, yes/no) do not raise:
`postmortem lint` reports them.

python-frontmatter changes the text before the handler sees it, so three
things differ from the linter: it strips the text, so a file that starts with a
blank line is read (the linter refuses it); `frontmatter.load` (1.3) opens
files in text mode, which takes a lone CR for a line end
(`frontmatter.loads(path.read_bytes(), handler=...)` does not); and a file
that is not UTF-8 raises UnicodeDecodeError. A top-level key `content` or
`handler` (which the schema does not allow) makes python-frontmatter's `Post`
raise TypeError.

`frontmatter.dumps(post)` writes the metadata back as YAML that this handler
reads back to the same values (comments and the author's quoting are lost).
"""

from __future__ import annotations

import re
from typing import Any

import yaml
from frontmatter.default_handlers import BaseHandler

from postmortem_kit.format.findings import Finding
from postmortem_kit.format.read import Postmortem, parse_postmortem


class UnreadablePostmortem(Exception):
    """The linter cannot read this file; `finding` is what it reports."""

    def __init__(self, finding: Finding) -> None:
        super().__init__(f"line {finding.line}, column {finding.column}: {finding.message}")
        self.finding = finding


class PostmortemHandler(BaseHandler):
    # A line `---` as the reader takes it: trailing whitespace allowed.
    FM_BOUNDARY = re.compile(r"^---[^\S\n]*$", re.MULTILINE)
    START_DELIMITER = END_DELIMITER = "---"

    def detect(self, text: str) -> bool:
        """Whether `text` opens with front matter (its first line is `---`)."""
        return self.FM_BOUNDARY.match(text.removeprefix("\ufeff")) is not None

    def split(self, text: str) -> tuple[str, str]:
        """The front matter between the `---` lines, and the body after them."""
        postmortem = _read(text)
        lines = postmortem.text.split("\n")
        closing = postmortem.body_line - 2  # index of the closing `---`
        return "\n".join(lines[1:closing]), "\n".join(lines[closing + 1 :])

    def load(self, fm: str) -> dict[str, Any]:
        """The values of front matter text, as `split` returns it."""
        # The reader takes whole files: give it the front matter as one, which
        # also keeps the line numbers of its messages those of the file.
        return _read(f"---\n{fm}\n---\n").data

    def export(self, metadata: dict[str, object], **kwargs: Any) -> str:
        # kwargs are yaml.dump's options, passed through from frontmatter.dumps.
        kwargs.setdefault("Dumper", _Dumper)
        kwargs.setdefault("default_flow_style", False)
        kwargs.setdefault("allow_unicode", True)
        kwargs.setdefault("sort_keys", False)
        # Not strip(): a first key may start with whitespace such as a no-break space.
        text: str = yaml.dump(metadata, **kwargs)
        return text.removesuffix("\n")


def _read(text: str) -> Postmortem:
    raw = text.encode("utf-8", "surrogatepass")  # a lone surrogate is refused as not UTF-8
    postmortem = parse_postmortem(raw, "<front matter>", positions=False)
    if not postmortem.readable:
        raise UnreadablePostmortem(postmortem.problems[0])
    return postmortem


_NUMBER_START = re.compile(r"[-+.0-9]")
_UNICODE_BREAKS = re.compile("[\x85\u2028\u2029]")


class _Dumper(yaml.SafeDumper):
    """PyYAML's safe dumper, quoting each string our reader could read as another type.

    PyYAML follows YAML 1.1, which writes `1e5`, `0o17` or `09` unquoted as
    strings; the reader (YAML 1.2) reads them as numbers. Quoting every string
    that starts like a number is simpler than mirroring the reader's rules.
    """

    def resolve(self, kind: type[yaml.Node], value: Any, implicit: tuple[bool, bool]) -> str:
        # types-PyYAML leaves BaseResolver.resolve unannotated.
        tag: str = super().resolve(kind, value, implicit)  # type: ignore[no-untyped-call]
        plain_string = kind is yaml.ScalarNode and implicit[0] and tag == "tag:yaml.org,2002:str"
        return "tag:postmortem-kit:quoted" if plain_string and _NUMBER_START.match(value) else tag

    def represent_str(self, data: str) -> yaml.ScalarNode:
        # Outside double quotes PyYAML writes these as they are, and they read back as spaces.
        style = '"' if _UNICODE_BREAKS.search(data) else None
        return self.represent_scalar("tag:yaml.org,2002:str", data, style=style)

    def ignore_aliases(self, data: Any) -> bool:
        return True  # the reader refuses anchors: write a shared value out each time


_Dumper.add_representer(str, _Dumper.represent_str)
