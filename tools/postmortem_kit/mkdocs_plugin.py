"""The `postmortems` MkDocs plugin: hands the site's pages to MkDocs.

Everything it publishes comes from `postmortem_kit.site`; this module only
adapts it: pages become generated files, the navigation lists the index
pages (never every postmortem, which would make the build quadratic), the
search plugin is handed the words of the generated HTML rather than its
markup, and `mkdocs serve` watches the postmortems folder.
"""

from __future__ import annotations

import gc
import logging
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

from mkdocs.config import config_options as c
from mkdocs.config.base import Config
from mkdocs.config.defaults import MkDocsConfig
from mkdocs.exceptions import PluginError
from mkdocs.plugins import BasePlugin, CombinedEvent, event_priority
from mkdocs.structure.files import File, Files, InclusionLevel
from mkdocs.structure.pages import Page

from postmortem_kit.collection import bulk_reading
from postmortem_kit.config import ConfigError
from postmortem_kit.pages import NAV, STYLE, STYLESHEET
from postmortem_kit.site import SiteContent, SiteError, choose_audience, incidents_json, load_site
from postmortem_kit.taxonomy import TaxonomyError

log = logging.getLogger("mkdocs.plugins.postmortems")

# Markdown extensions the generated pages are written for.
EXTENSIONS = ["tables", "toc"]
# A block of final HTML in a generated page: Markdown would only pass it through.
HTML_BLOCK = re.compile(r"^<(table|ul|div|figure)\b.*?^</\1>$", re.DOTALL | re.MULTILINE)
BLOCK_MARK = re.compile(r"<!--pm-block-(\d+)-->")
# An incident page's generated part: headings, each followed by nothing but HTML.
HEADING_LINE = re.compile(r"^(#{1,6} .*)$", re.MULTILINE)
ONLY_HTML = re.compile(
    r"(?:\s*(?:<(table|ul|div|figure)\b.*?^</\1>$|<p>[^\n]*</p>$|<hr>$))*\s*",
    re.DOTALL | re.MULTILINE,
)
HEADING_END = re.compile(r"</h[1-6]>")
PutBack = Callable[[str, list[str]], str]
# What incident pages all repeat (table headers, the triage questions) is
# marked as Material's search does, and left out of the search text.
SEARCH_EXCLUDED = re.compile(r"<(\w+) data-search-exclude>.*?</\1>", re.DOTALL)
BETWEEN_WORDS = re.compile(r"</?(?:p|br|li|td|th|tr|ul|div|table|tbody)\b[^>]*>")
TAG = re.compile(r"<[^>]*>")


class PostmortemsConfig(Config):
    audience = c.Optional(c.Choice(["public", "internal", "restricted"]))
    history = c.Type(bool, default=True)  # created, updated, contributors from git


