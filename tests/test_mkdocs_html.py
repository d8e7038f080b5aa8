"""The generated HTML set aside from Python-Markdown and put back
(`postmortem_kit.site.mkdocs.html`): on small pages through MkDocs' own Markdown,
then in real `mkdocs build`s next to other plugins that change the page."""

from __future__ import annotations

import logging
import re
import subprocess
import sys
from pathlib import Path

import pytest
from helpers import FINAL, MKDOCS_YML, Repo, build, html
from mkdocs.config.defaults import MkDocsConfig
from mkdocs.structure.files import File, Files
from mkdocs.structure.pages import Page
from postmortem_kit.site.mkdocs.html import GeneratedHtml

# An incident page as the templates write it: title, our headings each followed
# by HTML only, a rule, then the author's text.
CARD = '<div class="pm-card">\n<p><code>AIPM-1</code> · severity <strong>high</strong></p>\n</div>'
# data-search-exclude is ours, and the sanitiser would drop it: seeing it in the
# output shows the block skipped the sanitiser
CHECKLIST = "<ul data-search-exclude>\n<li>Did anyone come to harm?</li>\n</ul>"
TABLE = (
    "<table>\n<thead data-search-exclude><tr><th>Moment</th></tr></thead>\n"
    "<tbody>\n<tr><td>T0 &lt;script&gt; triggered</td></tr>\n</tbody>\n</table>"
)
GENERATED = f"# AIPM-1: Title\n\n{CARD}\n\n## Triage checklist\n\n{CHECKLIST}\n\n## Key times\n\n{TABLE}\n\n<hr>\n\n"
AUTHOR = "## Impact\n\nCustomers were told <script>alert(1)</script> a *wrong* policy."
PAGE = "postmortems/AIPM-1.md"


@pytest.fixture
def config(tmp_path: Path) -> MkDocsConfig:
    """A site's config with the extensions the plugin adds, and permalinks."""
    (tmp_path / "docs").mkdir()
    config = MkDocsConfig(config_file_path=str(tmp_path / "mkdocs.yml"))
    config.load_dict(
        {"site_name": "Test", "markdown_extensions": ["tables", {"toc": {"permalink": True}}]}
    )
    errors, warnings = config.validate()
    assert not errors and not warnings
    return config


def render(
    generated: GeneratedHtml, config: MkDocsConfig, text: str, path: str = PAGE
) -> tuple[Page, str]:
    """What a build does with a page: set aside, Markdown, put back; returns the
    page and its HTML."""
    file = File(path, config.docs_dir, config.site_dir, config.use_directory_urls)
    page = Page(None, file, config)
    page.markdown = generated.set_aside(path, text)
    page.render(config, Files([file]))
    # as MkDocs does with what on_page_content returns
    page.content = generated.put_back(page, page.content, config)
    return page, page.content


def incident(author: str = AUTHOR) -> GeneratedHtml:
    return GeneratedHtml({PAGE: author})


def marks(html: str) -> list[str]:
    return re.findall(r"<!--.*?-->", html, re.DOTALL)


# --- setting aside and putting back ---------------------------------------------------


def test_a_page_without_blocks_is_only_markdown_sanitised(config: MkDocsConfig) -> None:
    generated = GeneratedHtml({})
    text = "Some *text* and <b onclick='alert(1)'>bold</b>.\n"
    assert generated.set_aside("index.md", text) == text
    _, out = render(generated, config, text, "index.md")
    assert out == "<p>Some <em>text</em> and <b>bold</b>.</p>"


def test_blocks_come_back_verbatim_where_they_were(config: MkDocsConfig) -> None:
    generated = GeneratedHtml({})
    text = f"Intro *one*.\n\n{CHECKLIST}\n\nMiddle.\n\n{TABLE}\n\nEnd.\n"
    markdown = generated.set_aside("index.md", text)
    assert markdown == (
        f"Intro *one*.\n\n<!--{generated.mark}-0-->\n\nMiddle.\n\n<!--{generated.mark}-1-->\n\nEnd.\n"
    )
    _, out = render(generated, config, text, "index.md")
    assert (
        out == f"<p>Intro <em>one</em>.</p>\n{CHECKLIST}\n\n<p>Middle.</p>\n{TABLE}\n\n<p>End.</p>"
    )


