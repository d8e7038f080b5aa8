"""How the MkDocs plugin keeps its generated HTML away from Python-Markdown.

A generated page is mostly final HTML (cards, tables, lists): Markdown would
parse all of it only to pass it through. So the plugin takes the HTML out of a
page's Markdown and puts it back into the HTML Markdown made of the rest:

- an incident page is its title, then headings each followed by HTML only,
  then the author's text. Markdown gets the title and the author's text; the
  headings are rendered by a Markdown set up like the site's, once per build
  for each distinct heading, so their ids, permalinks and TOC entries are
  what Markdown would have made;
- any other page (or an incident page with anything else in it) keeps its
  Markdown, with each HTML block replaced by a mark.

Everything Markdown renders (the author's text above all) is sanitised;
only our own blocks, whose values were escaped as they were written, skip it.
A mark is a comment with a token drawn for each build, which no author can
write in advance; a mark that is not ours is removed like any comment.

The search plugin gets the words of that HTML rather than its markup, each
block's words between marks, so that the page can be made from that version
if another plugin changes it while the search plugin has it.
"""

from __future__ import annotations

import logging
import re
import secrets
from typing import NamedTuple, TypedDict

import markdown
from markdown.extensions.toc import nest_toc_tokens, unique
from mkdocs.config.defaults import MkDocsConfig
from mkdocs.structure.pages import Page
from mkdocs.structure.toc import AnchorLink

from postmortem_kit.site.sanitize import clean_html, clean_inline_text

log = logging.getLogger("mkdocs.plugins.postmortems")

# A block of final HTML in a generated page.
HTML_BLOCK = re.compile(r"^<(table|ul|div|figure)\b.*?^</\1>$", re.DOTALL | re.MULTILINE)
HEADING_LINE = re.compile(r"^(#{1,6} .*)$", re.MULTILINE)
ONLY_HTML = re.compile(
    r"(?:\s*(?:<(table|ul|div|figure)\b.*?^</\1>$|<p>[^\n]*</p>$|<hr>$))*\s*",
    re.DOTALL | re.MULTILINE,
)
TITLE_END = re.compile(r"</h1>")
# What incident pages all repeat (table headers, the triage questions) is
# marked as Material's search does, and left out of the search text.
SEARCH_EXCLUDED = re.compile(r"<(\w+) data-search-exclude>.*?</\1>", re.DOTALL)
BETWEEN_WORDS = re.compile(r"</?(?:p|br|li|td|th|tr|ul|div|table|tbody)\b[^>]*>")
TAG = re.compile(r"<[^>]*>")


class _Sections(NamedTuple):
    """An incident page's generated part after its title."""

    headings: list[str]  # the heading lines
    blocks: list[str]  # the HTML before the first heading, then the HTML under each


class _Marked(NamedTuple):
    blocks: list[str]  # block i replaced the mark numbered i in the Markdown


class _TocToken(TypedDict):
    """A heading in Python-Markdown's `toc_tokens` (which has more keys than these)."""

    level: int
    id: str
    name: str
    children: list[_TocToken]


class _Heading(NamedTuple):
    html: str
    toc: _TocToken | None  # the TOC token; None when the toc depth leaves it out


class _Search(NamedTuple):
    page_html: str  # the page's HTML, as put_back returned it
    search_html: str  # the same with our blocks as their words, each between marks
    blocks: list[str]  # the blocks those marks number


