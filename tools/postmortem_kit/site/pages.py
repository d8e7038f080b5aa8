"""The site's pages as Markdown, rendered from Jinja templates: no MkDocs here.

`build_pages` returns every page, keyed by its path (`types/hallucination.md`).
The MkDocs plugin hands them to MkDocs; `postmortem pages --out DIR` writes
them for any other builder. Every value from front matter goes through the
`md` filter (Markdown) or `e` (HTML), so a title with `<script>`, `|` or `*`
shows as text. A page's title is set in its meta from the data, escaped for
HTML once: themes print it as it is, in `<title>` too.
"""

from __future__ import annotations

import datetime as dt
import functools
import html
import json
import posixpath
import re
from collections.abc import Callable
from typing import Any, NamedTuple, TypedDict

from jinja2 import ChainableUndefined, Environment, PackageLoader, Undefined, pass_context
from jinja2.runtime import Context

from postmortem_kit.format.draft import render_blank
from postmortem_kit.format.vocabulary import (
    NEAR_MISS,
    SERIOUS_SEVERITIES,
    SEVERITIES,
    TIMELINE,
    TRIAGE,
)
from postmortem_kit.site import charts, trends
from postmortem_kit.site.aggregate import Aggregate, Incident, unique_slugs
from postmortem_kit.site.recurrence import Recurrence
from postmortem_kit.site.similar import Similar

# Characters Python-Markdown gives a meaning to inside a line (values never start
# one); a backslash makes each literal. `<`, `>` and `&` become HTML entities.
_MARKDOWN_SPECIAL = re.compile(r"([\\`*_\[\]|])")

# (title, page), or (title, [entries]) for a section.
NavEntry = tuple[str, "str | list[NavEntry]"]
NAV: list[NavEntry] = [
    ("Home", "index.md"),
    ("Incident types", "types/index.md"),
    ("Root causes", "root-causes/index.md"),
    ("Lenses", "lenses/index.md"),
    ("Severity", "severity/index.md"),
    ("Systems", "systems/index.md"),
    ("Quarterly review", "quarters/index.md"),
    ("Open actions", "actions/index.md"),
    ("Controls", "controls/index.md"),
    ("Recurrence", "recurrence/index.md"),
    ("Near-misses", "near-misses/index.md"),
    ("Lessons learned", "lessons/index.md"),
    ("Guide", [("Writing a postmortem", "guide/index.md"), ("Taxonomy", "guide/taxonomy.md")]),
]

OWASP_LLM_2025 = {
    "LLM01": "Prompt Injection",
    "LLM02": "Sensitive Information Disclosure",
    "LLM03": "Supply Chain",
    "LLM04": "Data and Model Poisoning",
    "LLM05": "Improper Output Handling",
    "LLM06": "Excessive Agency",
    "LLM07": "System Prompt Leakage",
    "LLM08": "Vector and Embedding Weaknesses",
    "LLM09": "Misinformation",
    "LLM10": "Unbounded Consumption",
}


class SearchMeta(TypedDict, total=False):
    """A page's `search` meta, as MkDocs' search plugin (and Material's) reads it."""

    boost: int
    exclude: bool


# How search treats each kind of page. Index pages list postmortems that
# search finds on their own pages: indexing the lists again only buries the
# postmortem under pages that mention its id.
UNSEARCHED = [
    "type.md",
    "root_cause.md",
    "severity.md",
    "system.md",
    "quarter.md",
    "quarters.md",
    "actions.md",
    "controls.md",
    "recurrence.md",
    "near_misses.md",
    "lessons.md",
]
SEARCH: dict[str, SearchMeta] = {
    "incident.md": {"boost": 10},
    **{template: {"exclude": True} for template in UNSEARCHED},
}
STYLESHEET = "assets/postmortems.css"
STYLE = """\
.pm-card { border: 1px solid var(--md-default-fg-color--lightest);
  border-left: .2rem solid var(--md-primary-fg-color); border-radius: .2rem;
  padding: 0 1rem; margin: 1em 0; }
.pm-chart { margin: 1.5em 0; }
.pm-chart svg { max-width: 100%; height: auto; }
.pm-chart figcaption { font-style: normal; }
"""


