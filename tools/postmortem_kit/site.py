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

from postmortem_kit.aggregate import Aggregate, Incident
from postmortem_kit.collection import display_path, find_postmortem_files, load_collection
from postmortem_kit.config import find_root, load_config
from postmortem_kit.format_schema import VISIBILITIES, build_schema
from postmortem_kit.history import SHALLOW_WARNING, FileHistory, read_history
from postmortem_kit.pages import STYLE, STYLESHEET, build_pages, page_url
from postmortem_kit.rules import RULES
from postmortem_kit.rules.schema import SchemaValidator
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
    attachments: list[str]  # files next to visible postmortems that they link to


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
    root = find_root(start)
    config = load_config(root, set(RULES))
    taxonomy = load_taxonomy(config.taxonomy)
    collection = load_collection(find_postmortem_files(config.postmortems_dir), root)
    validator = SchemaValidator(build_schema(taxonomy, config.id_prefix))
    warnings = []
    for pm in collection.postmortems:
        if not pm.readable:
            why = pm.problems[0].message
            warnings.append(f"{pm.path}: left out, unreadable ({why}); run `postmortem lint`")
        elif not validator.fast.is_valid(pm.data):
            warnings.append(
                f"{pm.path}: does not follow the format; `postmortem lint {pm.path}` says why"
            )
    history = read_history(root, config.postmortems_dir) if with_history else None
    if history and history.shallow:
        warnings.append(SHALLOW_WARNING)
    files = history.files if history else {}
    aggregate = Aggregate.of(collection, taxonomy, audience, today or dt.date.today(), files)
    built = build_pages(aggregate, directory_urls)
    warnings += [f"{pm_id}: left out, its id cannot be part of a URL" for pm_id in built.skipped]
    incidents = [i for i in aggregate.incidents if i.page in built.pages]
    folder = config.postmortems_dir.resolve()
    attachments = sorted(
        {
            display_path(linked, root)
            for incident in incidents
            for linked in linked_files(root / incident.postmortem.path, incident.postmortem.body)
            if linked.is_relative_to(folder)
        }
    )
    return SiteContent(
        root, config.postmortems_dir, audience, built.pages, incidents, warnings, files, attachments
    )


# Where Markdown or HTML names another file: [text](target), ![alt](target),
# a reference `[name]: target`, or an HTML src/href attribute.
_LINK_TARGET = re.compile(
    r"\]\(\s*<?([^)\s>]+)|^ {0,3}\[[^\]]+\]:\s*<?([^\s>]+)|\b(?:src|href)=[\"']([^\"']+)",
    re.MULTILINE,
)


def linked_files(postmortem: Path, body: str) -> set[Path]:
    """The files other than Markdown that a postmortem's text links to by a
    relative path (screenshots, attachments), resolved from its folder."""
    found = set()
    for match in _LINK_TARGET.finditer(body):
        target = unquote(next(t for t in match.groups() if t).split("#")[0].split("?")[0])
        if not target or target.startswith("/") or ":" in target or target.endswith(".md"):
            continue  # an anchor, an absolute path or URL, or a page MkDocs resolves itself
        path = (postmortem.parent / target).resolve()
        if path.is_file():
            found.add(path)
    return found


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