class GeneratedHtml:
    """The HTML set aside from each generated page, until it is put back."""

    def __init__(self, author_text: dict[str, str], keep: str = "") -> None:
        # page -> the author's Markdown, on incident pages; compared with each
        # page's tail the way set_aside trims it
        self.author_text = {page: text.strip() + "\n" for page, text in author_text.items()}
        # our own block that must reach the HTML as it is, even on a page whose
        # every other part is sanitised (the similar list's placeholder)
        self.keep = keep
        self.aside: dict[str, _Sections | _Marked] = {}
        self.search: dict[str, _Search] = {}  # page -> its HTML and its search version
        self.swapped: dict[str, _Search] = {}  # the pages search sees the other version of
        self.headings: dict[str, _Heading] = {}
        self.markdown: markdown.Markdown | None = None
        self.mark = f"pm-block-{secrets.token_hex(8)}"
        self.marks = re.compile(rf"<!--{self.mark}-(\d+)-->")
        # a block's words in the search version: mark, words, end mark
        self.worded = re.compile(rf"<!--{self.mark}-(\d+)-->.*?<!--/{self.mark}-\1-->", re.DOTALL)

    def set_aside(self, page: str, text: str) -> str:
        """The Markdown of a generated page that Markdown still has to render."""
        text = text.rstrip() + "\n"
        author_text = self.author_text.get(page, "")
        if not text.endswith(author_text):
            # Another plugin changed the Markdown, so where the author's text
            # starts is unknown: an HTML block in it must not skip the sanitiser.
            log.debug("postmortems: %s: Markdown changed by another plugin, all sanitised", page)
            kept = bool(self.keep) and self.keep in text  # no author can write its token
            self.aside[page] = _Marked([self.keep] if kept else [])
            return text.replace(self.keep, f"<!--{self.mark}-0-->", 1) if kept else text
        end = len(text) - len(author_text)
        sections = _sections(text[:end])
        if sections:
            title, self.aside[page] = sections
            return title + "\n\n" + text[end:]
        blocks: list[str] = []

        def mark(match: re.Match[str]) -> str:
            blocks.append(match.group(0))
            return f"<!--{self.mark}-{len(blocks) - 1}-->"

        self.aside[page] = _Marked(blocks)
        # only what we generated is set aside: the author's text is Markdown's
        return HTML_BLOCK.sub(mark, text[:end]) + text[end:]

    def put_back(self, page: Page, html: str, config: MkDocsConfig) -> str:
        """The page's HTML, whole; its search version is kept in `search`."""
        aside = self.aside.pop(page.file.src_uri, None)
        if aside is None:  # set_aside never saw this page: nothing of it is ours
            return clean_html(html)
        _clean_toc(page.toc.items)
        if isinstance(aside, _Marked):
            parts = self.marks.split(html)  # HTML, a mark's number, HTML, ...
            pieces, numbers = [clean_html(p) for p in parts[0::2]], list(map(int, parts[1::2]))
            page_html = _between(pieces, numbers, aside.blocks)
            if (page.meta.get("search") or {}).get("exclude"):
                return page_html
            search_html = _between(pieces, numbers, self._marked_words(aside.blocks))
        else:
            html = clean_html(html)
            headings = _with_unique_ids(page, [self._heading(h, config) for h in aside.headings])
            _add_to_toc(page, [heading.toc for heading in headings if heading.toc])
            title_end = TITLE_END.search(html)
            at = title_end.end() if title_end else 0
            page_html = html[:at] + _interleave(headings, aside.blocks) + html[at:]
            search_part = _interleave(headings, self._marked_words(aside.blocks))
            search_html = html[:at] + search_part + html[at:]
        self.search[page.file.src_uri] = _Search(page_html, search_html, aside.blocks)
        return page_html

    def show_search_html(self, page: Page) -> None:
        """Until show_page_html, `page.content` is what the search index keeps."""
        search = self.search.pop(page.file.src_uri, None)
        if search is None:
            return
        if page.content != search.page_html:
            # Another plugin changed the page after put_back: the search
            # version lacks that change, so search reads the page as it is.
            log.debug(
                "postmortems: %s: page.content changed by another plugin after ours; "
                "the search plugin reads it whole",
                page.file.src_uri,
            )
            return
        self.swapped[page.file.src_uri] = search
        page.content = search.search_html

    def show_page_html(self, page: Page) -> None:
        """The page's own HTML again, or, where another plugin changed the
        search version meanwhile, that version with our blocks back."""
        search = self.swapped.pop(page.file.src_uri, None)
        if search is None:
            return
        if page.content == search.search_html:
            page.content = search.page_html
            return
        # Putting the page's HTML back would throw the other plugin's change
        # away; that version holds whatever it added, so it is sanitised again.
        log.debug(
            "postmortems: %s: page.content changed by another plugin while the search "
            "plugin had it; keeping that change, sanitised, with our blocks put back",
            page.file.src_uri,
        )
        assert page.content is not None  # a rendered page's (mkdocs types it before render)
        parts = self.worded.split(page.content)  # HTML, a block's number, HTML, ...
        pieces, numbers = [clean_html(p) for p in parts[0::2]], list(map(int, parts[1::2]))
        page.content = _between(pieces, numbers, search.blocks)

    def _marked_words(self, blocks: list[str]) -> list[str]:
        """The words of each block, between marks that say which block they stand for."""
        return [
            f"<!--{self.mark}-{i}-->{words}<!--/{self.mark}-{i}-->"
            for i, words in enumerate(_words(blocks))
        ]

    def _heading(self, line: str, config: MkDocsConfig) -> _Heading:
        if line not in self.headings:
            if self.markdown is None:
                self.markdown = markdown.Markdown(
                    extensions=config.markdown_extensions,
                    extension_configs=config.mdx_configs or {},
                )
            html = self.markdown.reset().convert(line)
            tokens = getattr(self.markdown, "toc_tokens", [])
            self.headings[line] = _Heading(html, tokens[0] if tokens else None)
        return self.headings[line]


