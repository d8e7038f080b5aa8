"""The site, built for real with `mkdocs build` in temp repositories."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
from helpers import MKDOCS_YML, Repo, build, commit, html, postmortem

TRICKY_TITLE = "<script>alert(1)</script> | *bold* [link](x) leak"


@pytest.fixture
def site_repo(repo: Repo) -> Repo:
    repo.write("mkdocs.yml", MKDOCS_YML)
    (repo.path / "docs").mkdir()
    repo.write(
        "postmortems/2025/AIPM-2025-001-refunds.md",
        postmortem("AIPM-2025-001", visibility="visibility: public"),
    )
    repo.write(
        "postmortems/2025/AIPM-2025-002-internal.md",
        postmortem(
            "AIPM-2025-002",
            title="title: Secret project Bluebird leaked its prompt",
            incident_types="incident_types: [prompt-injection]",
            identified="identified: 2025-05-02",
            resolved="resolved: 2025-05-20",
            visibility="visibility: internal",
        )
        .replace("prior_similar: false", "prior_similar: true")
        .replace("tags: [", "related: [AIPM-2025-001]\ntags: ["),
    )
    repo.write(
        "postmortems/2025/AIPM-2025-003-restricted.md",
        postmortem(
            "AIPM-2025-003",
            title=f'title: "{TRICKY_TITLE}"',
            visibility="visibility: restricted",
            status="status: draft",
        ),
    )
    return repo


def everything_built(repo: Repo) -> str:
    """Every text file of the built site, search index and sitemap included."""
    return "\n".join(
        path.read_text(encoding="utf-8", errors="replace")
        for path in (repo.path / "site").rglob("*")
        if path.suffix in (".html", ".json", ".xml")
    )


def test_strict_build_of_the_samples_has_every_index_page(site_repo: Repo) -> None:
    done = build(site_repo, audience="restricted")
    assert done.returncode == 0, done.stderr
    for page in [
        "",
        "types",
        "types/hallucination",
        "root-causes",
        "root-causes/model-design-evaluation",
        "lenses",
        "severity/high",
        "systems/support-assistant",
        "quarters",
        "quarters/2025-q1",
        "actions",
        "controls",
        "near-misses",
        "lessons",
        "guide",
        "guide/taxonomy",
        "incidents/AIPM-2025-001",
    ]:
        assert (site_repo.path / "site" / page / "index.html").is_file(), page


def test_incident_page(site_repo: Repo) -> None:
    assert build(site_repo, audience="restricted").returncode == 0
    page = html(site_repo, "incidents/AIPM-2025-001")
    assert ">AIPM-2025-001: Support assistant invented a bereavement refund policy</h1>" in page
    assert 'href="../../severity/high/">high</a>' in page
    assert 'href="../../types/hallucination/">Hallucination</a>' in page
    assert 'href="../../root-causes/operational-deployment-gaps/">' in page
    assert "Time to detect <strong>8 d 1 h</strong>" in page
    assert "time to contain <strong>3 h 35 min</strong>" in page
    assert "<strong>Yes</strong>: Did anyone come to harm, or could they have?" in page
    assert "<em>Evidence:</em> Index build log of 2025-02-03" in page
    assert 'href="https://incidentdatabase.ai/cite/639"' in page
    # the other postmortem relates to this one: it is listed as referring here
    assert "Referenced by:" in page and 'href="../AIPM-2025-002/"' in page
    assert "Draft" not in page
    # the author's body follows the structured parts
    assert page.index("Root causes by lens") < page.index("For eight days our support assistant")


def headings_and_tables(page: str) -> list[str]:
    """The page's article as its sequence of headings and table openings."""
    article = page[page.index("<article") : page.index("</article>")]
    return re.findall(r'<h[1-3] id="([^"]+)"|<(table)>', article)


