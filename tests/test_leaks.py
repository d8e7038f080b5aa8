"""A build for an audience publishes nothing that audience may not read.

A corpus of public, internal and restricted postmortems, their attachments and
every way a public postmortem's text could reach a hidden one (a trailing
slash, `.md/.`, an HTML link, a committed link named like an image, a shared
screenshot, paths out of the folder, HTML attachments), plus files that are
not files. Each build is scanned, every file of it (pages, search index,
sitemap, incidents.json, attachments; gzip opened), for canary strings that
only hidden content holds.
"""

from __future__ import annotations

import gzip
import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
from helpers import MKDOCS_YML, Repo, postmortem
from postmortem_kit.format.collection import find_postmortem_files

HIDDEN_FROM_PUBLIC = [
    "CANARY-INTERNAL-BODY",
    "CANARY-INTERNAL-LOG",
]
HIDDEN_FROM_INTERNAL = [
    "CANARY-RESTRICTED-TITLE",
    "CANARY-RESTRICTED-BODY",
    "CANARY-SHARED-SCREENSHOT",  # a public postmortem links to it too
    "CANARY-SECRET-SCREENSHOT",
    "CANARY-SHARED-IN-LIST",
    "CANARY-SHARED-IN-QUOTE",
    "CANARY-SHARED-UNQUOTED",
    "CANARY-SHARED-ORIGINAL",  # published under another name, through a hard link
    "CANARY-SHARED-ENCODED",
    "CANARY-SHARED-WITH SPACE",
    "CANARY-SHARED-ESCAPED",
    "CANARY-SHARED-DOTTED",
    "CANARY-SHARED-UNREAD",  # next to a postmortem lint cannot read
    "CANARY-LEFT-OUT",  # a postmortem lint rejects
]
NEVER_PUBLISHED = ["CANARY-OUTSIDE-FOLDER", "CANARY-HTML-ATTACHMENT", "CANARY-OUTSIDE-REPO"]

# Screenshots a restricted postmortem links to in forms a simple scan misses,
# which a public postmortem links to as well.
SHARED = ["in-list", "in-quote", "unquoted", "original", "encoded", "with space", "escaped"]
SHARED += ["dotted"]
TRICKS = (
    """
Links a hostile or careless author could write:
[trailing slash](AIPM-2025-007-pricing.md/),
[dot](AIPM-2025-007-pricing.md/.),
[encoded](AIPM-2025-007-pricing%2Emd/),
<a href="AIPM-2025-007-pricing.md">html link</a>,
![named like an image](img/chart.png),
![shared](img/shared.png),
[log](logs/internal.log),
[outside](../../secrets.txt),
[outside by link](img/escape.png),
[page](report.html),
[long]("""
    + "x" * 300
    + """.png).
"""
)


def body_line(text: str, line: str) -> str:
    return text.replace("## Impact\n", f"## Impact\n\n{line}\n", 1)