def _sections(generated: str) -> tuple[str, _Sections] | None:
    """The title line and the sections of an incident page's generated part,
    or None where it holds anything but headings and HTML."""
    before, *parts = HEADING_LINE.split(generated)  # text, heading, text, heading…
    headings, under = parts[0::2], parts[1::2]
    if len(headings) < 2 or not headings[0].startswith("# ") or before.strip():
        return None
    if not all(ONLY_HTML.fullmatch(u) for u in under):
        return None
    return headings[0], _Sections(headings[1:], [u.strip() for u in under])


def _with_unique_ids(page: Page, headings: list[_Heading]) -> list[_Heading]:
    """Our headings, renamed where the author's text already took their id."""
    taken = set(page.present_anchor_ids or ())
    renamed = []
    for heading in headings:
        toc = heading.toc
        if toc is None or toc["id"] not in taken:
            if toc and toc["id"]:
                taken.add(toc["id"])
            renamed.append(heading)
            continue
        old = toc["id"]
        new = unique(old, taken)
        html = heading.html.replace(f'id="{old}"', f'id="{new}"').replace(
            f'href="#{old}"', f'href="#{new}"'
        )
        renamed.append(_Heading(html, {**toc, "id": new}))
    if page.present_anchor_ids is not None:
        page.present_anchor_ids |= {h.toc["id"] for h in renamed if h.toc}
    return renamed


def _add_to_toc(page: Page, tokens: list[_TocToken]) -> None:
    """Our headings go first under the page title in its table of contents."""
    links = [_anchor_link(token) for token in nest_toc_tokens([t.copy() for t in tokens])]
    items = page.toc.items
    if items and items[0].level == 1:
        items[0].children[:0] = links
    else:
        items[:0] = links


def _anchor_link(token: _TocToken) -> AnchorLink:
    link = AnchorLink(token["name"], token["id"], token["level"])
    link.children = [_anchor_link(child) for child in token["children"]]
    return link


def _interleave(headings: list[_Heading], blocks: list[str]) -> str:
    lead, *under = blocks
    pairs = zip(headings, under, strict=True)
    return "\n" + lead + "".join(f"\n{heading.html}\n{block}" for heading, block in pairs)


def _between(pieces: list[str], numbers: list[int], blocks: list[str]) -> str:
    """The pieces of a page, with the block numbered `numbers[i]` after piece i."""
    filled = [pieces[0]]
    for number, piece in zip(numbers, pieces[1:], strict=True):
        filled += [blocks[number], piece]
    return "".join(filled)


def _clean_toc(items: list[AnchorLink]) -> None:
    for item in items:
        item.title = clean_inline_text(item.title)
        _clean_toc(item.children)


def _words(blocks: list[str]) -> list[str]:
    """What a search index keeps of blocks of HTML: their words, minus boilerplate."""
    texts = []
    for block in blocks:
        words = TAG.sub("", BETWEEN_WORDS.sub(" ", SEARCH_EXCLUDED.sub("", block))).split()
        texts.append(f"<p>{' '.join(words)}</p>" if words else "")
    return texts