class PostmortemsPlugin(BasePlugin[PostmortemsConfig]):
    def on_config(self, config: MkDocsConfig) -> MkDocsConfig:
        try:
            self.audience = choose_audience(self.config.audience)
        except SiteError as e:
            raise PluginError(f"postmortems: {e}") from None
        for extension in EXTENSIONS:
            if extension not in config.markdown_extensions:
                config.markdown_extensions.append(extension)
        config.extra_css.append(STYLESHEET)
        self.set_nav = config.nav is None
        return config

    def on_files(self, files: Files, /, *, config: MkDocsConfig) -> Files:
        content = self._load(Path(config.config_file_path).parent, config.use_directory_urls)
        for warning in content.warnings:
            log.warning(warning)
        for path, text in content.pages.items():
            existing = files.get_file_from_path(path)
            if existing is not None:
                if path != "index.md":
                    raise PluginError(
                        f"postmortems: {path} in {config.docs_dir} would hide a generated "
                        "page: rename or move it"
                    )
                continue  # the site's own home page wins
            # pages reached from the indexes, not the nav: say so, or MkDocs lists them all
            inclusion = InclusionLevel.INCLUDED if path in NAV_PAGES else InclusionLevel.NOT_IN_NAV
            files.append(File.generated(config, path, content=text, inclusion=inclusion))
        if self.set_nav:  # our index pages, then the repository's own pages
            own = [f.src_uri for f in files.documentation_pages() if f.src_uri not in content.pages]
            config.nav = _nav(NAV) + sorted(own)
        urls = {page: files.get_file_from_path(page).url for page in content.pages}
        json_text = incidents_json(content, lambda page: urls[page])
        files.append(File.generated(config, "incidents.json", content=json_text))
        files.append(File.generated(config, STYLESHEET, content=STYLE))
        self.content = content
        self.author_text = {i.page: i.postmortem.body.strip() + "\n" for i in content.incidents}
        self.set_aside: dict[str, tuple[list[str], PutBack]] = {}
        self.search_html: dict[str, str] = {}
        self.page_html: dict[str, str] = {}
        return files

    def on_page_markdown(self, markdown: str, /, *, page: Page, **_: Any) -> str:
        source = page.file.src_uri
        if source not in self.content.pages:
            return markdown
        markdown, blocks, put_back = _set_aside_html(markdown, self.author_text.get(source, ""))
        self.set_aside[source] = (blocks, put_back)
        return markdown

    def on_page_content(self, html: str, /, *, page: Page, **_: Any) -> str:
        blocks, put_back = self.set_aside.pop(page.file.src_uri, ([], _put_at_marks))
        if not blocks:
            return html
        self.search_html[page.file.src_uri] = put_back(html, list(map(_search_text, blocks)))
        return put_back(html, blocks)

    # The search plugin indexes `page.content` in its on_page_context. Our
    # blocks are tables and lists whose markup it would parse tag by tag only
    # to keep the words (a third of the build at 1,000 postmortems), so for
    # the length of that event it sees the words alone; the page keeps its HTML.
    @event_priority(100)
    def _show_search_text(self, context: Any, /, *, page: Page, **_: Any) -> Any:
        if page.file.src_uri in self.search_html:
            self.page_html[page.file.src_uri] = page.content
            page.content = self.search_html.pop(page.file.src_uri)
        return context

    @event_priority(-100)
    def _show_page_html(self, context: Any, /, *, page: Page, **_: Any) -> Any:
        if page.file.src_uri in self.page_html:
            page.content = self.page_html.pop(page.file.src_uri)
        return context

    on_page_context = CombinedEvent(_show_search_text, _show_page_html)

    def on_serve(self, server: Any, /, *, config: MkDocsConfig, builder: Any) -> Any:
        server.watch(str(self.content.postmortems_dir))
        return server

    def on_post_build(self, *, config: MkDocsConfig) -> None:
        gc.unfreeze()  # under `mkdocs serve`, this build's objects may go now

    def _load(self, start: Path, directory_urls: bool) -> SiteContent:
        try:
            with bulk_reading():
                content = load_site(
                    start,
                    self.audience,
                    directory_urls=directory_urls,
                    with_history=self.config.history,
                )
                # What we loaded lives as long as the build: keep the garbage
                # collector from rescanning it on every pass from now on.
                gc.freeze()
        except (ConfigError, TaxonomyError) as e:
            raise PluginError(f"postmortems: {e}") from None
        log.info(
            "postmortems: %d postmortems visible to audience '%s'",
            len(content.incidents),
            content.audience,
        )
        return content


def _set_aside_html(markdown: str, author_text: str) -> tuple[str, list[str], PutBack]:
    """Keep a generated page's HTML away from Python-Markdown: parsing it is
    most of the Markdown work of the page, and it would come out unchanged.

    Returns the Markdown left, the HTML blocks, and how to put them back.
    """
    markdown = markdown.rstrip() + "\n"
    end = len(markdown) - len(author_text) if markdown.endswith(author_text) else len(markdown)
    under_headings = _html_under_headings(markdown[:end])
    if under_headings:  # an incident page: Markdown needs only its headings
        headings, blocks = under_headings
        return "\n\n".join(headings) + "\n\n" + markdown[end:], blocks, _put_under_headings
    blocks = []

    def set_aside(match: re.Match[str]) -> str:
        blocks.append(match.group(0))
        return f"<!--pm-block-{len(blocks) - 1}-->"

    return HTML_BLOCK.sub(set_aside, markdown), blocks, _put_at_marks


def _html_under_headings(generated: str) -> tuple[list[str], list[str]] | None:
    """The heading lines of a generated page and the HTML under each, or None
    where there is anything else (Markdown text, or no headings)."""
    before, *parts = HEADING_LINE.split(generated)  # text, heading, text, heading…
    headings, under = parts[0::2], parts[1::2]
    if not headings or before.strip() or not all(ONLY_HTML.fullmatch(u) for u in under):
        return None
    return headings, [u.strip() for u in under]


def _put_under_headings(html: str, blocks: list[str]) -> str:
    """Block i goes after the i-th heading: the page's first headings are ours."""
    pieces, start = [], 0
    for block, heading in zip(blocks, HEADING_END.finditer(html), strict=False):
        pieces += [html[start : heading.end()], "\n", block]
        start = heading.end()
    return "".join(pieces) + html[start:]


def _put_at_marks(html: str, blocks: list[str]) -> str:
    return BLOCK_MARK.sub(lambda m: blocks[int(m.group(1))], html)


def _search_text(block: str) -> str:
    """What a search index keeps of a block of HTML: its words, minus boilerplate."""
    words = TAG.sub("", BETWEEN_WORDS.sub(" ", SEARCH_EXCLUDED.sub("", block))).split()
    return f"<p>{' '.join(words)}</p>" if words else ""


def _nav_pages(entries: list[tuple[str, Any]]) -> set[str]:
    return {
        page
        for _, target in entries
        for page in (_nav_pages(target) if isinstance(target, list) else {target})
    }


NAV_PAGES = _nav_pages(NAV)


def _nav(entries: list[tuple[str, Any]]) -> list[dict[str, Any]]:
    return [
        {title: _nav(target) if isinstance(target, list) else target} for title, target in entries
    ]