@pytest.fixture
def corpus(repo: Repo, tmp_path_factory: pytest.TempPathFactory) -> Repo:
    repo.write("mkdocs.yml", MKDOCS_YML)
    (repo.path / "docs").mkdir()
    folder = repo.path / "postmortems/2025"
    public = postmortem("AIPM-2025-001", visibility="visibility: public").replace(
        "tags: [", "related: [AIPM-2025-002, AIPM-2025-007]\ntags: ["
    )
    # a path out of the repository that a link leads back into: published, it
    # would be written outside the site's folder
    elsewhere = tmp_path_factory.mktemp("elsewhere")
    os.symlink(folder / "img/plain.png", elsewhere / "into.png")
    way_out = os.path.relpath(elsewhere / "into.png", folder)
    tricks = (
        TRICKS
        + f"[out and back in]({way_out})\n"
        + "".join(
            f"![{name}](<img/{name}.png>)\n"
            for name in [*SHARED, "hard-link"]
            if name != "original"
        )
        + "![old](../2024/img/old.png)\n"
    )
    repo.write("postmortems/2025/AIPM-2025-001-refunds.md", body_line(public, tricks))
    repo.write("postmortems/2025/img/plain.png", "a plain screenshot")
    internal = postmortem("AIPM-2025-002", visibility="visibility: internal")
    internal = body_line(internal, "CANARY-INTERNAL-BODY [log](logs/internal.log)")
    repo.write("postmortems/2025/AIPM-2025-002-internal.md", internal)
    restricted = postmortem(
        "AIPM-2025-007",
        title="title: CANARY-RESTRICTED-TITLE pricing model",
        visibility="visibility: restricted",
    )
    restricted = body_line(
        restricted,
        "CANARY-RESTRICTED-BODY ![a](img/shared.png) ![b](img/secret.png)\n\n"
        # links in forms a simple scan misses: each file a public postmortem links too
        "- item ![x][r]\n\n    [r]: img/in-list.png\n\n"
        "> ![y][s]\n>\n> [s]: img/in-quote.png\n\n"
        "<img src=img/unquoted.png>\n\n![d](img/original.png)\n\n"
        "![e](img/encoded%2Epng) ![f](<img/with space.png>) ![g](img/escaped\\.png) "
        "![h](nowhere/../img/dotted.png)\n",
    )
    repo.write("postmortems/2025/AIPM-2025-007-pricing.md", restricted)
    rejected = postmortem("AIPM-2025-008", title="title: CANARY-LEFT-OUT and no severity")
    repo.write("postmortems/2025/AIPM-2025-008-rejected.md", rejected.replace("severity:", "x:"))

    repo.write("postmortems/2025/img/shared.png", "CANARY-SHARED-SCREENSHOT")
    repo.write("postmortems/2025/img/secret.png", "CANARY-SECRET-SCREENSHOT")
    for name in SHARED:
        repo.write(f"postmortems/2025/img/{name}.png", f"CANARY-SHARED-{name.upper()}")
    # a postmortem lint cannot read (not UTF-8) may link to anything next to it
    repo.write("postmortems/2024/AIPM-2024-001-latin.md", "---\nid: \xe9\n---\n".encode("latin-1"))
    repo.write("postmortems/2024/img/old.png", "CANARY-SHARED-UNREAD")
    os.link(folder / "img/original.png", folder / "img/hard-link.png")
    repo.write("postmortems/2025/logs/internal.log", "CANARY-INTERNAL-LOG")
    repo.write("postmortems/2025/report.html", "<script>CANARY-HTML-ATTACHMENT</script>")
    repo.write("secrets.txt", "CANARY-OUTSIDE-FOLDER")
    os.symlink("../AIPM-2025-007-pricing.md", folder / "img/chart.png")
    os.symlink("../../../secrets.txt", folder / "img/escape.png")

    # files that are not files: a device, a pipe, a link out of the repository
    outside = elsewhere / "AIPM-2025-011-out.md"
    outside.write_text(postmortem("AIPM-2025-011", title="title: CANARY-OUTSIDE-REPO outside"))
    os.symlink(outside, folder / "AIPM-2025-011-out.md")
    os.symlink("/dev/zero", folder / "AIPM-2025-012-zero.md")
    os.mkfifo(folder / "AIPM-2025-013-pipe.md")
    return repo


def build(repo: Repo, audience: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "NO_MKDOCS_2_WARNING": "1", "POSTMORTEM_AUDIENCE": audience}
    return subprocess.run(
        [sys.executable, "-m", "mkdocs", "build"],
        cwd=repo.path,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )


def published_text(site: Path) -> str:
    """Every file of the build as text, compressed ones opened."""
    texts = []
    for path in site.rglob("*"):
        if path.is_file():
            data = path.read_bytes()
            texts.append(
                (gzip.decompress(data) if path.suffix == ".gz" else data).decode(errors="replace")
            )
    return "\n".join(texts)


@pytest.mark.parametrize(
    ("audience", "hidden", "shown"),
    [
        ("public", HIDDEN_FROM_PUBLIC + HIDDEN_FROM_INTERNAL + NEVER_PUBLISHED, []),
        ("internal", HIDDEN_FROM_INTERNAL + NEVER_PUBLISHED, HIDDEN_FROM_PUBLIC),
        (
            "restricted",
            ["CANARY-LEFT-OUT", "CANARY-SHARED-UNREAD", *NEVER_PUBLISHED],
            [
                c
                for c in HIDDEN_FROM_INTERNAL
                if c not in ("CANARY-LEFT-OUT", "CANARY-SHARED-UNREAD")
            ],
        ),
    ],
)
def test_a_build_publishes_nothing_hidden_from_its_audience(
    corpus: Repo, audience: str, hidden: list[str], shown: list[str]
) -> None:
    done = build(corpus, audience)
    assert done.returncode == 0, done.stderr
    everything = published_text(corpus.path / "site")
    leaked = [canary for canary in hidden if canary in everything]
    assert not leaked, f"the {audience} build published {leaked}"
    missing = [canary for canary in shown if canary not in everything]
    assert not missing, f"the {audience} build lost {missing}"
    assert not list((corpus.path / "site").rglob("*.md")), "a Markdown source was published"

    # incidents.json names only postmortems the audience sees, in `related` too
    records = json.loads((corpus.path / "site/incidents.json").read_text())["incidents"]
    ids = {record["id"] for record in records}
    for record in records:
        assert set(record["front_matter"].get("related", [])) <= ids