def test_structured_parts_sit_under_their_headings(site_repo: Repo) -> None:
    # a value whose second line looks like a heading must stay in its cell
    site_repo.write(
        "postmortems/2025/AIPM-2025-001-refunds.md",
        postmortem("AIPM-2025-001").replace(
            "description: Make the assistant decline policy questions unless it cites a "
            "retrieved policy page.",
            'description: "Rebuild.\\n## Not a heading"',
        ),
    )
    assert build(site_repo, audience="internal").returncode == 0
    for pm_id in ["AIPM-2025-001", "AIPM-2025-002"]:
        page = html(site_repo, f"incidents/{pm_id}")
        sequence = [heading or table for heading, table in headings_and_tables(page)]
        assert sequence[1:9] == [
            "triage-checklist",
            "key-times",
            "table",
            "root-causes-by-lens",
            "governance",
            "operations",
            "corrective-actions",
            "table",
        ]
    assert "Rebuild.\n## Not a heading</td>" in html(site_repo, "incidents/AIPM-2025-001")


def test_structured_headings_follow_the_sites_toc_settings(site_repo: Repo) -> None:
    site_repo.write(
        "mkdocs.yml", MKDOCS_YML + "markdown_extensions:\n  - toc:\n      permalink: '#'\n"
    )
    # the author's text has a heading of the same name as a structured part
    path = site_repo.path / "postmortems/2025/AIPM-2025-001-refunds.md"
    path.write_text(
        path.read_text().replace("## Monitoring", "## Controls\n\nSee above.\n\n## Monitoring")
    )
    assert build(site_repo, audience="restricted").returncode == 0
    page = html(site_repo, "incidents/AIPM-2025-001")
    article = page[page.index("<article") : page.index("</article>")]
    ids = re.findall(r' id="([^"]+)"', article)
    assert len(ids) == len(set(ids)), "every id on the page is unique"
    # a structured heading gets its permalink like the author's headings do
    assert '<a class="headerlink" href="#key-times" title="Permanent link">#</a>' in article
    assert '<a class="headerlink" href="#summary" title="Permanent link">#</a>' in article
    # the table of contents lists both headings named Controls, each to its own id
    toc = page[page.index('<nav class="md-nav md-nav--secondary"') : page.index("<article")]
    toc_links = re.findall(r'href="#([^"]+)"', toc)
    assert toc_links[:3] == ["triage-checklist", "key-times", "root-causes-by-lens"]
    assert {"controls", "controls_1"} <= set(toc_links)


def test_draft_banner(site_repo: Repo) -> None:
    assert build(site_repo, audience="restricted").returncode == 0
    assert 'class="admonition warning"' in html(site_repo, "incidents/AIPM-2025-003")
    assert "This postmortem is a draft" in html(site_repo, "incidents/AIPM-2025-003")


def test_values_from_front_matter_are_escaped(site_repo: Repo) -> None:
    assert build(site_repo, audience="restricted").returncode == 0
    built = everything_built(site_repo)
    assert "<script>alert(1)</script>" not in built
    page = html(site_repo, "incidents/AIPM-2025-003")
    assert "&lt;script&gt;alert(1)&lt;/script&gt; | *bold* [link](x) leak</h1>" in page
    # in a table cell the | does not split the row, and * stays a star
    home = html(site_repo, "")
    assert "&lt;script&gt;alert(1)&lt;/script&gt; | *bold* [link](x) leak</a></td>" in home
    records = json.loads((site_repo.path / "site" / "incidents.json").read_text())["incidents"]
    assert {r["front_matter"]["title"] for r in records} >= {TRICKY_TITLE}


