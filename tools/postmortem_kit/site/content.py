"""The site's content from a repository: what both the MkDocs plugin and
`postmortem pages` publish. Plain Python; MkDocs is not imported here."""

from __future__ import annotations

import datetime as dt
import json
import os
import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any, NamedTuple

from postmortem_kit.format.collection import (
    Collection,
    bulk_reading,
    find_postmortem_files,
    load_collection,
)
from postmortem_kit.format.read import Postmortem
from postmortem_kit.format.vocabulary import DEFAULT_AUDIENCE, VISIBILITIES
from postmortem_kit.git.history import SHALLOW_WARNING, FileHistory
from postmortem_kit.lint.runner import accepts, lint_context, shared_out
from postmortem_kit.lint.selection import Selection
from postmortem_kit.repository import Repository
from postmortem_kit.site.aggregate import Aggregate, Incident, is_visible
from postmortem_kit.site.attachments import Attachments
from postmortem_kit.site.pages import STYLE, STYLESHEET, SimilarLists, build_pages, page_url

# Written as `\u` escapes in JSON: characters some readers take for a line
# break, and those that mean something in a page.
JSON_ESCAPED = "<>&\x85\u2028\u2029"

AUDIENCE_VARIABLE = "POSTMORTEM_AUDIENCE"


class SiteError(Exception):
    """The site cannot be built; the message says why and what to do."""


class SiteContent(NamedTuple):
    root: Path
    postmortems_dir: Path
    audience: str
    pages: dict[str, str]  # path -> Markdown, the incident pages without their similar lists
    similar: SimilarLists  # puts them in
    incidents: list[Incident]  # those with a page, newest first
    warnings: list[str]  # postmortems left out and links not published, with why
    history: dict[str, FileHistory]  # by postmortem path
    attachments: list[str]  # files that published postmortems link to, from the root
    aggregate: Aggregate  # what the pages show, for the downloads (`export.downloads`)


def choose_audience(configured: str | None, explicit: str | None = None) -> str:
    """The audience: the command's own option, else $POSTMORTEM_AUDIENCE, else
    the configured one (the plugin's option, or `audience` in pyproject.toml),
    else internal."""
    audience = explicit or os.environ.get(AUDIENCE_VARIABLE) or configured or DEFAULT_AUDIENCE
    if audience not in VISIBILITIES:
        raise SiteError(
            f"audience '{audience}' is not one of {', '.join(VISIBILITIES)} "
            f"(from ${AUDIENCE_VARIABLE} or the plugin's `audience` option)"
        )
    return audience


class Published(NamedTuple):
    """What an audience may read: the postmortems that pass lint and that it
    may see, every reference to one it may not see already taken out."""

    aggregate: Aggregate
    left_out: list[Postmortem]  # read, but not published
    warnings: list[str]  # postmortems left out with why; a shallow clone
    history: dict[str, FileHistory]  # by postmortem path


def load_published(
    repository: Repository,
    audience: str,
    today: dt.date | None = None,
    with_history: bool = True,
) -> Published:
    """The one place that decides what an audience reads: the site, the
    pages and every export start here.

    A large repository is read and linted over the CPU cores by forked
    workers, as `postmortem lint` does, wherever forking is safe (not beside
    the threads of `mkdocs serve`: `shared_out` decides).
    """
    root = repository.root
    today = today or dt.date.today()
    files = find_postmortem_files(repository.postmortems_dir)
    with bulk_reading():
        collection = Collection(
            shared_out(lambda batch: list(load_collection(batch, root, root).postmortems), files)
        )
        context = lint_context(repository, collection, today)
        selection = Selection.of(repository.config)
        shown = [pm for pm in collection.postmortems if is_visible(pm, audience)]
        # forked after the reading, the workers have the postmortems: they get their numbers
        verdicts = shared_out(
            lambda batch: [accepts(shown[i], context, selection) for i in batch],
            range(len(shown)),
        )
    accepted = [pm for pm, ok in zip(shown, verdicts, strict=True) if ok]
    warnings = [
        f"{pm.path}: left out; `postmortem lint {pm.path}` says why"
        for pm, ok in zip(shown, verdicts, strict=True)
        if not ok
    ]
    history = repository.history if with_history else None
    if history and history.shallow:
        warnings.append(SHALLOW_WARNING)
    by_path = history.by_display_path(root) if history else {}
    aggregate = Aggregate.of(Collection(accepted), repository.taxonomy, audience, today, by_path)
    published = {i.postmortem.path for i in aggregate.incidents}
    left_out = [pm for pm in collection.postmortems if pm.path not in published]
    return Published(aggregate, left_out, warnings, by_path)


def load_site(
    repository: Repository,
    audience: str,
    today: dt.date | None = None,
    directory_urls: bool = True,
    with_history: bool = True,
) -> SiteContent:
    """What a build for `audience` publishes: only postmortems that pass lint
    and that the audience may see, and only the files those link to."""
    published = load_published(repository, audience, today, with_history)
    aggregate = published.aggregate
    pages, similar = build_pages(aggregate, directory_urls)
    attachments = Attachments.of(
        repository.root, repository.postmortems_dir, aggregate.incidents, published.left_out
    )
    return SiteContent(
        repository.root,
        repository.postmortems_dir,
        audience,
        pages,
        similar,
        aggregate.incidents,
        published.warnings + attachments.warnings,
        published.history,
        attachments.files,
        aggregate,
    )


def incidents_json(content: SiteContent, url_of: Callable[[str], str]) -> str:
    """incidents.json: one record per visible postmortem, for other tools."""
    records = [
        {
            "id": i.id,
            "url": url_of(i.page),
            "path": i.postmortem.path,
            "history": history_record(content.history.get(i.postmortem.path)),
            "front_matter": i.data,
        }
        for i in content.incidents
    ]
    # a record per line: easy to read and to diff, and without `indent` the
    # json module's C encoder does the work (3x faster at 1,000 postmortems)
    lines = ",\n".join(json_text(record) for record in records)
    return '{"version": 1, "incidents": [\n' + lines + "\n]}\n"


def json_text(value: Any, indent: int | None = None) -> str:
    """JSON of `value` with the characters of `JSON_ESCAPED` as `\\u` escapes:
    the same values, on one line unless `indent` is given, and safe even
    where a tool pastes them into a page."""
    text = json.dumps(value, ensure_ascii=False, indent=indent)
    for char in JSON_ESCAPED:
        if char in text:
            text = text.replace(char, f"\\u{ord(char):04x}")
    return text


def history_record(history: FileHistory | None) -> dict[str, object] | None:
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
        target.write_text(content.similar.fill(path, text), encoding="utf-8")
    for attachment in content.attachments:
        target = out / attachment
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(content.root / attachment, target)
    (out / "incidents.json").write_text(incidents_json(content, page_url))
    (out / STYLESHEET).parent.mkdir(parents=True, exist_ok=True)
    (out / STYLESHEET).write_text(STYLE)
    return len(content.pages)