def test_every_link_that_is_not_published_is_reported(corpus: Repo) -> None:
    done = build(corpus, "public")
    page = "postmortems/2025/AIPM-2025-001-refunds.md: the link to "
    for target, why in [
        ("AIPM-2025-007-pricing.md/", "it is a Markdown file"),
        ("AIPM-2025-007-pricing.md/.", "it is a Markdown file"),
        ("AIPM-2025-007-pricing.md", "it is a Markdown file"),  # the HTML link
        ("img/chart.png", "it is a Markdown file"),
        ("img/shared.png", "a postmortem left out of this build links to it too"),
        ("logs/internal.log", "a postmortem left out of this build links to it too"),
        ("../../secrets.txt", "it is outside the postmortems folder"),
        ("img/escape.png", "it is outside the postmortems folder"),
        ("report.html", "the site publishes only these kinds of file"),
        ("../../../elsewhere", "it is outside the postmortems folder"),
        ("img/hard-link.png", "a postmortem left out of this build links to it too"),
        ("img/in-list.png", "a postmortem left out of this build links to it too"),
    ]:
        assert re.search(f"{re.escape(page + target)}\\S* is not published: {why}", done.stderr), (
            target
        )
    # a strict build fails on them
    strict = subprocess.run(
        [sys.executable, "-m", "mkdocs", "build", "--strict"],
        cwd=corpus.path,
        env={**os.environ, "NO_MKDOCS_2_WARNING": "1", "POSTMORTEM_AUDIENCE": "public"},
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert strict.returncode == 1


def test_files_that_are_not_files_are_reported_not_read(corpus: Repo) -> None:
    run = corpus.run("lint")
    for name in ["AIPM-2025-011-out.md", "AIPM-2025-012-zero.md", "AIPM-2025-013-pipe.md"]:
        assert f"postmortems/2025/{name}:1:1: error unsafe-file " in run.out, name
    assert "CANARY" not in run.out
    done = build(corpus, "restricted")
    for name in ["AIPM-2025-011-out.md", "AIPM-2025-012-zero.md", "AIPM-2025-013-pipe.md"]:
        assert f"postmortems/2025/{name}: left out" in done.stderr


def test_navigation_lists_only_generated_and_own_pages(corpus: Repo) -> None:
    corpus.write("docs/about.md", "# About\n")
    assert build(corpus, "restricted").returncode == 0
    nav = (corpus.path / "site/types/index.html").read_text()
    assert "about/" in nav
    assert "postmortems/" not in nav.split('class="md-content"')[0]


def test_a_link_to_a_folder_is_not_followed(repo: Repo, tmp_path_factory) -> None:
    """Lint lists the folder itself: a linked folder's postmortems are not the
    repository's, and listing them would lint (and build) what is outside it."""
    outside = tmp_path_factory.mktemp("outside")
    secret = postmortem("AIPM-2025-009", title="title: CANARY-OUTSIDE pricing model")
    (outside / "AIPM-2025-009-outside.md").write_text(secret)
    repo.write("postmortems/2025/AIPM-2025-001-refunds.md", postmortem("AIPM-2025-001"))
    repo.write("postmortems/2025/a-b/AIPM-2025-002-b.md", postmortem("AIPM-2025-002"))
    repo.write("postmortems/2025/a/AIPM-2025-003-a.md", postmortem("AIPM-2025-003"))
    os.symlink(outside, repo.path / "postmortems/2025/linked.md")
    run = repo.run("lint", "--strict", "--format", "json")
    assert run.exit_code == 0, run.out
    assert json.loads(run.out)["files_checked"] == 3
    files = find_postmortem_files(repo.path / "postmortems")
    assert files == sorted(files)  # the order Paths sort in: a/ before a-b/
    assert [f.parent.name for f in files] == ["2025", "a", "a-b"]
