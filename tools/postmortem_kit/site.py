"""The site's content from a repository: what both the MkDocs plugin and
`postmortem pages` publish. Plain Python; MkDocs is not imported here."""

from __future__ import annotations

import datetime as dt
import json
import os
import re
import shutil
from collections.abc import Callable
from pathlib import Path
from typing import NamedTuple
from urllib.parse import unquote

from postmortem_kit.aggregate import Aggregate, Incident, is_visible
from postmortem_kit.collection import (
    Collection,
    display_path,
    find_postmortem_files,
    load_collection,
)
from postmortem_kit.config import find_root, load_config
from postmortem_kit.format_schema import VISIBILITIES
from postmortem_kit.history import SHALLOW_WARNING, FileHistory, read_history
from postmortem_kit.lint import accepts, lint_context
from postmortem_kit.pages import STYLE, STYLESHEET, build_pages, page_url
from postmortem_kit.read import Postmortem
from postmortem_kit.rules import RULES
from postmortem_kit.taxonomy import load_taxonomy

AUDIENCE_VARIABLE = "POSTMORTEM_AUDIENCE"
DEFAULT_AUDIENCE = "internal"


class SiteError(Exception):
    """The site cannot be built; the message says why and what to do."""


class SiteContent(NamedTuple):
    root: Path
    postmortems_dir: Path
    audience: str
    pages: dict[str, str]  # path -> Markdown
    incidents: list[Incident]  # those with a page, newest first
    warnings: list[str]  # postmortems that are invalid or left out, with why
    history: dict[str, FileHistory]  # by postmortem path
    attachments: list[str]  # files that published postmortems link to, from the root


def choose_audience(configured: str | None) -> str:
    """The audience: $POSTMORTEM_AUDIENCE, else the configured one, else internal."""
    audience = os.environ.get(AUDIENCE_VARIABLE) or configured or DEFAULT_AUDIENCE
    if audience not in VISIBILITIES:
        raise SiteError(
            f"audience '{audience}' is not one of {', '.join(VISIBILITIES)} "
            f"(from ${AUDIENCE_VARIABLE} or the plugin's `audience` option)"
        )
    return audience


def load_site(
    start: Path,
    audience: str,
    today: dt.date | None = None,
    directory_urls: bool = True,
    with_history: bool = True,
) -> SiteContent:
    """What a build for `audience` publishes: only postmortems that pass lint
    and that the audience may see, and only the files those link to."""
    root = find_root(start)
    config = load_config(root, set(RULES))
    taxonomy = load_taxonomy(config.taxonomy)
    today = today or dt.date.today()
    collection = load_collection(find_postmortem_files(config.postmortems_dir), root, root)
    context = lint_context(config, taxonomy, collection, today)
    accepted, warnings = [], []
    for pm in (pm for pm in collection.postmortems if is_visible(pm, audience)):
        if accepts(pm, context, config):
            accepted.append(pm)
        else:
            warnings.append(f"{pm.path}: left out; `postmortem lint {pm.path}` says why")
    history = read_history(root, config.postmortems_dir) if with_history else None
    if history and history.shallow:
        warnings.append(SHALLOW_WARNING)
    files = history.by_display_path(root) if history else {}
    aggregate = Aggregate.of(Collection.of(accepted), taxonomy, audience, today, files)
    pages = build_pages(aggregate, directory_urls)
    published = {i.postmortem.path for i in aggregate.incidents}
    left_out = [pm for pm in collection.postmortems if pm.path not in published]
    attachments = Attachments.of(root, config.postmortems_dir, aggregate.incidents, left_out)
    return SiteContent(
        root,
        config.postmortems_dir,
        audience,
        pages,
        aggregate.incidents,
        warnings + attachments.warnings,
        files,
        attachments.files,
    )


