"""The `postmortems` MkDocs plugin: hands the site's pages to MkDocs.

Everything it publishes comes from `postmortem_kit.site.content`; this module only
adapts it: pages become generated files, the navigation lists the index
pages (never every postmortem, which would make the build quadratic), the
generated HTML bypasses Python-Markdown (`html.py`), and `mkdocs serve`
watches the postmortems folder.
"""

from __future__ import annotations

import gc
import logging
import os
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

from mkdocs.config import config_options as c
from mkdocs.config.base import Config
from mkdocs.config.defaults import MkDocsConfig
from mkdocs.exceptions import PluginError
from mkdocs.plugins import BasePlugin, CombinedEvent, event_priority
from mkdocs.structure.files import File, Files, InclusionLevel
from mkdocs.structure.pages import Page

from postmortem_kit.export.downloads import DOWNLOADS, download_files
from postmortem_kit.format.collection import bulk_reading
from postmortem_kit.format.config import ConfigError
from postmortem_kit.format.vocabulary import VISIBILITIES
from postmortem_kit.repository import load_repository
from postmortem_kit.site.content import (
    SiteContent,
    SiteError,
    choose_audience,
    incidents_json,
    load_site,
)
from postmortem_kit.site.mkdocs.html import GeneratedHtml
from postmortem_kit.site.pages import NAV, STYLE, STYLESHEET, NavEntry

if TYPE_CHECKING:  # as MkDocs itself imports them: only for types
    from mkdocs.livereload import LiveReloadServer
    from mkdocs.structure.nav import Navigation
    from mkdocs.utils.templates import TemplateContext

log = logging.getLogger("mkdocs.plugins.postmortems")

# Markdown extensions the generated pages are written for.
EXTENSIONS = ["tables", "toc"]


class PostmortemsConfig(Config):
    audience = c.Optional(c.Choice(VISIBILITIES))
    history = c.Type(bool, default=True)  # created, updated, contributors from git
    # files beside incidents.json: `csv` incidents.csv, `sqlite` incidents.db
    downloads = c.ListOfItems(c.Choice(tuple(DOWNLOADS)), default=[])


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
        generated = _add_pages(files, content, config)
        self.generated_sources = {file.src_uri for file in generated.values()}
        self.page_of_source = {file.src_uri: page for page, file in generated.items()}
        for attachment in content.attachments:
            if files.get_file_from_path(attachment) is None:
                files.append(
                    File(attachment, str(content.root), config.site_dir, config.use_directory_urls)
                )
        if self.set_nav:  # our index pages, then the pages of docs_dir, nothing else
            docs_dir = Path(config.docs_dir).resolve()
            own = [
                f.src_uri
                for f in files.documentation_pages()
                if f.abs_src_path and Path(f.abs_src_path).resolve().is_relative_to(docs_dir)
            ]
            config.nav = _nav(NAV) + sorted(own)
        json_text = incidents_json(content, lambda page: generated[page].url)
        files.append(File.generated(config, "incidents.json", content=json_text))
        for name, data in download_files(content.aggregate, self.config.downloads).items():
            if files.get_file_from_path(name) is not None:
                raise PluginError(
                    f"postmortems: {name} in {config.docs_dir} would hide the download "
                    "of that name: rename or move it"
                )
            files.append(File.generated(config, name, content=data))
        files.append(File.generated(config, STYLESHEET, content=STYLE))
        self.content = content
        self.generated = GeneratedHtml(
            {
                generated[i.page].src_uri: i.postmortem.body
                for i in content.incidents
                if i.page in generated
            },
            keep=content.similar.placeholder,
        )
        return files

    def on_page_markdown(
        self, markdown: str, /, *, page: Page, config: MkDocsConfig, files: Files
    ) -> str:
        if page.file.src_uri not in self.generated_sources:
            return markdown
        return self.generated.set_aside(page.file.src_uri, markdown)

    def on_page_content(
        self, html: str, /, *, page: Page, config: MkDocsConfig, files: Files
    ) -> str:
        if page.file.src_uri not in self.generated_sources:
            return html
        return self.generated.put_back(page, html, config)

    # The search plugin indexes `page.content` in its on_page_context. Our
    # blocks are tables and lists whose markup it would parse tag by tag only
    # to keep the words (1.2 s of an 11 s build of 1,000 postmortems), so for
    # the length of that event it sees the words alone; the page keeps its HTML,
    # and what other plugins change meanwhile (`GeneratedHtml.show_page_html`).
    @event_priority(100)
    def _show_search_text(
        self, context: TemplateContext, /, *, page: Page, config: MkDocsConfig, nav: Navigation
    ) -> TemplateContext:
        self.generated.show_search_html(page)
        return context

    @event_priority(-100)
    def _show_page_html(
        self, context: TemplateContext, /, *, page: Page, config: MkDocsConfig, nav: Navigation
    ) -> TemplateContext:
        self.generated.show_page_html(page)
        return context

    on_page_context = CombinedEvent(_show_search_text, _show_page_html)

    # First, before another plugin (a minifier) can change the placeholder. Last
    # in the build: the ranking has had every page's Markdown to finish in.
    @event_priority(100)
    def on_post_page(self, output: str, /, *, page: Page, config: MkDocsConfig) -> str:
        path = self.page_of_source.get(page.file.src_uri)
        return self.content.similar.fill(path, output) if path else output

    def on_serve(
        self,
        server: LiveReloadServer,
        /,
        *,
        config: MkDocsConfig,
        builder: Callable[..., object],
    ) -> LiveReloadServer:
        server.watch(str(self.content.postmortems_dir))
        return server

    def _load(self, start: Path, directory_urls: bool) -> SiteContent:
        # An earlier build's objects (under `mkdocs serve`, or a program that
        # builds again) go now, before this build freezes its own. Not at the
        # end of a build: a process that ends there would have its last
        # collection walk every one of them (0.2 s at 1,000 postmortems).
        if gc.get_freeze_count():
            gc.unfreeze()
            gc.collect()
        try:
            with bulk_reading():
                content = load_site(
                    load_repository(start),
                    self.audience,
                    directory_urls=directory_urls,
                    with_history=self.config.history,
                )
                # What we loaded lives as long as the build: keep the garbage
                # collector from rescanning it on every pass from now on.
                gc.freeze()
        except ConfigError as e:
            raise PluginError(f"postmortems: {e}") from None
        log.info(
            "postmortems: %d postmortems visible to audience '%s'",
            len(content.incidents),
            content.audience,
        )
        return content