def test_incident_page_gives_markdown_its_title_and_the_authors_text(
    config: MkDocsConfig,
) -> None:
    generated = incident()
    assert generated.set_aside(PAGE, GENERATED + AUTHOR) == "# AIPM-1: Title\n\n" + AUTHOR + "\n"
    page, out = render(generated, config, GENERATED + AUTHOR)
    permalink = '<a class="headerlink" href="#{0}" title="Permanent link">&para;</a>'
    assert out == (
        '<h1 id="aipm-1-title">AIPM-1: Title<a class="headerlink" href="#aipm-1-title" '
        'title="Permanent link">¶</a></h1>\n'
        f"{CARD}\n"
        f'<h2 id="triage-checklist">Triage checklist{permalink.format("triage-checklist")}</h2>\n'
        f"{CHECKLIST}\n"
        f'<h2 id="key-times">Key times{permalink.format("key-times")}</h2>\n'
        f"{TABLE}\n\n<hr>\n"
        '<h2 id="impact">Impact<a class="headerlink" href="#impact" title="Permanent link">¶</a></h2>\n'
        "<p>Customers were told  a <em>wrong</em> policy.</p>"
    )
    # our headings come first under the title in the table of contents
    [title] = page.toc.items
    assert [(item.title, item.id) for item in title.children] == [
        ("Triage checklist", "triage-checklist"),
        ("Key times", "key-times"),
        ("Impact", "impact"),
    ]


def test_our_heading_gives_way_when_the_author_took_its_id(config: MkDocsConfig) -> None:
    author = "## Key times\n\nThe author's own section."
    page, out = render(incident(author), config, GENERATED + author)
    assert '<h2 id="key-times_1">Key times<a class="headerlink" href="#key-times_1"' in out
    assert '<h2 id="key-times">Key times<a class="headerlink" href="#key-times"' in out
    ids = [item.id for item in page.toc.items[0].children]
    assert ids == ["triage-checklist", "key-times_1", "key-times"]
    assert {"key-times", "key-times_1"} <= page.present_anchor_ids


def test_a_page_with_other_generated_text_keeps_it_for_markdown(config: MkDocsConfig) -> None:
    """Anything but headings and HTML in the generated part: each block is a mark."""
    generated = incident()
    text = GENERATED.replace("## Key times\n\n", "## Key times\n\nA *generated* line.\n\n")
    markdown = generated.set_aside(PAGE, text + AUTHOR)
    assert "## Key times\n\nA *generated* line." in markdown
    assert CHECKLIST not in markdown and TABLE not in markdown
    _, out = render(generated, config, text + AUTHOR)
    assert f"<p>A <em>generated</em> line.</p>\n{TABLE}" in out
    assert CARD in out and CHECKLIST in out
    assert "<script>" not in out and marks(out) == []


# --- what the sanitiser sees ------------------------------------------------------------


def test_the_authors_html_blocks_are_never_set_aside(config: MkDocsConfig) -> None:
    """An HTML block in the author's text looks like ours: it is still Markdown's."""
    author = (
        "## Impact\n\n"
        '<div onclick="alert(1)">\n<script>alert(2)</script>\n</div>\n\n'
        "<table>\n<tr><td><img src=x onerror=alert(3)></td></tr>\n</table>\n"
    )
    for text in (GENERATED + author, GENERATED.replace("<hr>", "Generated text.\n\n<hr>") + author):
        _, out = render(incident(author), config, text)
        assert "<div>\n\n</div>" in out and '<td><img src="x"></td>' in out
        assert "alert" not in out and "onclick" not in out
        assert CHECKLIST in out and TABLE in out  # ours, untouched


def test_markdown_between_our_blocks_is_sanitised(config: MkDocsConfig) -> None:
    text = f"{CHECKLIST}\n\nA [link](javascript:alert(1)) and <img src=x onerror=alert(2)>.\n\n{TABLE}\n"
    _, out = render(GeneratedHtml({}), config, text, "index.md")
    assert out == f'{CHECKLIST}\n\n<p>A <a>link</a> and <img src="x">.</p>\n{TABLE}'