@pytest.mark.parametrize(
    ("audience", "visible", "hidden"),
    [
        ("public", ["AIPM-2025-001"], ["AIPM-2025-002", "AIPM-2025-003", "Bluebird"]),
        ("internal", ["AIPM-2025-001", "AIPM-2025-002"], ["AIPM-2025-003", "alert(1)"]),
        ("restricted", ["AIPM-2025-001", "AIPM-2025-002", "AIPM-2025-003"], []),
    ],
)
def test_audience_hides_postmortems_everywhere(
    site_repo: Repo, audience: str, visible: list[str], hidden: list[str]
) -> None:
    assert build(site_repo, audience=audience).returncode == 0
    built = everything_built(site_repo)
    for text in hidden:
        assert text not in built, f"{text} leaked into the {audience} build"
    for pm_id in visible:
        assert (site_repo.path / "site" / "incidents" / pm_id / "index.html").is_file()
    records = json.loads((site_repo.path / "site" / "incidents.json").read_text())["incidents"]
    assert sorted(r["id"] for r in records) == visible
    counts = re.search(r"<td>(\d+)</td>", html(site_repo, ""))
    assert counts and int(counts.group(1)) == len(visible)  # the headline count


def test_audience_option_and_environment(site_repo: Repo) -> None:
    site_repo.write(
        "mkdocs.yml", MKDOCS_YML.replace("- postmortems", "- postmortems:\n      audience: public")
    )
    assert build(site_repo).returncode == 0
    assert "AIPM-2025-002" not in everything_built(site_repo)
    assert build(site_repo, audience="internal").returncode == 0  # the variable wins
    assert "AIPM-2025-002" in everything_built(site_repo)
    done = build(site_repo, audience="everyone")
    assert done.returncode == 1
    assert "audience 'everyone' is not one of public, internal, restricted" in done.stderr


def test_new_postmortem_appears_everywhere_with_no_other_edit(site_repo: Repo) -> None:
    assert build(site_repo).returncode == 0
    assert not (site_repo.path / "site" / "incidents" / "AIPM-2026-001").exists()
    site_repo.write(
        "postmortems/2026/AIPM-2026-001-new.md",
        postmortem(
            "AIPM-2026-001",
            identified="identified: 2026-02-01",
            resolved="resolved: 2026-02-03",
            incident_types="incident_types: [data-poisoning]",
            systems="systems: [feature-store]",
        ),
    )
    assert build(site_repo).returncode == 0
    link = 'href="../../incidents/AIPM-2026-001/"'
    for page in [
        "types/data-poisoning",
        "systems/feature-store",
        "quarters/2026-q1",
        "severity/high",
    ]:
        assert link in html(site_repo, page), page
    assert 'href="incidents/AIPM-2026-001/"' in html(site_repo, "")
    assert "AIPM-2026-001" in (site_repo.path / "site" / "search" / "search_index.json").read_text()


def test_search_indexes_the_words_of_the_structured_parts(site_repo: Repo) -> None:
    assert build(site_repo, audience="restricted").returncode == 0
    index = json.loads((site_repo.path / "site" / "search" / "search_index.json").read_text())
    sections = {doc["location"]: doc["text"] for doc in index["docs"]}
    actions = sections["incidents/AIPM-2025-001/#corrective-actions"]
    assert "Search infrastructure team" in actions  # an owner, from a table cell
    assert "<td" not in actions and "Priority" not in actions  # no markup, no header
    # the questions every page repeats would make "harm" match every postmortem
    incidents = [text for location, text in sections.items() if location.startswith("incidents/")]
    assert not any("Did anyone come to harm" in text for text in incidents)
    # while the page itself keeps its table and its checklist
    page = html(site_repo, "incidents/AIPM-2025-001")
    assert "<td>Search infrastructure team</td>" in page
    assert "Did anyone come to harm" in page


def test_actions_page_lists_open_actions_overdue_first(site_repo: Repo) -> None:
    text = (
        postmortem("AIPM-2025-004")
        .replace(
            "    due: 2025-02-28\n    status: done", "    due: 2025-02-28\n    status: in-progress"
        )
        .replace(
            "    due: 2025-03-31\n    status: done", "    due: 2030-03-31\n    status: planned"
        )
    )
    site_repo.write(
        "postmortems/2025/AIPM-2025-004-open.md",
        text.replace("owner: Search infrastructure team", "owner: Assistant platform team"),
    )
    assert build(site_repo).returncode == 0
    page = html(site_repo, "actions")
    assert page.index("2025-02-28 <strong>overdue</strong>") < page.index("2030-03-31")
    assert page.count("<tr>") == 3  # a header and the two open actions; done ones are not listed


