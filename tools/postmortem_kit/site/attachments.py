"""Which files next to the postmortems a build publishes, decided where each link leads.

A published postmortem's screenshot or log excerpt is published with it: a
regular file inside the postmortems folder (as written and once every link is
followed), of a kind a browser shows as an image, a document or text, that no
postmortem left out of the build names too. Everything else a link names is
reported, so that a strict build fails rather than a public one leaking.
"""

from __future__ import annotations

import html
import os
import re
from pathlib import Path
from typing import NamedTuple
from urllib.parse import unquote

from postmortem_kit.format.collection import display_path
from postmortem_kit.format.read import Postmortem
from postmortem_kit.site.aggregate import Incident

# Where Markdown or HTML names another file: [text](target), ![alt](target),
# either with a <bracketed target>, a reference `[name]: target`, or an HTML
# src/href attribute (the last group).
_LINK_TARGET = re.compile(
    r"\]\(\s*(?:<([^<>\n]+)>|([^)\s>]+))|^ {0,3}\[[^\]\n]+\]:\s*<?([^\s>]+)"
    r"|\b(?:src|href)=[\"']([^\"']+)",
    re.MULTILINE,
)
MARKDOWN_SUFFIXES = {".md", ".markdown", ".mdown", ".mkdn", ".mkd"}
# What the site publishes next to a postmortem: files a browser shows as an
# image, a document or text. Never HTML, SVG or XML, which run script when
# opened from the site's own address.
ATTACHMENT_SUFFIXES = (
    *(".png", ".jpg", ".jpeg", ".gif", ".webp", ".avif"),
    *(".pdf", ".txt", ".log", ".csv", ".tsv", ".json", ".jsonl"),
)


class Link(NamedTuple):
    target: str  # as the author wrote it, without #fragment or ?query
    path: Path  # the file it names, from the postmortem's folder (links not followed)
    markdown_page: bool  # a Markdown link to a .md file: MkDocs resolves those itself


def links_in(postmortem: Path, body: str) -> list[Link]:
    """The links of a postmortem's text to other files by a relative path."""
    links = []
    for match in _LINK_TARGET.finditer(body):
        written = next(t for t in match.groups() if t)
        target = unquote(written.split("#")[0].split("?")[0])
        if not target or target.startswith("/") or ":" in target:
            continue  # an anchor, an absolute path or a URL
        path = Path(os.path.normpath(postmortem.parent / target))
        html = match.group(4) is not None
        links.append(Link(target, path, target.endswith(".md") and not html))
    return links


class Attachments(NamedTuple):
    files: list[str]  # paths from the repository root, to publish
    warnings: list[str]  # links that named a file the site does not publish

    @classmethod
    def of(
        cls,
        root: Path,
        folder: Path,
        published: list[Incident],
        left_out: list[Postmortem],
    ) -> Attachments:
        """The files that published postmortems link to, decided on where each
        link resolves: inside the postmortems folder, a regular file of a kind
        we publish, and not also linked from a postmortem this build leaves out."""
        folders = (Path(os.path.abspath(folder)), folder.resolve())  # as written, and real
        withheld = {
            identity
            for pm in left_out
            for path in named_files(root / pm.path, pm.body)
            if (identity := _identity(path))
        }
        # a postmortem too large or not UTF-8 may link to anything next to it
        # (a device, a pipe or a link out of the repository is nobody's text)
        unread = [(root / pm.path).parent for pm in left_out if _unread_text(pm)]
        files, warnings = set(), []
        for incident in published:
            path = incident.postmortem.path
            for link in links_in(root / path, incident.postmortem.body):
                resolved = _resolved(link.path)
                if resolved is None or (link.markdown_page and resolved.suffix == ".md"):
                    continue  # a missing file or a page: MkDocs reports or resolves it
                withhold = _identity(resolved) in withheld or any(
                    link.path.is_relative_to(folder) for folder in unread
                )
                why = _not_published(link.path, resolved, folders, withhold)
                if why:
                    warnings.append(f"{path}: the link to {link.target} is not published: {why}")
                else:
                    files.add(display_path(link.path, root))
        return cls(sorted(files), warnings)


# A word of text that could be a link target, however it is linked (a
# reference inside a list, an unquoted src, plain text), or a <bracketed>
# destination, which may hold spaces.
_WORD = re.compile(r"[^\s\"'()<>\[\]=|]+")
_BRACKETED = re.compile(r"<([^<>\n]+)>")
_LINE_NAMING_A_FILE = re.compile(
    r"^.*(?:{}).*$".format("|".join(map(re.escape, sorted(ATTACHMENT_SUFFIXES)))),
    re.IGNORECASE | re.MULTILINE,
)
_MARKDOWN_ESCAPE = re.compile(r"\\([!-/:-@\[-`{-~])")


def named_files(postmortem: Path, body: str) -> list[Path]:
    """Every file of a kind the site publishes that a postmortem's text may
    link to, over-counted on purpose: a postmortem left out of a build must
    keep its attachments out, whichever form of link it used. Escapes,
    entities and percent-encoding are undone first, as Markdown and browsers
    undo them, and `..` is taken as text, as MkDocs and browsers take it."""
    text = unquote(html.unescape(_MARKDOWN_ESCAPE.sub(r"\1", body)))
    words = (
        word.split("#")[0].split("?")[0]
        for line in _LINE_NAMING_A_FILE.findall(text)  # most postmortems have none
        for word in (*_BRACKETED.findall(line), *_WORD.findall(line))
    )
    return [
        Path(os.path.normpath(postmortem.parent / word))
        for word in words
        if word.lower().endswith(ATTACHMENT_SUFFIXES) and ":" not in word
    ]


def _unread_text(postmortem: Postmortem) -> bool:
    return not postmortem.text and any(p.rule == "unreadable-file" for p in postmortem.problems)


def _identity(path: Path) -> tuple[int, int] | None:
    """The file a path leads to, the same through links, hard links and `..`."""
    try:
        info = path.stat()
    except (OSError, ValueError):
        return None
    return info.st_dev, info.st_ino


def _resolved(path: Path) -> Path | None:
    """Where `path` leads once every link is followed; None if nothing is there."""
    try:
        resolved = path.resolve()
        return resolved if resolved.exists() else None
    except (OSError, RuntimeError, ValueError):  # a name too long, a loop of links, a NUL
        return None


def _not_published(path: Path, resolved: Path, folders: tuple[Path, Path], withheld: bool) -> str:
    """Why the file a link names is not published, or '' when it is.

    It must lie in the postmortems folder both as written (it is published
    under that path) and where its links lead (that is what is copied)."""
    written, real = folders
    if not (path.is_relative_to(written) and resolved.is_relative_to(real)):
        return "it is outside the postmortems folder"
    if resolved.suffix.lower() in MARKDOWN_SUFFIXES:
        return "it is a Markdown file; link to a postmortem as [text](its-file-name.md)"
    if not resolved.is_file():
        return "it is not a regular file"
    if resolved.suffix.lower() not in ATTACHMENT_SUFFIXES:
        kinds = ", ".join(sorted(ATTACHMENT_SUFFIXES))
        return f"the site publishes only these kinds of file: {kinds}"
    if withheld:
        return "a postmortem left out of this build links to it too"
    return ""