def md(value: Any) -> str:
    """Text from front matter, safe in Markdown and in the HTML it becomes."""
    text = " ".join(str(value).split())
    return _MARKDOWN_SPECIAL.sub(r"\\\1", html.escape(text, quote=False))


def duration(delta: dt.timedelta | None) -> str:
    if delta is None:
        return "—"
    minutes = int(delta.total_seconds() // 60)
    days, minutes = divmod(minutes, 24 * 60)
    hours, minutes = divmod(minutes, 60)
    parts = [
        f"{days} d" if days else "",
        f"{hours} h" if hours else "",
        f"{minutes} min" if minutes and not days else "",
    ]
    return " ".join(p for p in parts if p) or "0 min"


def page_url(page: str, directory_urls: bool = True) -> str:
    """The URL of a page, relative to the site root, as MkDocs gives it."""
    stem = page.removesuffix(".md")
    if not directory_urls:
        return stem + ".html"
    if stem == "index" or stem.endswith("/index"):
        return stem.removesuffix("index")
    return stem + "/"


@pass_context
def url(context: Context, target: str) -> str:
    return relative_url(context["page"], target, context["directory_urls"])


@functools.cache
def relative_url(page: str, target: str, directory_urls: bool) -> str:
    """A relative link from the page being rendered to the page `target`.

    Links are final URLs, not `.md` paths, because most of a page is raw HTML
    (which Markdown leaves alone, and renders far faster than tables).
    """
    here = page_url(page, directory_urls)
    base = here if directory_urls else posixpath.dirname(here)  # what the browser resolves from
    there = page_url(target, directory_urls)
    relative = _relative(there, base)
    return relative + "/" if directory_urls else relative


def _relative(there: str, base: str) -> str:
    """`posixpath.relpath(there or ".", base or ".")` for the site's own URLs
    (relative, no `..`), without its two `abspath` calls: a build makes
    thousands of links (a tenth of the pages' rendering time)."""
    to, start = [p for p in there.split("/") if p], [p for p in base.split("/") if p]
    common = 0
    while common < min(len(to), len(start)) and to[common] == start[common]:
        common += 1
    return "/".join([".."] * (len(start) - common) + to[common:]) or "."


def _environment() -> Environment:
    env = Environment(
        loader=PackageLoader("postmortem_kit.site", "templates"),
        autoescape=False,  # Markdown, not HTML: values are escaped with `md`
        undefined=ChainableUndefined,  # front matter may lack any key
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )
    env.filters.update(md=md, duration=duration, url=url, json=json.dumps)
    env.tests["contains"] = lambda sequence, item: item in sequence
    return env


def _with_taxonomy(
    env: Environment, aggregate: Aggregate, system_slugs: dict[str, str]
) -> Environment:
    """Filters that name and link taxonomy terms: `{{ slug | term_link("types") }}`.

    Links are filters, not macros: a page has dozens, and a Jinja macro call
    costs several times a Python call.
    """
    terms = {"types": aggregate.taxonomy.incident_types, "root-causes": aggregate.taxonomy.patterns}
    types, patterns = terms["types"], terms["root-causes"]

    @pass_context
    def term_link(context: Context, value: Any, kind: str) -> str:
        term = terms[kind].get(value) if isinstance(value, str) else None
        if term is None:
            return html.escape(_text(value))
        return _link(url(context, f"{kind}/{value}.md"), term.label)

    @pass_context
    def severity_link(context: Context, value: Any) -> str:
        if value not in SEVERITIES:
            return html.escape(_text(value))
        return _link(url(context, f"severity/{value}.md"), value)

    @pass_context
    def system_link(context: Context, name: str) -> str:
        # the slug its page was built under: `slug(name)` alone may be another system's
        return _link(url(context, f"systems/{system_slugs[name]}.md"), name)

    @pass_context
    def incident_link(context: Context, incident: Incident) -> str:
        return _link(url(context, incident.page), f"{incident.id}: {incident.title}")

    @pass_context
    def id_link(context: Context, incident: Incident) -> str:
        """A link to a postmortem by its id alone, where a page lists many."""
        return _link(url(context, incident.page), incident.id)

    env.filters.update(
        term_link=term_link,
        severity_link=severity_link,
        system_link=system_link,
        incident_link=incident_link,
        id_link=id_link,
        type_label=lambda value: types[value].label if value in types else value,
        pattern_label=lambda value: patterns[value].label if value in patterns else value,
    )
    return env


def _text(value: Any) -> str:
    """A value as text; nothing for a key the front matter leaves out (a draft's)."""
    return "" if value is None or isinstance(value, Undefined) else str(value)


def _link(href: str, text: str) -> str:
    return f'<a href="{href}">{html.escape(text, quote=False)}</a>'


class SimilarLists:
    """Each incident page's list of similar postmortems, put where the page's
    placeholder is once the ranking is in: last (see `site.similar`)."""

    def __init__(self, similar: Similar, render: Callable[..., str], ids: dict[str, str]) -> None:
        self._similar = similar
        self._render = render
        self._ids = ids  # page -> the id of its postmortem

    @property
    def placeholder(self) -> str:
        """Where an incident page's list goes, until it is filled."""
        return self._similar.placeholder

    def fill(self, page: str, text: str) -> str:
        """`text`, the page's Markdown or HTML, with its list in."""
        pm_id = self._ids.get(page)
        if pm_id is None:
            return text
        return self._similar.fill(
            text, lambda: self._render(page=page, similar=self._similar.of(pm_id))
        )


class SitePages(NamedTuple):
    pages: dict[str, str]  # path -> Markdown; incident pages wait for their lists
    similar: SimilarLists


def build_pages(aggregate: Aggregate, directory_urls: bool = True) -> SitePages:
    """Every page of the site as Markdown, by its path."""
    by_system = aggregate.by("systems")
    system_slugs = unique_slugs(by_system)  # for the pages and every link to them
    env = _with_taxonomy(_environment(), aggregate, system_slugs)
    taxonomy = aggregate.taxonomy
    common = {
        "site": aggregate,
        "taxonomy": taxonomy,
        "today": aggregate.today,
        "severities": list(reversed(SEVERITIES)),
        "serious": SERIOUS_SEVERITIES,
        "triage_labels": TRIAGE,
        "timeline_labels": list(TIMELINE.items()),
        "owasp": OWASP_LLM_2025,
        "directory_urls": directory_urls,
    }
    pages: dict[str, str] = {}

    def page(path: str, template_name: str, title: str, **context: Any) -> None:
        # A second page at a path would replace the first without a word: a bug.
        if path in pages:
            raise RuntimeError(f"two pages at {path}")
        text = env.get_template(template_name).render(common, page=path, **context)
        pages[path] = _meta(title, SEARCH.get(template_name)) + text

    incidents = aggregate.incidents
    # Ranked once for the whole build, from what this audience may see (and
    # perhaps in another process while the build goes on): each incident page
    # gets a placeholder for its list, filled last (SimilarLists).
    similar = Similar([i.postmortem for i in incidents])
    for incident in incidents:
        title = f"{incident.id}: {incident.title}"
        page(incident.page, "incident.md", title, incident=incident, similar=similar.placeholder)

    by_type, by_pattern = aggregate.by("types"), aggregate.by("patterns")
    by_severity = aggregate.by("severity")
    by_quarter = aggregate.by("quarter")
    quarter_chart = _quarter_chart(aggregate, by_quarter)  # on the home page and the quarters'
    page(
        "index.md",
        "home.md",
        "AI incident postmortems",
        headline=aggregate.headline(),
        latest=incidents[:10],
        chart=quarter_chart,
    )
    page("types/index.md", "types.md", "Incident types", groups=by_type)
    for term in taxonomy.incident_types.values():
        incidents_of_type = by_type.get(term.slug, [])
        page(f"types/{term.slug}.md", "type.md", term.label, term=term, incidents=incidents_of_type)
    frequency = aggregate.pattern_frequency()
    page(
        "root-causes/index.md",
        "root_causes.md",
        "Root causes",
        groups=by_pattern,
        chart=charts.horizontal_bars(
            "root-cause-frequency",
            "Root-cause patterns by number of incidents",
            sorted(
                ((t.label, frequency[t.slug]) for t in taxonomy.patterns.values()),
                key=lambda bar: -bar[1],
            ),
        ),
    )
    for term in taxonomy.patterns.values():
        page(
            f"root-causes/{term.slug}.md",
            "root_cause.md",
            term.label,
            term=term,
            incidents=by_pattern.get(term.slug, []),
        )
    matrix = aggregate.lens_matrix()
    page(
        "lenses/index.md",
        "lenses.md",
        "Lenses",
        chart=_lens_chart(aggregate, matrix),
        matrix=matrix,
    )
    page("severity/index.md", "severities.md", "Severity", groups=by_severity)
    for severity in SEVERITIES:
        page(
            f"severity/{severity}.md",
            "severity.md",
            f"Severity: {severity}",
            severity=severity,
            incidents=by_severity.get(severity, []),
        )
    systems = sorted(by_system, key=lambda name: (name.lower(), name))
    page("systems/index.md", "systems.md", "Systems", systems=systems, groups=by_system)
    for name in systems:
        page(
            f"systems/{system_slugs[name]}.md",
            "system.md",
            f"System: {name}",
            name=name,
            incidents=by_system[name],
        )
    quarters = aggregate.quarters()
    page(
        "quarters/index.md",
        "quarters.md",
        "Quarterly review",
        trends=trends.quarter_trends(aggregate, quarters[::-1]),
        chart=quarter_chart,
        **trends.charts_and_tables(aggregate),
    )
    for quarter in quarters:
        page(
            f"quarters/{quarter}.md",
            "quarter.md",
            f"Quarterly review: {quarter}",
            review=aggregate.review(quarter),
        )
    page(
        "actions/index.md",
        "actions.md",
        "Open corrective actions",
        owners=aggregate.open_actions_by_owner(),
    )
    recurrence = Recurrence(aggregate)
    held_not, came_back = recurrence.done_then_back()
    page(
        "controls/index.md",
        "controls.md",
        "Controls",
        records=recurrence.controls(),
        held_not=held_not,
        came_back=came_back,
    )
    page("recurrence/index.md", "recurrence.md", "Recurrence", groups=recurrence.groups())
    near_misses = by_severity.get(NEAR_MISS, [])
    page("near-misses/index.md", "near_misses.md", "Near-misses", incidents=near_misses)
    with_lessons = [i for i in incidents if i.lessons()]
    page("lessons/index.md", "lessons.md", "Lessons learned", incidents=with_lessons)
    page(
        "guide/index.md",
        "guide.md",
        "Writing a postmortem",
        template=render_blank(),
        questions=list(TRIAGE),
    )
    page("guide/taxonomy.md", "taxonomy.md", "Taxonomy")
    render_list = functools.partial(env.get_template("similar.md").render, common)
    return SitePages(pages, SimilarLists(similar, render_list, {i.page: i.id for i in incidents}))


def _meta(title: str, search: SearchMeta | None) -> str:
    """A page's meta block: YAML whose values are JSON, which escapes whatever they hold."""
    meta: dict[str, str | SearchMeta] = {"title": html.escape(" ".join(title.split()))}
    if search:
        meta["search"] = search
    lines = "".join(f"{key}: {json.dumps(value)}\n" for key, value in meta.items())
    return f"---\n{lines}---\n\n"


def _quarter_chart(aggregate: Aggregate, per_quarter: dict[str, list[Incident]]) -> str:
    quarters = aggregate.recent_quarters(12)
    categories = list(aggregate.taxonomy.categories.values())
    series = []
    for category in categories:
        counts = [
            sum(category.slug in _categories(aggregate, i) for i in per_quarter.get(quarter, []))
            for quarter in quarters
        ]
        series.append((category.label, counts))
    return charts.stacked_columns(
        "incidents-per-quarter", "Incidents per quarter, by incident category", quarters, series
    )


def _categories(aggregate: Aggregate, incident: Incident) -> set[str]:
    return {aggregate.category_of(t) for t in incident.types}


def _lens_chart(aggregate: Aggregate, matrix: dict[tuple[str, str], int]) -> str:
    taxonomy = aggregate.taxonomy
    counts = {
        (taxonomy.lenses[lens].label, taxonomy.categories[cat].label): n
        for (lens, cat), n in matrix.items()
        if lens in taxonomy.lenses and cat in taxonomy.categories
    }
    return charts.matrix(
        "lens-by-category",
        "Root causes by lens and incident category",
        [t.label for t in taxonomy.lenses.values()],
        [t.label for t in taxonomy.categories.values()],
        counts,
    )
