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
from pathlib import Path
from typing import Any

from mkdocs.config import config_options as c
from mkdocs.config.base import Config
from mkdocs.config.defaults import MkDocsConfig
from mkdocs.exceptions import PluginError
from mkdocs.plugins import BasePlugin, CombinedEvent, event_priority
from mkdocs.structure.files import File, Files, InclusionLevel
from mkdocs.structure.pages import Page

from postmortem_kit.config import ConfigError
from postmortem_kit.pages import NAV, STYLE, STYLESHEET
from postmortem_kit.site import SiteContent, SiteError, choose_audience, incidents_json, load_site
from postmortem_kit.taxonomy import TaxonomyError

log = logging.getLogger("mkdocs.plugins.postmortems")

# Markdown extensions the generated pages are written for.
EXTENSIONS = ["tables", "admonition", "toc"]
# A block of final HTML in a generated page: Markdown would only pass it through.
HTML_BLOCK = re.compile(r"^<(table|ul|div|figure)\b.*?^</\1>$", re.DOTALL | re.MULTILINE)
BLOCK_MARK = re.compile(r"<!--pm-block-(\d+)-->")
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
        self.html_blocks: dict[str, list[str]] = {}
        self.search_html: dict[str, str] = {}
        self.page_html: dict[str, str] = {}
        # What we loaded lives as long as the build: keep the garbage collector
        # from rescanning it on every pass while MkDocs renders the pages.
        gc.freeze()
        return files

    def on_page_markdown(self, markdown: str, /, *, page: Page, **_: Any) -> str:
        """Set aside the generated HTML blocks: parsing them is most of the
        Markdown work of a generated page, and they come out unchanged."""
        if page.file.src_uri not in self.content.pages:
            return markdown
        blocks = self.html_blocks[page.file.src_uri] = []

        def set_aside(match: re.Match[str]) -> str:
            blocks.append(match.group(0))
            return f"<!--pm-block-{len(blocks) - 1}-->"

        return HTML_BLOCK.sub(set_aside, markdown)

    def on_page_content(self, html: str, /, *, page: Page, **_: Any) -> str:
        blocks = self.html_blocks.pop(page.file.src_uri, None)
        if not blocks:
            return html
        search_blocks = [_search_text(block) for block in blocks]
        self.search_html[page.file.src_uri] = _put_back(html, search_blocks)
        return _put_back(html, blocks)

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

    def _load(self, start: Path, directory_urls: bool) -> SiteContent:
        try:
            content = load_site(
                start,
                self.audience,
                directory_urls=directory_urls,
                with_history=self.config.history,
            )
        except (ConfigError, TaxonomyError) as e:
            raise PluginError(f"postmortems: {e}") from None
        log.info(
            "postmortems: %d postmortems visible to audience '%s'",
            len(content.incidents),
            content.audience,
        )
        return content


def _put_back(html: str, blocks: list[str]) -> str:
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