# Where Markdown or HTML names another file: [text](target), ![alt](target),
# a reference `[name]: target`, or an HTML src/href attribute (the last group).
_LINK_TARGET = re.compile(
    r"\]\(\s*<?([^)\s>]+)|^ {0,3}\[[^\]\n]+\]:\s*<?([^\s>]+)|\b(?:src|href)=[\"']([^\"']+)",
    re.MULTILINE,
)
MARKDOWN_SUFFIXES = {".md", ".markdown", ".mdown", ".mkdn", ".mkd"}
# What the site publishes next to a postmortem: files a browser shows as an
# image, a document or text. Never HTML, SVG or XML, which run script when
# opened from the site's own address.
ATTACHMENT_SUFFIXES = {
    *(".png", ".jpg", ".jpeg", ".gif", ".webp", ".avif"),
    *(".pdf", ".txt", ".log", ".csv", ".tsv", ".json", ".jsonl"),
}


_ATTACHMENT_ENDINGS = tuple(ATTACHMENT_SUFFIXES)


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
        html = match.group(3) is not None
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
            for path in named_files(root / pm.path, pm.body)  # all of it, if unreadable
            if (identity := _identity(path))
        }
        files, warnings = set(), []
        for incident in published:
            path = incident.postmortem.path
            for link in links_in(root / path, incident.postmortem.body):
                resolved = _resolved(link.path)
                if resolved is None or (link.markdown_page and resolved.suffix == ".md"):
                    continue  # a missing file or a page: MkDocs reports or resolves it
                why = _not_published(link.path, resolved, folders, _identity(resolved) in withheld)
                if why:
                    warnings.append(f"{path}: the link to {link.target} is not published: {why}")
                else:
                    files.add(display_path(link.path, root))
        return cls(sorted(files), warnings)


# A word of text that could be a link target, however it is linked (a
# reference inside a list, an unquoted src, plain text).
_WORD = re.compile(r"[^\s\"'()<>\[\]=|]+")
_LINE_NAMING_A_FILE = re.compile(
    r"^.*(?:{}).*$".format("|".join(map(re.escape, sorted(ATTACHMENT_SUFFIXES)))),
    re.IGNORECASE | re.MULTILINE,
)


def named_files(postmortem: Path, body: str) -> list[Path]:
    """Every file of a kind the site publishes that a postmortem's text may
    link to, over-counted on purpose: a postmortem left out of a build must
    keep its attachments out, whichever form of link it used."""
    lines = _LINE_NAMING_A_FILE.findall(body)  # most postmortems have none
    words = (
        unquote(word.split("#")[0].split("?")[0]) for line in lines for word in _WORD.findall(line)
    )
    return [
        postmortem.parent / word
        for word in words
        if word.lower().endswith(_ATTACHMENT_ENDINGS) and ":" not in word
    ]


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


def incidents_json(content: SiteContent, url_of: Callable[[str], str]) -> str:
    """incidents.json: one record per visible postmortem, for other tools."""
    records = [
        {
            "id": i.id,
            "url": url_of(i.page),
            "path": i.postmortem.path,
            "history": _history_record(content.history.get(i.postmortem.path)),
            "front_matter": i.data,
        }
        for i in content.incidents
    ]
    # a record per line: easy to read and to diff, and without `indent` the
    # json module's C encoder does the work (3x faster at 1,000 postmortems)
    lines = ",\n".join(json.dumps(record, ensure_ascii=False) for record in records)
    text = '{"version": 1, "incidents": [\n' + lines + "\n]}\n"
    # the same values, but safe even where a tool pastes the JSON into a page
    return text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")


def _history_record(history: FileHistory | None) -> dict[str, object] | None:
    if history is None:
        return None  # outside git, or not committed yet
    return {
        "created": history.created.isoformat(),
        "updated": history.updated.isoformat(),
        "revisions": history.revisions,
        "contributors": list(history.contributors),
    }


def write_pages(content: SiteContent, out: Path) -> int:
    """Write every page, and incidents.json, under `out` for another builder."""
    for path, text in content.pages.items():
        target = out / path
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(text, encoding="utf-8")
    for attachment in content.attachments:
        target = out / attachment
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(content.root / attachment, target)
    (out / "incidents.json").write_text(incidents_json(content, page_url))
    (out / STYLESHEET).parent.mkdir(parents=True, exist_ok=True)
    (out / STYLESHEET).write_text(STYLE)
    return len(content.pages)