def test_marks_the_author_writes_are_comments_removed(config: MkDocsConfig) -> None:
    """A mark without this build's token, even another build's, is not ours."""
    other_build = GeneratedHtml({})
    fakes = [
        "<!--pm-block-0123456789abcdef-0-->",
        f"<!--{other_build.mark}-1-->",
        f"<!--/{other_build.mark}-0-->",
        "<!--pm-block--1-->",
    ]
    author = "## Impact\n\n" + "\n\n".join(fakes) + "\n\nInline " + " ".join(fakes) + " too."
    for text in (GENERATED + author, GENERATED.replace("<hr>", "Generated text.\n\n<hr>") + author):
        generated = incident(author)
        assert generated.mark != other_build.mark
        page, out = render(generated, config, text)
        assert "pm-block" not in out
        assert out.count(CHECKLIST) == 1 and out.count(TABLE) == 1
        assert out.endswith("<p>Inline     too.</p>")
        generated.show_search_html(page)
        assert "pm-block-0123456789abcdef" not in page.content
        assert other_build.mark not in page.content


def test_each_build_draws_its_own_token() -> None:
    tokens = {GeneratedHtml({}).mark for _ in range(5)}
    assert len(tokens) == 5
    assert all(re.fullmatch(r"pm-block-[0-9a-f]{16}", token) for token in tokens)


def test_toc_titles_are_text(config: MkDocsConfig) -> None:
    """A Markdown extension may leave markup in a TOC title; the theme shows it as is."""
    generated = incident()
    file = File(PAGE, config.docs_dir, config.site_dir, True)
    page = Page(None, file, config)
    page.markdown = generated.set_aside(PAGE, GENERATED + AUTHOR)
    page.render(config, Files([file]))
    page.toc.items[0].children[0].title = "<img src=x onerror=alert(1)>Impact <b>now</b>"
    generated.put_back(page, page.content, config)
    assert [item.title for item in page.toc.items[0].children][-1] == "Impact now"


def test_markdown_changed_by_another_plugin_sets_nothing_aside(
    config: MkDocsConfig, caplog: pytest.LogCaptureFixture
) -> None:
    """Where the page no longer ends with the author's text, no one knows where
    it starts: the whole page is sanitised, our blocks with it."""
    author = "## Impact\n\n<div>\n<script>alert(1)</script>\n</div>"
    text = GENERATED + author + "\n\n*A footer from another plugin.*\n"
    generated = incident(author)
    with caplog.at_level(logging.DEBUG, logger="mkdocs.plugins.postmortems"):
        assert generated.set_aside(PAGE, text) == text
    assert f"{PAGE}: Markdown changed by another plugin" in caplog.text
    _, out = render(generated, config, text)
    assert "alert" not in out
    assert "<p><em>A footer from another plugin.</em></p>" in out
    assert "<ul>\n<li>Did anyone come to harm?</li>\n</ul>" in out  # sanitised: no attribute


def test_a_page_never_set_aside_is_sanitised_whole(config: MkDocsConfig) -> None:
    file = File(PAGE, config.docs_dir, config.site_dir, True)
    page = Page(None, file, config)
    out = GeneratedHtml({}).put_back(page, "<p>a<script>alert(1)</script></p>", config)
    assert out == "<p>a</p>"


# --- the search plugin's version, and the swap around it ----------------------------------


def test_search_sees_the_words_of_our_blocks(config: MkDocsConfig) -> None:
    for author_text, text in [(AUTHOR, GENERATED + AUTHOR), ("", f"{CARD}\n\n{TABLE}\n")]:
        generated = GeneratedHtml({PAGE: author_text})
        page, out = render(generated, config, text)
        generated.show_search_html(page)
        search = page.content
        assert "<td" not in search and "<li" not in search
        assert "<p>T0 &lt;script&gt; triggered</p>" in search  # still escaped
        # what every page repeats is left out
        assert "Moment" not in search and "Did anyone come to harm" not in search
        assert "<p>AIPM-1 · severity high</p>" in search
        generated.show_page_html(page)
        assert page.content == out


def test_a_page_excluded_from_search_is_not_swapped(config: MkDocsConfig) -> None:
    generated = GeneratedHtml({})
    file = File("index.md", config.docs_dir, config.site_dir, True)
    page = Page(None, file, config)
    page.markdown = generated.set_aside("index.md", f"{TABLE}\n")
    page.render(config, Files([file]))
    page.meta = {"search": {"exclude": True}}
    page.content = generated.put_back(page, page.content, config)
    generated.show_search_html(page)
    assert page.content == TABLE
    generated.show_page_html(page)
    assert page.content == TABLE