def _add_pages(files: Files, content: SiteContent, config: MkDocsConfig) -> dict[str, File]:
    """Add the generated pages to `files`; returns each page's file."""
    # An incident page takes its postmortem's path as its source, so that
    # links in the author's text resolve from where the author wrote them.
    # Only a source named `.md` is a page to MkDocs (`.MD` would be copied as
    # it is, unsanitised); one outside the repository has no source path.
    sources = {
        i.page: i.postmortem.path
        for i in content.incidents
        if i.postmortem.path.endswith(".md") and not i.postmortem.path.startswith(("/", ".."))
    }
    generated: dict[str, File] = {}
    for path, text in content.pages.items():
        source = sources.get(path, path)
        if files.get_file_from_path(source) is not None:
            if path != "index.md":
                raise PluginError(
                    f"postmortems: {source} in {config.docs_dir} would hide a generated "
                    "page: rename or move it"
                )
            continue  # the site's own home page wins
        # pages reached from the indexes, not the nav: say so, or MkDocs lists them all
        inclusion = InclusionLevel.INCLUDED if path in NAV_PAGES else InclusionLevel.NOT_IN_NAV
        file = File.generated(config, source, content=text, inclusion=inclusion)
        if source != path:
            file.dest_uri = _dest_uri(path, config.use_directory_urls)
            # "edit this page" opens the postmortem (edit_uri counts from docs_dir)
            file.edit_uri = Path(os.path.relpath(content.root / source, config.docs_dir)).as_posix()
        if not file.is_documentation_page():  # MkDocs would publish it without rendering
            raise PluginError(f"postmortems: {source} would not be rendered as a page")
        files.append(file)
        generated[path] = file
    return generated


def _dest_uri(page: str, directory_urls: bool) -> str:
    """Where MkDocs writes the page `page` (a path like `types/index.md`)."""
    stem = page.removesuffix(".md")
    if not directory_urls or stem == "index" or stem.endswith("/index"):
        return stem + ".html"
    return stem + "/index.html"


def _nav_pages(entries: list[NavEntry]) -> set[str]:
    return {
        page
        for _, target in entries
        for page in (_nav_pages(target) if isinstance(target, list) else {target})
    }


NAV_PAGES = _nav_pages(NAV)


# A section of MkDocs' `nav`: {title: page} or {title: [sections]}.
_NavSection = dict[str, "str | list[_NavSection]"]


def _nav(entries: list[NavEntry]) -> list[_NavSection]:
    return [
        {title: _nav(target) if isinstance(target, list) else target} for title, target in entries
    ]
