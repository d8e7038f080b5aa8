"""What lint accepts builds; what it rejects is left out with one warning.

Each case here once crashed or hung `mkdocs build`, or let a value run as
script, although lint reported it or passed it.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys

import pytest
from helpers import MKDOCS_YML, RULES_OFF, Repo, postmortem

# Values of the wrong type or size that lint reports; each crashed the build.
REJECTED = {
    "pattern-list": ("    pattern: model-design-evaluation", "    pattern: [x]"),
    "pattern-number": ("    pattern: model-design-evaluation", "    pattern: 5"),
    "manifestation-mapping": ("    manifestation: no-calibration", "    manifestation: {a: b}"),
    "root-causes-true": ("root_causes:\n", "root_causes: true\nxroot_causes:\n"),
    "owasp-float": ("tags: [", "references: {owasp_llm: [1.5]}\ntags: ["),
    "atlas-nested": ("tags: [", "references: {atlas: [[x]]}\ntags: ["),
    "attendees-float": (
        "  attendees: [Support operations, Assistant platform team, Legal]",
        "  attendees: 1.5",
    ),
    "id-300-digits": ("id: AIPM-2025-1", "id: AIPM-2025-" + "1" * 300),
    "year-0999": ("identified: 2025-02-11", "identified: 0999-12-31"),
    "year-0001": ("identified: 2025-02-11", "identified: 0001-01-01"),
    "year-9999": ("identified: 2025-02-11", "identified: 9999-12-31"),
    "infinity": ("  downtime_minutes: 0", "  downtime_minutes: .inf"),
    "not-a-number": ("  downtime_minutes: 0", "  downtime_minutes: .nan"),
    "huge-integer": ("  users_affected: 412", "  users_affected: " + "9" * 5000),
    "leap-second": ("  detected: 2025-02-11T09:40:00Z", "  detected: 2025-02-11T23:59:60Z"),
}


def build(repo: Repo, *args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "NO_MKDOCS_2_WARNING": "1", "POSTMORTEM_AUDIENCE": "restricted"}
    return subprocess.run(
        [sys.executable, "-m", "mkdocs", "build", *args],
        cwd=repo.path,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )


@pytest.fixture
def site_repo(repo: Repo) -> Repo:
    repo.write("mkdocs.yml", MKDOCS_YML)
    (repo.path / "docs").mkdir()
    return repo


def test_every_file_lint_rejects_is_left_out_with_one_warning(site_repo: Repo) -> None:
    site_repo.write("postmortems/2025/AIPM-2025-001-valid.md", postmortem("AIPM-2025-001"))
    names = []
    for n, (name, (old, new)) in enumerate(REJECTED.items(), start=100):
        text = postmortem(f"AIPM-2025-{n}")
        assert old in text, name
        names.append(f"postmortems/2025/AIPM-2025-{n}-{name}.md")
        site_repo.write(names[-1], text.replace(old, new, 1))
    lint = site_repo.run("lint", "--format", "json")
    rejected = {f["path"] for f in json.loads(lint.out)["findings"] if f["level"] == "error"}
    assert rejected == set(names)

    done = build(site_repo)
    assert done.returncode == 0, done.stderr
    for name in names:
        assert done.stderr.count(f"{name}: left out; `postmortem lint {name}` says why") == 1
    site = site_repo.path / "site"
    records = json.loads((site / "incidents.json").read_text())["incidents"]
    assert [r["id"] for r in records] == ["AIPM-2025-001"]
    assert sorted(p.name for p in (site / "quarters").iterdir()) == ["2025-q1", "index.html"]
    assert build(site_repo, "--strict").returncode == 1


def test_odd_link_targets_do_not_break_the_build(site_repo: Repo) -> None:
    links = f"[long]({'y' * 300}) [nul](a%00b.png) [loop](loop.png)"
    (site_repo.path / "postmortems/2025").mkdir(parents=True)
    os.symlink("loop.png", site_repo.path / "postmortems/2025/loop.png")
    text = postmortem("AIPM-2025-001").replace("## Impact\n", f"## Impact\n\n{links}\n")
    site_repo.write("postmortems/2025/AIPM-2025-001-valid.md", text)
    done = build(site_repo)
    assert done.returncode == 0, done.stderr
    assert "Traceback" not in done.stderr


def test_a_draft_with_half_written_root_causes_builds(site_repo: Repo) -> None:
    draft = postmortem("AIPM-2025-001", status="status: draft").replace(
        "    pattern: model-design-evaluation\n", ""
    )
    site_repo.write("postmortems/2025/AIPM-2025-001-a.md", draft)
    assert site_repo.run("lint").exit_code == 0
    done = build(site_repo, "--strict")
    assert done.returncode == 0, done.stderr


def test_quarter_pages_only_where_there_are_postmortems(site_repo: Repo) -> None:
    site_repo.write("postmortems/2025/AIPM-2025-001-a.md", postmortem("AIPM-2025-001"))
    early = postmortem(
        "AIPM-1999-001",
        identified="identified: 1999-02-11",
        resolved="resolved: 1999-02-14",
    ).replace("2025-0", "1999-0")
    site_repo.write("postmortems/1999/AIPM-1999-001-a.md", early)
    done = build(site_repo)
    assert done.returncode == 0, done.stderr
    quarters = sorted(p.name for p in (site_repo.path / "site/quarters").iterdir())
    assert quarters == ["1999-q1", "2025-q1", "index.html"]


def test_titles_from_values_never_reach_html_as_markup(site_repo: Repo) -> None:
    payload = "</title><script>alert(1)</script>"
    site_repo.write(
        "postmortems/2025/AIPM-2025-001-a.md",
        postmortem("AIPM-2025-001", systems=f'systems: ["{payload}"]'),
    )
    assert build(site_repo).returncode == 0
    system_pages = [
        p for p in (site_repo.path / "site/systems").iterdir() if p.name != "index.html"
    ]
    page = (system_pages[0] / "index.html").read_text()
    assert "<script>alert(1)" not in page
    title = page[page.index("<title>") : page.index("</title>") + 8]
    assert (
        title
        == "<title>System: &lt;/title&gt;&lt;script&gt;alert(1)&lt;/script&gt; - Incidents</title>"
    )


def test_block_marks_in_the_narrative_are_plain_comments(site_repo: Repo) -> None:
    body = "## Impact\n\n<!--pm-block-99-->\n\n<!--pm-block-0-->\n\nText after the marks.\n"
    site_repo.write(
        "postmortems/2025/AIPM-2025-001-a.md",
        postmortem("AIPM-2025-001").replace("## Impact\n", body),
    )
    done = build(site_repo)
    assert done.returncode == 0, done.stderr
    page = (site_repo.path / "site/incidents/AIPM-2025-001/index.html").read_text()
    assert page.count('<div class="pm-card">') == 1
    assert page.count('<h2 id="triage-checklist"') == 1
    assert "pm-block" not in page and "Text after the marks." in page


def test_a_postmortem_named_dot_capital_md_is_rendered_and_sanitised(site_repo: Repo) -> None:
    site_repo.write("pyproject.toml", RULES_OFF + 'raw-html = "off"\n')
    text = postmortem("AIPM-2025-001").replace("## Impact\n", "## Impact\n\n<script>x()</script>\n")
    site_repo.write("postmortems/2025/AIPM-2025-001-a.MD", text)
    assert build(site_repo, "--strict").returncode == 0
    page = (site_repo.path / "site/incidents/AIPM-2025-001/index.html").read_text()
    assert "<script>x()" not in page and '<div class="pm-card">' in page


def test_author_ids_cannot_take_the_themes_own(site_repo: Repo) -> None:
    site_repo.write("pyproject.toml", RULES_OFF + 'raw-html = "off"\n')
    body = '## Impact\n\n<div id="__config">{"search": "x.txt"}</div>\n\n### __search\n\n'
    text = postmortem("AIPM-2025-001").replace("## Impact\n", body)
    site_repo.write("postmortems/2025/AIPM-2025-001-a.md", text)
    assert build(site_repo).returncode == 0
    page = (site_repo.path / "site/incidents/AIPM-2025-001/index.html").read_text()
    article = page[page.index("<article") : page.index("</article>")]
    assert 'id="__' not in article
    assert page.count('id="__config"') == 1  # Material's own


def test_author_classes_cannot_make_the_theme_act(site_repo: Repo) -> None:
    """`mermaid` made Material fetch a script from a CDN; `md-dialog` faked its UI."""
    site_repo.write("pyproject.toml", RULES_OFF + 'raw-html = "off"\n')
    body = (
        '## Impact\n\n<pre class="mermaid">graph LR; A-->B</pre>\n\n'
        '<div class="md-dialog md-dialog--active note">Sign in again</div>\n\n'
    )
    text = postmortem("AIPM-2025-001").replace("## Impact\n", body)
    site_repo.write("postmortems/2025/AIPM-2025-001-a.md", text)
    assert build(site_repo).returncode == 0
    page = (site_repo.path / "site/incidents/AIPM-2025-001/index.html").read_text()
    article = page[page.index("<article") : page.index("</article>")]
    assert "mermaid" not in article and "md-dialog" not in article
    assert '<div class="note">Sign in again</div>' in article


def test_raw_html_in_the_narrative_is_sanitised_and_quoted_payloads_stay_visible(
    site_repo: Repo,
) -> None:
    # lint would refuse this file (raw-html); the sanitiser is the guarantee anyway
    site_repo.write("pyproject.toml", RULES_OFF + 'raw-html = "off"\n')
    body = (
        "## Impact\n\n"
        "<img src=x onerror='alert(1)'> [a](javascript:alert(2)) <details ontoggle='alert(3)'>\n\n"
        "Quoted: `<img src=x onerror=alert(4)>`\n\n"
        "```\n<script>alert(5)</script>\n```\n\n"
    )
    site_repo.write(
        "postmortems/2025/AIPM-2025-001-a.md",
        postmortem("AIPM-2025-001").replace("## Impact\n", body),
    )
    assert build(site_repo).returncode == 0
    page = (site_repo.path / "site/incidents/AIPM-2025-001/index.html").read_text()
    article = page[page.index("<article") : page.index("</article>")]
    assert not re.search(r"<[^>]*\son\w+=", article), "an event handler survived"
    assert "javascript:alert(2)" not in article and "<script>alert(5)" not in article
    assert "<code>&lt;img src=x onerror=alert(4)&gt;</code>" in article
    assert "&lt;script&gt;alert(5)&lt;/script&gt;" in article


def _system_page(site_repo: Repo, pm_id: str, name: str) -> str:
    """The page the incident page's link to system `name` leads to."""
    incident = f"incidents/{pm_id}/"
    page = (site_repo.path / "site" / incident / "index.html").read_text()
    hrefs = re.findall(rf'<a href="([^"]+)">{re.escape(name)}</a>', page)
    assert len(hrefs) == 1, hrefs
    target = os.path.normpath(os.path.join(incident, hrefs[0]))
    return (site_repo.path / "site" / target / "index.html").read_text()