def test_unchanged_search_version_gives_the_page_its_html_back(
    config: MkDocsConfig, caplog: pytest.LogCaptureFixture
) -> None:
    generated = incident()
    page, out = render(generated, config, GENERATED + AUTHOR)
    generated.show_search_html(page)
    # what Material's search plugin does to the page after indexing it
    page.content = re.sub(r"\s?data-search-\w+=\"[^\"]+\"", "", page.content)
    with caplog.at_level(logging.DEBUG, logger="mkdocs.plugins.postmortems"):
        generated.show_page_html(page)
    assert page.content is out
    assert caplog.text == ""


def test_another_plugins_change_to_the_search_version_is_kept(
    config: MkDocsConfig, caplog: pytest.LogCaptureFixture
) -> None:
    """Putting the page's HTML back would lose the change: the page is made from
    the changed version, sanitised, with our blocks back in place of their words."""
    for text in (GENERATED + AUTHOR, GENERATED.replace("<hr>", "Generated text.\n\n<hr>") + AUTHOR):
        generated = incident()
        page, out = render(generated, config, text)
        generated.show_search_html(page)
        page.content += '\n<p class="feedback">Was this page helpful?</p>'
        with caplog.at_level(logging.DEBUG, logger="mkdocs.plugins.postmortems"):
            generated.show_page_html(page)
        # sanitised again, our headings' permalinks show ¶ as the character
        expected = out.replace("&para;", "¶") + '\n<p class="feedback">Was this page helpful?</p>'
        assert page.content == expected
        assert f"{PAGE}: page.content changed by another plugin" in caplog.text
        caplog.clear()


def test_a_changed_search_version_is_sanitised_and_only_marked_blocks_return(
    config: MkDocsConfig,
) -> None:
    generated = incident()
    page, _ = render(generated, config, GENERATED + AUTHOR)
    generated.show_search_html(page)
    # another plugin drops the table's end mark, and adds the author's raw HTML
    # (as a plugin rendering the Markdown again would)
    page.content = page.content.replace(f"<!--/{generated.mark}-2-->", "")
    page.content += "\n<p>Raw <script>alert(1)</script><img src=x onerror=alert(2)></p>"
    generated.show_page_html(page)
    assert page.content.endswith('\n<p>Raw <img src="x"></p>')
    assert CARD in page.content and CHECKLIST in page.content
    assert TABLE not in page.content
    assert "<p>T0 &lt;script&gt; triggered</p>" in page.content  # its words stay instead
    assert marks(page.content) == []


def test_a_page_changed_before_the_swap_is_not_swapped(
    config: MkDocsConfig, caplog: pytest.LogCaptureFixture
) -> None:
    """The search version would lack the change: search reads the page itself."""
    generated = incident()
    page, out = render(generated, config, GENERATED + AUTHOR)
    page.content = out + '<p class="feedback">Was this page helpful?</p>'
    changed = page.content
    with caplog.at_level(logging.DEBUG, logger="mkdocs.plugins.postmortems"):
        generated.show_search_html(page)
        assert page.content is changed
        page.content += "<p>More from a third plugin.</p>"
        generated.show_page_html(page)
    assert page.content == changed + "<p>More from a third plugin.</p>"
    assert f"{PAGE}: page.content changed by another plugin after ours" in caplog.text


# --- real builds, next to another plugin ------------------------------------------------

NARRATIVE = (
    "<script>document.title='PWNED by the narrative'</script>\n\n"
    'An image <img src="https://example.com/x.png" onerror="alert(\'narrative\')"> here.\n\n'
    "<div>\n<script>alert('in a block')</script>\n</div>\n"
)
# MkDocs runs hooks after the plugins listed, at the same priority: this one edits
# the page while the search plugin has its search version (our swap's event) ...
CONTEXT_HOOK = """\
def on_page_context(context, page, config, nav):
    page.content += '<p class="hook">added by a hook</p>'
    return context
"""
# ... this one after our plugin put the page together, before the swap
CONTENT_HOOK = """\
def on_page_content(html, page, config, files):
    return html + '<p class="hook">added by a hook</p>'
"""
MARKDOWN_HOOK = """\
from mkdocs.plugins import event_priority


@event_priority(50)  # before the postmortems plugin
def on_page_markdown(markdown, page, config, files):
    return markdown + "\\n\\n*A footer added by a hook.*\\n"
"""
SOURCE = "postmortems/2025/AIPM-2025-001-refunds.md"


