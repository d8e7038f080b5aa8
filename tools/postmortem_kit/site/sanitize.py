"""The narrative's HTML, made safe to publish: what Markdown and Material
produce is kept, anything that could run script or reach elsewhere is dropped.

A postmortem's text is untrusted: a prompt-injection postmortem quotes the
injection, a harmful-output one the output. Quoted in a code span or a fenced
block it is text, and stays visible as written; raw HTML outside them is
cleaned here by nh3 (the Python binding of Ammonia, a maintained sanitiser
with an HTML5 parser) against an allow-list. The `raw-html` lint rule tells
authors where their text would be changed.
"""

from __future__ import annotations

import re

import nh3

# What Python-Markdown (tables, toc, footnotes, admonitions, attr lists) and
# Material (code highlighting, details, content tabs) write into a page.
_TAG_NAMES = """
    a abbr b blockquote br caption code col colgroup dd del details div dl dt em
    figcaption figure h1 h2 h3 h4 h5 h6 hr i img ins kbd li mark ol p pre q s
    samp small span strong sub summary sup table tbody td tfoot th thead tr u ul var
"""
TAGS = set(_TAG_NAMES.split())
ATTRIBUTES = {
    "*": {"class", "id", "title", "lang", "dir"},
    "a": {"href"},
    "img": {"src", "alt", "width", "height", "loading"},
    "td": {"colspan", "rowspan", "style"},
    "th": {"colspan", "rowspan", "style", "scope"},
    "ol": {"start", "type"},
    "details": {"open"},
    "blockquote": {"cite"},
    "q": {"cite"},
}
# Relative URLs (screenshots, other postmortems, #anchors) pass; of the
# absolute ones, only these schemes: no javascript:, data: or vbscript:.
URL_SCHEMES = {"http", "https", "mailto"}
STYLE_PROPERTIES = {"text-align"}  # how Markdown tables align their columns


# Classes the theme acts on: `mermaid` and `arithmatex` make Material load a
# script from a CDN, `md-*` and `tabbed-*` dress text as its own interface
# (a fake "sign in again" dialog), `annotate` turns markup into controls.
_THEME_CLASS = re.compile(r"md-|tabbed-|(?:mermaid|arithmatex|annotate)$")


def _keep(tag: str, attribute: str, value: str) -> str | None:
    """Drop what the theme's own script would take as its own: ids it looks up
    (Material's `__config`, `__search`…; the author's element comes first on the
    page, so `#__config` would be theirs) and classes it acts on."""
    if attribute == "id":
        return None if value.startswith("__") else value
    if attribute == "class":
        return " ".join(name for name in value.split() if not _THEME_CLASS.match(name)) or None
    return value


_cleaner = nh3.Cleaner(
    tags=TAGS,
    attributes=ATTRIBUTES,
    url_schemes=URL_SCHEMES,
    filter_style_properties=STYLE_PROPERTIES,
    strip_comments=True,
    attribute_filter=_keep,
    link_rel=None,  # no target=_blank is allowed, so no rel is needed
)
_text_only = nh3.Cleaner(tags=set(), attributes={}, clean_content_tags={"script", "style"})


def clean_html(html: str) -> str:
    """The HTML with everything outside the allow-list removed."""
    return _cleaner.clean(html)


def clean_inline_text(html: str) -> str:
    """Text for a place that shows no markup (a heading in the table of contents)."""
    return _text_only.clean(html)