def test_a_system_named_index_does_not_replace_the_systems_index(site_repo: Repo) -> None:
    site_repo.write(
        "postmortems/2025/AIPM-2025-001-a.md",
        postmortem("AIPM-2025-001", systems="systems: [Index, support-assistant]"),
    )
    done = build(site_repo, "--strict")
    assert done.returncode == 0, done.stderr
    index = (site_repo.path / "site/systems/index.html").read_text()
    assert "<title>Systems - Incidents</title>" in index
    assert ">Index</a>" in index and ">support-assistant</a>" in index
    page = _system_page(site_repo, "AIPM-2025-001", "Index")
    assert "<title>System: Index - Incidents</title>" in page
    assert "incidents/AIPM-2025-001/" in page


def test_systems_whose_names_share_a_slug_each_have_their_own_page(site_repo: Repo) -> None:
    for pm_id, name in [("AIPM-2025-001", "Chat Bot"), ("AIPM-2025-002", "chat-bot")]:
        site_repo.write(
            f"postmortems/2025/{pm_id}-a.md", postmortem(pm_id, systems=f"systems: [{name}]")
        )
    done = build(site_repo, "--strict")
    assert done.returncode == 0, done.stderr
    pages = []
    for pm_id, other, name in [
        ("AIPM-2025-001", "AIPM-2025-002", "Chat Bot"),
        ("AIPM-2025-002", "AIPM-2025-001", "chat-bot"),
    ]:
        page = _system_page(site_repo, pm_id, name)
        assert f"<title>System: {name} - Incidents</title>" in page
        assert f"incidents/{pm_id}/" in page and f"incidents/{other}/" not in page
        pages.append(page)
    assert pages[0] != pages[1]
    index = (site_repo.path / "site/systems/index.html").read_text()
    assert ">Chat Bot</a>" in index and ">chat-bot</a>" in index