def build_with_hook(repo: Repo, hook: str) -> tuple[str, str]:
    """A site whose one postmortem has script in its narrative, built with a
    hooks file; returns the postmortem's page and the build's log."""
    repo.write("pyproject.toml", '[tool.postmortem.rules]\nlate-draft = "off"\nraw-html = "off"\n')
    repo.write("mkdocs.yml", MKDOCS_YML + "hooks:\n  - hooks.py\n")
    repo.write("hooks.py", hook)
    (repo.path / "docs").mkdir()
    text = FINAL.replace("visibility: internal", "visibility: public")
    repo.write(SOURCE, text.replace("## Impact\n", f"## Impact\n\n{NARRATIVE}\n", 1))
    done = build(repo, "--verbose")
    assert done.returncode == 0, done.stderr
    return html(repo, "incidents/AIPM-2025-001"), done.stderr


def assert_narrative_neutralised(page: str) -> None:
    assert "PWNED" not in page and "narrative')" not in page and "in a block" not in page
    assert "onerror" not in page
    assert '<img src="https://example.com/x.png"> here.' in page


@pytest.mark.parametrize(
    ("hook", "logged"),
    [
        (CONTEXT_HOOK, "page.content changed by another plugin while the search plugin had it"),
        (CONTENT_HOOK, "page.content changed by another plugin after ours"),
    ],
    ids=["on_page_context", "on_page_content"],
)
def test_another_plugins_change_to_the_page_is_published(
    repo: Repo, hook: str, logged: str
) -> None:
    page, log = build_with_hook(repo, hook)
    assert page.count('<p class="hook">added by a hook</p>') == 1
    assert f"{SOURCE}: {logged}" in log
    assert_narrative_neutralised(page)
    # our blocks, as they were written (the sanitiser would drop the attribute)
    assert "<td>Search infrastructure team</td>" in page
    assert "<ul data-search-exclude>" in page
    assert "pm-block-" not in page
    assert_similar_list_filled(page)
    # the search index has the words of the blocks, and no marks
    index = (repo.path / "site" / "search" / "search_index.json").read_text()
    assert "Search infrastructure team" in index and "pm-block-" not in index


def test_a_plugin_changing_the_markdown_first_gets_it_all_sanitised(repo: Repo) -> None:
    page, log = build_with_hook(repo, MARKDOWN_HOOK)
    assert "<em>A footer added by a hook.</em>" in page
    assert f"{SOURCE}: Markdown changed by another plugin" in log
    assert_narrative_neutralised(page)
    assert "<td>Search infrastructure team</td>" in page  # our blocks, sanitised with the rest
    assert "pm-block-" not in page
    assert_similar_list_filled(page)


def assert_similar_list_filled(page: str) -> None:
    """The list goes in last, where our placeholder is: the sanitiser must not
    have taken the placeholder's attribute off on the way."""
    assert "None of the other postmortems published here." in page  # the one postmortem
    assert "data-pm-similar" not in page


def test_building_again_in_one_process_keeps_one_build_frozen_not_every_one(repo: Repo) -> None:
    """The plugin keeps what it loaded out of the collector's passes until the
    next build starts (not to the end of its own, which a process that then
    ends would pay for): a program that builds again and again, as
    `mkdocs serve` does, must not pile up every build's objects."""
    repo.write("mkdocs.yml", MKDOCS_YML)
    (repo.path / "docs").mkdir()
    repo.write(SOURCE, FINAL)
    script = (
        "import gc\n"
        "from mkdocs.commands.build import build\n"
        "from mkdocs.config import load_config\n"
        "counts = []\n"
        "for _ in range(6):\n"
        "    build(load_config('mkdocs.yml'))\n"
        "    counts.append(gc.get_freeze_count())\n"
        "print(*counts)\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", script], cwd=repo.path, capture_output=True, text=True
    )
    assert done.returncode == 0, done.stderr
    counts = list(map(int, done.stdout.split()))
    # the second build keeps some of the first (caches); after it, no growth
    # (left frozen, each build's cyclic garbage adds 7%: 54,864 to 68,165 by the sixth)
    assert counts[1] < 2 * counts[0] and counts[-1] <= counts[1] * 1.05, done.stdout