def test_unknown_incident_type_fails_a_strict_build(site_repo: Repo) -> None:
    site_repo.write(
        "postmortems/2025/AIPM-2025-009-typo.md",
        postmortem("AIPM-2025-009", incident_types="incident_types: [halucination]"),
    )
    done = build(site_repo)
    assert done.returncode == 1
    assert (
        "postmortems/2025/AIPM-2025-009-typo.md: left out; "
        "`postmortem lint postmortems/2025/AIPM-2025-009-typo.md` says why"
    ) in done.stderr


def test_navigation_lists_indexes_not_postmortems(site_repo: Repo) -> None:
    assert build(site_repo).returncode == 0
    nav = re.findall(r'<a href="([^"#]+)" class="md-nav__link', html(site_repo, "types"))
    assert nav == [
        "..",
        "./",
        "../root-causes/",
        "../lenses/",
        "../severity/",
        "../systems/",
        "../quarters/",
        "../actions/",
        "../controls/",
        "../recurrence/",
        "../near-misses/",
        "../lessons/",
        "../guide/",
        "../guide/taxonomy/",
    ]


def test_pages_command_writes_the_same_pages(site_repo: Repo) -> None:
    run = site_repo.run("pages", "--out", "out", "--audience", "internal")
    assert run.exit_code == 0, run.err
    assert run.out.startswith("Wrote ") and "2 postmortems, audience internal" in run.out
    out = site_repo.path / "out"
    assert (out / "incidents" / "AIPM-2025-002.md").read_text().startswith("---\ntitle: ")
    assert (out / "types" / "prompt-injection.md").is_file()
    records = json.loads((out / "incidents.json").read_text())["incidents"]
    assert [(r["id"], r["url"]) for r in records] == [
        ("AIPM-2025-002", "incidents/AIPM-2025-002/"),
        ("AIPM-2025-001", "incidents/AIPM-2025-001/"),
    ]


def test_this_repository_builds_strict(tmp_path: Path) -> None:
    project = Path(__file__).parent.parent
    done = subprocess.run(
        [sys.executable, "-m", "mkdocs", "build", "--strict", "--site-dir", str(tmp_path / "site")],
        cwd=project,
        capture_output=True,
        text=True,
        env={**os.environ, "NO_MKDOCS_2_WARNING": "1"},
    )
    assert done.returncode == 0, done.stderr
    assert (tmp_path / "site" / "incidents" / "AIPM-2025-001" / "index.html").is_file()


def test_history_on_pages_and_in_json(site_repo: Repo) -> None:
    commit(site_repo.path, "First drafts", "2025-02-12T09:00:00+00:00", "Dana")
    path = site_repo.path / "postmortems/2025/AIPM-2025-001-refunds.md"
    path.write_text(path.read_text().replace("412 customers", "413 customers"))
    commit(site_repo.path, "Fix count", "2025-02-20T10:00:00+00:00", "Priya")
    assert build(site_repo).returncode == 0
    page = html(site_repo, "incidents/AIPM-2025-001")
    assert (
        "Created 2025-02-12 · last updated 2025-02-20 · 2 revisions · contributors: Dana, Priya"
        in page
    )
    records = json.loads((site_repo.path / "site" / "incidents.json").read_text())["incidents"]
    assert records[-1]["history"] == {
        "created": "2025-02-12T09:00:00+00:00",
        "updated": "2025-02-20T10:00:00+00:00",
        "revisions": 2,
        "contributors": ["Dana", "Priya"],
    }


def test_links_in_the_narrative_work_on_the_site(site_repo: Repo) -> None:
    """Images and links in the author's text resolve from the postmortem's own
    folder; only files that visible postmortems link to are published."""
    (site_repo.path / "postmortems/2025/img").mkdir()
    (site_repo.path / "postmortems/2025/img/dashboard.png").write_bytes(b"\x89PNG dashboard")
    (site_repo.path / "postmortems/2025/img/secret.png").write_bytes(b"\x89PNG secret")
    for name, line in [
        ("AIPM-2025-001-refunds.md", "![Refund answers per day](img/dashboard.png)"),
        ("AIPM-2025-002-internal.md", "See [the refunds case](AIPM-2025-001-refunds.md#impact)."),
        ("AIPM-2025-003-restricted.md", "![Leaked prompt](img/secret.png)"),
    ]:
        path = site_repo.path / "postmortems/2025" / name
        path.write_text(path.read_text().replace("## Impact\n", f"## Impact\n\n{line}\n"))
    done = build(site_repo, audience="internal")
    assert done.returncode == 0, done.stderr
    site = site_repo.path / "site"
    assert (site / "postmortems/2025/img/dashboard.png").read_bytes() == b"\x89PNG dashboard"
    assert not (site / "postmortems/2025/img/secret.png").exists()  # only a hidden page uses it
    assert 'src="../../postmortems/2025/img/dashboard.png"' in html(
        site_repo, "incidents/AIPM-2025-001"
    )
    assert 'href="../AIPM-2025-001/#impact"' in html(site_repo, "incidents/AIPM-2025-002")

    # a public build passes until a public postmortem links to a hidden one:
    # then the broken link is reported, naming the file that has it
    done = build(site_repo, audience="public")
    assert done.returncode == 0, done.stderr
    site_repo.write(
        "postmortems/2025/AIPM-2025-001-refunds.md",
        (site_repo.path / "postmortems/2025/AIPM-2025-001-refunds.md")
        .read_text()
        .replace("## Impact\n", "## Impact\n\nLike [the leak](AIPM-2025-002-internal.md).\n"),
    )
    done = build(site_repo, audience="public")
    assert done.returncode == 1
    assert "postmortems/2025/AIPM-2025-001-refunds.md" in done.stderr
    assert "AIPM-2025-002-internal.md" in done.stderr


def test_edit_button_opens_the_postmortem(site_repo: Repo) -> None:
    site_repo.write(
        "mkdocs.yml",
        MKDOCS_YML.replace("  font: false\n", "  font: false\n  features: [content.action.edit]\n")
        + "repo_url: https://github.com/example/incidents\nedit_uri: edit/main/docs/\n",
    )
    assert build(site_repo, audience="public").returncode == 0
    edit = (
        "https://github.com/example/incidents/edit/main/postmortems/2025/AIPM-2025-001-refunds.md"
    )
    assert f'href="{edit}"' in html(site_repo, "incidents/AIPM-2025-001")


def test_pages_command_copies_linked_files(site_repo: Repo) -> None:
    (site_repo.path / "postmortems/2025/img").mkdir()
    (site_repo.path / "postmortems/2025/img/dashboard.png").write_bytes(b"\x89PNG dashboard")
    path = site_repo.path / "postmortems/2025/AIPM-2025-001-refunds.md"
    path.write_text(
        path.read_text().replace("## Impact\n", "## Impact\n\n![x](img/dashboard.png)\n")
    )
    run = site_repo.run("pages", "--out", "out")
    assert run.exit_code == 0, run.err
    assert (site_repo.path / "out/postmortems/2025/img/dashboard.png").is_file()


def test_links_between_pages_are_what_relpath_gives() -> None:
    """Our relative path is relpath's, for every kind of page URL the site makes."""
    import itertools
    import posixpath

    from postmortem_kit.site.pages import _relative

    urls = ["", "incidents/A/", "incidents/AB/", "incidents/A.html", "index.html", "a/b/c/"]
    bases = ["", "incidents/A/", "incidents", "types/hallucination/", "a/b/", "incidents/AB"]
    for there, base in itertools.product(urls, bases):
        assert _relative(there, base) == posixpath.relpath(there or ".", base or "."), (there, base)
