"""The analysts' exports (csv, jsonl, sqlite) and the site's downloads.

A corpus of four postmortems: two public, one internal full of hostile text
(formula cells, quotes, line breaks, HTML, a huge narrative), one restricted
with a canary that must appear in no export of a narrower audience, and
whose id the public ones name in `related`, `not_similar` and their prose.
"""

from __future__ import annotations

import csv
import json
import os
import socket
import sqlite3
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections import Counter
from pathlib import Path
from typing import Any

import pytest
import yaml
from helpers import FINAL, FINAL_NAME, MKDOCS_YML, Repo, build, postmortem

TODAY = "2026-01-01"
RESTRICTED_CANARY = "zqxrestricted4417"  # one word: the full-text index keeps it whole
INTERNAL_CANARY = "zqxinternal5521"
HIDDEN_ID = "AIPM-2025-003"
SLUG_CANARY = "zqxslug7781"  # in the restricted file's name: a link to it must not show it
HIDDEN_FILE = f"{HIDDEN_ID}-{SLUG_CANARY}-pricing.md"
# The hidden id as it reads once rendered: lower case, hyphens escaped for
# Markdown, a non-breaking hyphen, an en dash, an HTML reference; and a link to its file.
HIDDEN_SPELLINGS = (
    "aipm-2025-003, AIPM\\-2025\\-003, AIPM\u20112025\u2011003, AIPM\u20132025\u2013003, "
    f"AIPM&#45;2025&#45;003 and [the other](https://wiki.example/{HIDDEN_FILE})"
)
NARRATIVE_WORD = "quetzalcoatlite"  # in a narrative section, not in the summary
HUGE = 300_000  # characters of one narrative: over csv's default field limit and Excel's cell
TABLE_NAMES = ("postmortems", "actions", "root_causes", "controls", "approvals", "references")

HOSTILE_TITLE = """'=HYPERLINK("https://evil.example","x") <b>bold</b> & "quoted"'"""


def body_line(text: str, section: str, line: str) -> str:
    return text.replace(f"## {section}\n", f"## {section}\n\n{line}\n", 1)


def front_matter_line(text: str, line: str) -> str:
    return text.replace("tags: [", f"{line}\ntags: [", 1)


@pytest.fixture
def out(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A folder for the exports, outside the repository (which is the test's tmp_path)."""
    return tmp_path_factory.mktemp("out")


@pytest.fixture
def corpus(repo: Repo, monkeypatch: pytest.MonkeyPatch) -> Repo:
    monkeypatch.delenv("POSTMORTEM_AUDIENCE", raising=False)
    first = postmortem("AIPM-2025-001", visibility="visibility: public")
    first = front_matter_line(first, f"related: [{HIDDEN_ID}, AIPM-2025-004]")
    first = front_matter_line(first, f"not_similar: [{HIDDEN_ID}]")
    first = body_line(first, "Root cause analysis", f"Compare {HIDDEN_ID}. A {NARRATIVE_WORD}.")
    first = body_line(first, "Impact", f"As in {HIDDEN_SPELLINGS}.")
    repo.write("postmortems/2025/AIPM-2025-001-refunds.md", first)

    hostile = postmortem(
        "AIPM-2025-002",
        title=f"title: {HOSTILE_TITLE}",
        reported_by="reported_by: '+SUM(1+1)'",
        systems='systems: [support-assistant, "a;b\\\\c system"]',
        tags='tags: ["=1+1", "@handle", "-minus"]',
    )
    hostile = hostile.replace("owner: Assistant platform team\n", "owner: '@owner team'\n", 1)
    hostile = hostile.replace(
        "description: Make the assistant",
        'description: "-2+3, \\"quoted\\", a; semicolon,\\r\\nand a new line: make the assistant',
        1,
    ).replace("retrieved policy page.\n", 'retrieved policy page."\n', 1)
    hostile = hostile.replace(
        "factor: The assistant answered", 'factor: "\\tA leading tab. The assistant answered', 1
    ).replace("signal of low confidence.\n", 'signal of low confidence."\n', 1)
    hostile = body_line(hostile, "Summary", "=cmd|' /C calc'!A0 opens a calculator.\n")
    hostile += f"\n## Appendix\n\n{INTERNAL_CANARY}\n\n" + ("huge " * (HUGE // 5)) + "\n"
    repo.write("postmortems/2025/AIPM-2025-002-hostile.md", hostile)

    restricted = postmortem(
        HIDDEN_ID,
        title=f"title: Restricted {RESTRICTED_CANARY} pricing model",
        visibility="visibility: restricted",
    )
    restricted = body_line(restricted, "Impact", f"{RESTRICTED_CANARY} in the body.")
    repo.write(f"postmortems/2025/{HIDDEN_FILE}", restricted)

    fourth = postmortem(
        "AIPM-2025-004", severity="severity: near-miss", visibility="visibility: public"
    )
    # four months later: the patterns AIPM-2025-001's actions fixed, back on its systems
    for month, later in [("05", "10"), ("04", "08"), ("03", "07"), ("02", "06")]:
        fourth = fourth.replace(f"2025-{month}-", f"2025-{later}-")
    repo.write("postmortems/2025/AIPM-2025-004-again.md", fourth)
    result = repo.run("lint", "--today", TODAY)
    assert result.exit_code == 0, result.out
    return repo


def export(repo: Repo, format_name: str, output: Path, *args: str) -> Any:
    return repo.run(
        "export", "--format", format_name, "--output", str(output), "--today", TODAY, *args
    )


def visible(repo: Repo, audience: str) -> list[dict[str, Any]]:
    """The front matter of each postmortem `audience` may read, read with PyYAML."""
    order = ("public", "internal", "restricted")
    found = []
    for path in sorted((repo.path / "postmortems").rglob("*.md")):
        data = yaml.load(path.read_text().split("---\n")[1], Loader=yaml.BaseLoader)
        if order.index(data.get("visibility", "internal")) <= order.index(audience):
            found.append(data)
    return found


def expected_counts(repo: Repo, audience: str) -> dict[str, int]:
    shown = visible(repo, audience)
    ids = {d["id"] for d in shown}
    references = 0
    for data in shown:
        references += sum(i in ids for key in ("related", "not_similar") for i in data.get(key, []))
        refs = data.get("references", {})
        references += sum(len(refs.get(key, [])) for key in ("atlas", "owasp_llm", "aiid", "links"))
    return {
        "postmortems": len(shown),
        "actions": sum(len(d.get("actions", [])) for d in shown),
        "root_causes": sum(len(d.get("root_causes", [])) for d in shown),
        "controls": sum(len(d.get("controls", [])) for d in shown),
        "approvals": sum(len(d.get("approvals", [])) for d in shown),
        "references": references,
    }


# --- sqlite -------------------------------------------------------------------------


def test_sqlite_round_trip(corpus: Repo, out: Path) -> None:
    database = out / "out" / "postmortems.db"
    result = export(corpus, "sqlite", database, "--audience", "internal")
    assert result.exit_code == 0, result.out + result.err
    assert "Wrote 2 file(s)" in result.out
    connection = sqlite3.connect(database)
    counts = {
        name: connection.execute(f'select count(*) from "{name}"').fetchone()[0]
        for name in TABLE_NAMES
    }
    assert counts == expected_counts(corpus, "internal")
    assert counts["postmortems"] == 3
    assert connection.execute("pragma foreign_key_check").fetchall() == []
    found = connection.execute(
        "select p.id from postmortems_fts f join postmortems p on p.rowid = f.rowid "
        "where postmortems_fts match ?",
        [NARRATIVE_WORD],
    ).fetchall()
    assert found == [("AIPM-2025-001",)]
    # Porter stemming: a summary word is found by another form of it
    summary = connection.execute(
        "select count(*) from postmortems_fts where postmortems_fts match 'rebuilding'"
    ).fetchone()[0]
    assert summary == 3
    # keys, JSON lists, booleans, normalised times
    row = connection.execute(
        "select systems, triage_direct_harm, triggered, users_affected, downtime_minutes "
        "from postmortems where id = 'AIPM-2025-001'"
    ).fetchone()
    assert row == (
        '["support-assistant", "policy-retrieval-index"]',
        1,
        "2025-02-03T08:00:00Z",
        412,
        0.0,
    )
    assert connection.execute(
        "select id, closed, open, overdue from actions where postmortem = 'AIPM-2025-001'"
    ).fetchall() == [("A1", "2025-02-25", 0, 0), ("A2", "2025-03-28", 0, 0)]
    references = connection.execute(
        "select kind, value, target from \"references\" where postmortem = 'AIPM-2025-001'"
    ).fetchall()
    assert ("related", "AIPM-2025-004", "AIPM-2025-004") in references
    assert ("aiid", "639", None) in references
    assert not [r for r in references if HIDDEN_ID in str(r)]
    assert connection.execute("pragma application_id").fetchone()[0] == 0x504D4B31
    # the taxonomy gives every slug its label
    label = connection.execute(
        "select t.label from root_causes r join taxonomy_patterns t on t.slug = r.pattern "
        "where r.postmortem = 'AIPM-2025-001' and r.number = 1"
    ).fetchone()[0]
    assert label and label != "model-design-evaluation"
    connection.close()


def test_the_documented_queries_answer(corpus: Repo, out: Path) -> None:
    from postmortem_kit.export.sqlite import QUERIES

    database = out / "postmortems.db"
    assert export(corpus, "sqlite", database, "--audience", "public").exit_code == 0
    connection = sqlite3.connect(database)
    by_system = connection.execute(QUERIES["patterns_by_system"]["sql"]).fetchall()
    assert len(by_system) == 6  # two systems, three patterns, each in both postmortems
    assert {(row[2], *sorted(row[3].split(","))) for row in by_system} == {
        (2, "AIPM-2025-001", "AIPM-2025-004")
    }
    assert {row[0] for row in by_system} == {"support-assistant", "policy-retrieval-index"}
    recurred = connection.execute(QUERIES["recurred_after_fix"]["sql"]).fetchall()
    assert recurred
    assert {(row[2], row[5]) for row in recurred} == {("AIPM-2025-001", "AIPM-2025-004")}
    search = connection.execute(DOCUMENTED_SEARCH).fetchall()
    assert sorted(row[0] for row in search) == ["AIPM-2025-001", "AIPM-2025-004"]


DOCS = Path(__file__).parent.parent / "docs" / "exports.md"
DOCUMENTED_SEARCH = """\
select p.id, p.title from postmortems_fts
  join postmortems p on p.rowid = postmortems_fts.rowid
where postmortems_fts match 'retrieval AND index' order by rank"""


def test_the_docs_show_the_tables_and_queries() -> None:
    from postmortem_kit.export.sqlite import QUERIES
    from postmortem_kit.export.tables import column_docs

    docs = DOCS.read_text(encoding="utf-8")
    assert column_docs() in docs, "run python -m postmortem_kit.export.tables into docs/exports.md"
    for query in QUERIES.values():
        assert query["sql"] in docs, f"docs/exports.md lacks the query {query['title']!r}"
    assert DOCUMENTED_SEARCH.replace("\n", "\n  ") in docs


def test_sqlite_metadata_is_plain_text_with_facets(corpus: Repo, out: Path) -> None:
    database = out / "postmortems.db"
    assert export(corpus, "sqlite", database).exit_code == 0
    metadata = json.loads((out / "postmortems.metadata.json").read_text())
    tables = metadata["databases"]["postmortems"]["tables"]
    assert tables["postmortems"]["facets"] == [
        "severity",
        "status",
        {"array": "incident_types"},
        {"array": "patterns"},
        {"array": "systems"},
        "quarter",
    ]
    assert tables["taxonomy_patterns"]["label_column"] == "label"

    def keys(value: Any) -> list[str]:
        if isinstance(value, dict):
            return [k for key, v in value.items() for k in [key, *keys(v)]]
        if isinstance(value, list):
            return [k for v in value for k in keys(v)]
        return []

    # Datasette prints `*_html` as HTML and links `*_url`: we give it neither
    assert not [k for k in keys(metadata) if k.endswith(("_html", "_url")) or "extra_" in k]
    assert "<" not in json.dumps(metadata).replace("<>", "")


@pytest.mark.slow
def test_datasette_serves_the_export(corpus: Repo, out: Path) -> None:
    database = out / "postmortems.db"
    assert export(corpus, "sqlite", database, "--audience", "restricted").exit_code == 0
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    server = subprocess.Popen(
        [
            *(sys.executable, "-m", "datasette", "serve", str(database)),
            *("--metadata", str(out / "postmortems.metadata.json")),
            *("--host", "127.0.0.1", "--port", str(port)),
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))  # localhost, always

    def get(path: str) -> Any:
        with opener.open(f"http://127.0.0.1:{port}{path}", timeout=10) as response:
            return json.load(response)

    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                get("/-/versions.json")
                break
            except (urllib.error.URLError, ConnectionError):
                assert server.poll() is None, server.stderr.read().decode() if server.stderr else ""
                assert time.monotonic() < deadline, "datasette did not start in 30 s"
                time.sleep(0.2)
        page = get("/postmortems/postmortems.json?_facet=severity")
        facet = page["facet_results"]["severity"]
        counted = {r["value"]: r["count"] for r in facet["results"]}
        assert counted == Counter(d["severity"] for d in visible(corpus, "restricted"))
        assert counted == {"high": 3, "near-miss": 1}
        # the metadata's facets apply without asking, lists faceted by item
        systems = page["facet_results"]["systems"]["results"]
        assert {r["value"]: r["count"] for r in systems}["support-assistant"] == 4
        # a slug comes with its label from the taxonomy
        causes = get("/postmortems/root_causes.json?_labels=on&_shape=array&number=1")
        assert all(c["pattern"]["label"] != c["pattern"]["value"] for c in causes)
        # full-text search and the canned queries
        found = get(f"/postmortems/postmortems.json?_search={NARRATIVE_WORD}&_shape=array")
        assert [r["id"] for r in found] == ["AIPM-2025-001"]
        assert get("/postmortems/patterns_by_system.json?_shape=array")
        # a title's HTML is shown as text
        url = f"http://127.0.0.1:{port}/postmortems/postmortems/AIPM-2025-002"
        with opener.open(url, timeout=10) as response:
            page_html = response.read().decode()
        assert "<b>bold</b>" not in page_html and "&lt;b&gt;bold&lt;/b&gt;" in page_html
    finally:
        server.terminate()
        try:
            server.wait(timeout=10)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait()


def test_sqlite_output_is_deterministic(corpus: Repo, out: Path) -> None:
    for name in ("a", "b"):
        assert export(corpus, "sqlite", out / name / "p.db").exit_code == 0
        assert export(corpus, "csv", out / name / "csv").exit_code == 0
        assert export(corpus, "jsonl", out / name / "p.jsonl").exit_code == 0
    for file in (out / "a").rglob("*"):
        if file.is_file():
            twin = out / "b" / file.relative_to(out / "a")
            assert file.read_bytes() == twin.read_bytes(), file.name


def test_forked_workers_read_and_lint_as_one_process_does(
    corpus: Repo, out: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from postmortem_kit.lint import runner

    assert export(corpus, "jsonl", out / "one.jsonl", "--audience", "restricted").exit_code == 0
    monkeypatch.setattr(runner, "PARALLEL_FROM", 1)  # workers even for four postmortems
    assert export(corpus, "jsonl", out / "forked.jsonl", "--audience", "restricted").exit_code == 0
    assert (out / "forked.jsonl").read_bytes() == (out / "one.jsonl").read_bytes()
    corpus.write(
        "postmortems/2025/AIPM-2025-009-bad.md",
        postmortem("AIPM-2025-009", status="status: nonsense"),
    )
    result = export(corpus, "jsonl", out / "forked.jsonl", "--audience", "restricted")
    assert "AIPM-2025-009-bad.md: left out" in result.err
    assert (out / "forked.jsonl").read_bytes() == (out / "one.jsonl").read_bytes()


# --- csv and jsonl ------------------------------------------------------------------


def read_table(folder: Path, name: str) -> list[dict[str, str]]:
    with (folder / f"{name}.csv").open(encoding="utf-8", newline="") as stream:
        return list(csv.DictReader(stream))


def test_csv_tables_join_and_neutralise_formulas(corpus: Repo, out: Path) -> None:
    from postmortem_kit.export.csv import split_list

    folder = out / "csv"
    result = export(corpus, "csv", folder, "--audience", "internal")
    assert result.exit_code == 0, result.out + result.err
    assert sorted(p.name for p in folder.iterdir()) == sorted(
        [".postmortem-export", *(f"{n}.csv" for n in TABLE_NAMES)]
    )
    old_limit = csv.field_size_limit(10_000_000)  # the huge narrative is one cell
    try:
        tables = {name: read_table(folder, name) for name in TABLE_NAMES}
    finally:
        csv.field_size_limit(old_limit)
    assert {n: len(rows) for n, rows in tables.items()} == expected_counts(corpus, "internal")
    ids = {row["id"] for row in tables["postmortems"]}
    for name in TABLE_NAMES[1:]:
        assert {row["postmortem"] for row in tables[name]} <= ids
    assert list(tables["postmortems"][0])[:4] == ["id", "title", "status", "severity"]

    hostile = next(r for r in tables["postmortems"] if r["id"] == "AIPM-2025-002")
    assert hostile["title"] == "'" + HOSTILE_TITLE[1:-1].replace("''", "'")
    assert hostile["reported_by"] == "'+SUM(1+1)"
    assert hostile["summary"].startswith("'=cmd|")
    assert hostile["tags"] == "'=1+1;'@handle;'-minus"  # each item neutralised
    assert split_list(hostile["systems"]) == ["support-assistant", "a;b\\c system"]
    assert len(hostile["narrative"]) > HUGE
    assert hostile["triage_direct_harm"] == "true"
    assert hostile["users_affected"] == "412" and hostile["downtime_minutes"] == "0"
    action = next(r for r in tables["actions"] if r["postmortem"] == "AIPM-2025-002")
    assert action["owner"] == "'@owner team"
    assert action["description"].startswith('\'-2+3, "quoted", a; semicolon,\r\nand a new')
    cause = next(r for r in tables["root_causes"] if r["postmortem"] == "AIPM-2025-002")
    assert cause["factor"].startswith("'\tA leading tab.")
    # no cell a spreadsheet would run
    for rows in tables.values():
        for row in rows:
            for value in row.values():
                assert not value.startswith(("=", "+", "-", "@", "\t", "\r")), value[:40]


def test_every_item_of_a_list_cell_is_neutralised() -> None:
    from postmortem_kit.export.csv import cell, split_list
    from postmortem_kit.export.tables import LIST

    items = ["ok", '=HYPERLINK("https://evil.example")', "a;=1+1", "\\;x", "@a\\b", "-1"]
    text = cell(items, LIST)
    assert text == ("ok;'=HYPERLINK(\"https://evil.example\");a\\;'=1+1;\\\\\\;x;'@a\\\\b;'-1")
    # a spreadsheet that splits the cell at every `;` finds no formula either
    triggers = ("=", "+", "-", "@", "\t", "\r")
    assert not [part for part in text.split(";") if part.startswith(triggers)]
    # and the cell splits back into its items, a neutralised one with its `'`
    assert split_list(text) == [
        "ok",
        '\'=HYPERLINK("https://evil.example")',
        "a;'=1+1",
        "\\;x",
        "'@a\\b",
        "'-1",
    ]
    assert split_list(cell(["plain", "a\\;b"], LIST)) == ["plain", "a\\;b"]


def test_jsonl_one_postmortem_per_line(corpus: Repo, out: Path) -> None:
    output = out / "postmortems.jsonl"
    assert export(corpus, "jsonl", output, "--audience", "public").exit_code == 0
    lines = output.read_text(encoding="utf-8").split("\n")
    assert lines[-1] == ""
    records = [json.loads(line) for line in lines[:-1]]
    assert [r["id"] for r in records] == ["AIPM-2025-001", "AIPM-2025-004"]
    assert list(records[0]) == ["id", "path", "history", "front_matter", "body"]
    assert records[0]["front_matter"]["related"] == ["AIPM-2025-004"]
    assert "not_similar" not in records[0]["front_matter"]  # it named only a hidden one
    assert "[not disclosed]" in records[0]["body"]  # the hidden id, named in the prose
    assert NARRATIVE_WORD in records[0]["body"]


def test_jsonl_escapes_line_separators(corpus: Repo, out: Path) -> None:
    text = (corpus.path / "postmortems/2025/AIPM-2025-004-again.md").read_text()
    corpus.write(
        "postmortems/2025/AIPM-2025-004-again.md",
        body_line(text, "Impact", "One\u2028two\u2029three\x85four <b>&"),
    )
    output = out / "p.jsonl"
    assert export(corpus, "jsonl", output, "--audience", "public").exit_code == 0
    raw = output.read_text(encoding="utf-8")
    assert len(raw.splitlines()) == 2
    assert "One\u2028two" in json.loads(raw.splitlines()[1])["body"]


# --- audiences ----------------------------------------------------------------------


def every_byte(path: Path) -> bytes:
    if path.is_file():
        return path.read_bytes()
    return b"".join(p.read_bytes() for p in sorted(path.rglob("*")) if p.is_file())


def database_text(path: Path) -> str:
    """Every value of every table of a SQLite database, as text."""
    connection = sqlite3.connect(path)
    names = [r[0] for r in connection.execute("select name from sqlite_master where type='table'")]
    values = [
        str(value)
        for name in names
        for row in connection.execute(f'select * from "{name}"')
        for value in row
    ]
    connection.close()
    return "\n".join(values)


def rendered(text: str) -> str:
    """`text` in lower case, with what renders as a hyphen made one (as in
    HIDDEN_SPELLINGS, JSON escapes included): an id spelled otherwise is found."""
    for spelling in ("\\\\-", "\\-", "\\u2011", "\\u2013", "&#45;", "\u2011", "\u2013"):
        text = text.replace(spelling, "-")
    return text.lower()


@pytest.mark.parametrize("audience", ["public", "internal"])
def test_restricted_canary_in_no_export(corpus: Repo, out: Path, audience: str) -> None:
    outputs = {
        "csv": out / "csv",
        "jsonl": out / "p.jsonl",
        "sqlite": out / "p.db",
    }
    for format_name, output in outputs.items():
        assert export(corpus, format_name, output, "--audience", audience).exit_code == 0
    written = every_byte(out)
    assert written  # and every file of it is searched
    searched = rendered(written.decode("utf-8", "replace") + database_text(outputs["sqlite"]))
    for secret in (RESTRICTED_CANARY, HIDDEN_ID, SLUG_CANARY):
        assert secret.lower() not in searched, secret
    assert searched.count("[not disclosed]") >= 6  # in the postmortems table, at least
    # what the audience may read is there: the scan would have found it
    assert (INTERNAL_CANARY.encode() in written) == (audience == "internal")
    assert b"AIPM-2025-004" in written


def test_an_audience_that_sees_nothing_gets_empty_tables(repo: Repo, out: Path) -> None:
    repo.write(
        "postmortems/2025/AIPM-2025-001-x.md",
        postmortem("AIPM-2025-001", visibility="visibility: restricted"),
    )
    for format_name, output in [("csv", out / "csv"), ("jsonl", out / "p.jsonl")]:
        assert export(repo, format_name, output, "--audience", "public").exit_code == 0
    assert export(repo, "sqlite", out / "p.db", "--audience", "public").exit_code == 0
    assert (out / "p.jsonl").read_text() == ""
    assert (out / "csv" / "actions.csv").read_text().startswith('"postmortem","number","id"')
    connection = sqlite3.connect(out / "p.db")
    assert connection.execute("select count(*) from postmortems").fetchone() == (0,)
    connection.close()
    # an empty file is nobody's work: a later export may write it
    assert export(repo, "jsonl", out / "p.jsonl", "--audience", "restricted").exit_code == 0
    assert (out / "p.jsonl").read_text().count("\n") == 1


def test_default_audience_is_the_configured_one(corpus: Repo, out: Path) -> None:
    assert export(corpus, "jsonl", out / "default.jsonl").exit_code == 0
    ids = [json.loads(line)["id"] for line in (out / "default.jsonl").open()]
    assert ids == ["AIPM-2025-001", "AIPM-2025-002", "AIPM-2025-004"]  # internal


def test_today_judges_every_dated_rule(corpus: Repo, out: Path) -> None:
    """`--today` is the day lint runs as of, not only `overdue`'s (docs/exports.md):
    as of a day before AIPM-2025-004 happened, its dates fail `date-range`."""
    output = out / "early.jsonl"
    result = corpus.run(
        *("export", "--format", "jsonl", "--audience", "public"),
        *("--output", str(output), "--today", "2025-05-31"),
    )
    assert result.exit_code == 0, result.err
    assert [json.loads(line)["id"] for line in output.open()] == ["AIPM-2025-001"]
    assert "AIPM-2025-004-again.md: left out" in result.err


# --- output paths -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("format_name", "prepare", "message"),
    [
        ("csv", lambda p: p.write_text("mine"), "is not a folder"),
        ("csv", lambda p: (p.mkdir(), (p / "notes.txt").write_text("mine")), "is not empty"),
        ("sqlite", lambda p: p.mkdir(), "is a folder"),
        ("sqlite", lambda p: p.write_text("my notes"), "no earlier export wrote it"),
        ("jsonl", lambda p: p.write_text('{"mine": 1}\n'), "no earlier export wrote it"),
        ("jsonl", lambda p: p.symlink_to(p.parent / "elsewhere"), "symbolic link"),
        ("csv", lambda p: p.symlink_to(p.parent), "symbolic link"),
        ("sqlite", lambda p: p.parent.joinpath("file").write_text("x"), "is not a folder"),
    ],
)
def test_nothing_of_the_users_is_overwritten(
    corpus: Repo, out: Path, format_name: str, prepare: Any, message: str
) -> None:
    output = out / "out"
    prepare(output)
    if message == "is not a folder" and format_name == "sqlite":
        output = out / "file" / "p.db"  # a file where a folder is needed
    before = every_byte(out)
    result = export(corpus, format_name, output)
    assert result.exit_code == 2
    assert message in result.err and "Traceback" not in result.err
    assert every_byte(out) == before


@pytest.mark.parametrize(
    ("format_name", "output", "audience"),
    [
        ("csv", "postmortems/exports", "restricted"),
        ("csv", "postmortems", "restricted"),
        ("jsonl", "postmortems/2025/p.jsonl", "internal"),
        ("sqlite", "postmortems/p.db", "internal"),
        ("avid", "postmortems/avid", "public"),
        ("csv", "{out}/link/exports", "restricted"),  # through a link to the folder
    ],
)
def test_an_export_inside_the_postmortems_folder_is_refused(
    corpus: Repo,
    out: Path,
    monkeypatch: pytest.MonkeyPatch,
    format_name: str,
    output: str,
    audience: str,
) -> None:
    """A postmortem may link to what the postmortems folder holds, and the site
    publishes what it links to: an export there would be published."""
    from postmortem_kit.site import content

    def unread(*args: object, **kwargs: object) -> None:
        raise AssertionError("the postmortems were read")

    monkeypatch.setattr(content, "load_published", unread)
    (out / "link").symlink_to(corpus.path / "postmortems", target_is_directory=True)
    before = sorted(p.relative_to(corpus.path) for p in corpus.path.rglob("*"))
    result = export(corpus, format_name, Path(output.format(out=out)), "--audience", audience)
    assert result.exit_code == 2 and "Traceback" not in result.err
    assert "is inside the postmortems folder" in result.err
    assert "Write the export outside that folder" in result.err
    assert sorted(p.relative_to(corpus.path) for p in corpus.path.rglob("*")) == before


def test_the_csv_marker_lists_the_files_of_the_export(corpus: Repo, out: Path) -> None:
    folder = out / "csv"
    assert export(corpus, "csv", folder).exit_code == 0
    marker = (folder / ".postmortem-export").read_text(encoding="utf-8")
    assert marker.split("\n") == ["csv", *sorted(f"{n}.csv" for n in TABLE_NAMES), ""]
    # an earlier version's marker names no file: its folder's files are not ours
    (folder / ".postmortem-export").write_text("csv\n", encoding="utf-8")
    before = every_byte(folder)
    result = export(corpus, "csv", folder)
    assert result.exit_code == 2 and "holds actions.csv" in result.err
    assert every_byte(folder) == before
    for table in TABLE_NAMES:
        (folder / f"{table}.csv").unlink()
    assert export(corpus, "csv", folder).exit_code == 0  # the marker alone: ours again
    assert (folder / ".postmortem-export").read_text(encoding="utf-8") == marker


def test_a_later_export_replaces_an_earlier_one(corpus: Repo, out: Path) -> None:
    for format_name, output in [
        ("csv", out / "csv"),
        ("jsonl", out / "p.jsonl"),
        ("sqlite", out / "p.db"),
    ]:
        assert export(corpus, format_name, output, "--audience", "internal").exit_code == 0
        result = export(corpus, format_name, output, "--audience", "public")
        assert result.exit_code == 0, result.err
        assert INTERNAL_CANARY.encode() not in every_byte(output)
    # the metadata of a database of ours is ours; someone else's is not replaced
    (out / "other.metadata.json").write_text('{"title": "mine"}')
    result = export(corpus, "sqlite", out / "other.db")
    assert result.exit_code == 2 and "other.metadata.json exists" in result.err
    assert not (out / "other.db").exists()
    # a csv folder someone added a file to is no longer only ours
    (out / "csv" / "notes.txt").write_text("mine")
    result = export(corpus, "csv", out / "csv")
    assert result.exit_code == 2 and "holds notes.txt" in result.err


def test_a_failed_export_leaves_the_earlier_one(
    corpus: Repo, out: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from postmortem_kit.export import sqlite as sqlite_format

    database = out / "p.db"
    assert export(corpus, "sqlite", database).exit_code == 0
    before = database.read_bytes()

    def broken(*args: object) -> None:
        raise sqlite3.OperationalError("database or disk is full")

    monkeypatch.setattr(sqlite_format, "_add_table", broken)
    result = export(corpus, "sqlite", database)
    assert result.exit_code == 2 and "disk is full" in result.err
    assert database.read_bytes() == before
    assert sorted(p.name for p in out.iterdir()) == ["p.db", "p.metadata.json"]


@pytest.mark.skipif(os.geteuid() == 0, reason="root may write anywhere")
def test_an_unwritable_folder_is_a_message(corpus: Repo, out: Path) -> None:
    folder = out / "locked"
    folder.mkdir()
    folder.chmod(0o500)
    try:
        result = export(corpus, "jsonl", folder / "p.jsonl")
    finally:
        folder.chmod(0o700)
    assert result.exit_code == 2 and "cannot write" in result.err


@pytest.mark.skipif(not Path("/proc/self").is_dir(), reason="no /proc")
def test_a_folder_that_cannot_be_made_is_a_message(corpus: Repo) -> None:
    result = export(corpus, "csv", Path("/proc/self/no-such-folder/csv"))
    assert result.exit_code == 2 and "cannot write" in result.err
    assert "Traceback" not in result.err


def test_csv_module_is_the_standard_librarys() -> None:
    from postmortem_kit.export import csv as csv_format

    assert csv_format.csv is csv
    assert Path(csv.__file__).parent != Path(csv_format.__file__).parent


# --- the site's downloads -----------------------------------------------------------


@pytest.mark.slow
def test_site_publishes_downloads_for_its_audience(corpus: Repo) -> None:
    corpus.write(
        "mkdocs.yml",
        MKDOCS_YML.replace(
            "  - postmortems\n", "  - postmortems:\n      downloads: [csv, sqlite]\n"
        ),
    )
    (corpus.path / "docs").mkdir()
    done = build(corpus, audience="public")
    assert done.returncode == 0, done.stderr
    site = corpus.path / "site"
    rows = list(csv.DictReader((site / "incidents.csv").open(encoding="utf-8", newline="")))
    assert [r["id"] for r in rows] == ["AIPM-2025-001", "AIPM-2025-004"]
    connection = sqlite3.connect(site / "incidents.db")
    assert connection.execute("select count(*) from postmortems").fetchone()[0] == 2
    assert connection.execute("pragma foreign_key_check").fetchall() == []
    connection.close()
    for name in ("incidents.csv", "incidents.db", "incidents.json"):
        data = (site / name).read_bytes().lower()
        assert RESTRICTED_CANARY.encode() not in data
        assert HIDDEN_ID.lower().encode() not in data
        assert INTERNAL_CANARY.encode() not in data


def test_downloads_are_off_unless_asked(corpus: Repo) -> None:
    from postmortem_kit.export.downloads import DOWNLOADS
    from postmortem_kit.site.mkdocs.plugin import PostmortemsConfig

    config = PostmortemsConfig()
    config.load_dict({})
    errors, _ = config.validate()
    assert not errors and config.downloads == []
    config = PostmortemsConfig()
    config.load_dict({"downloads": ["xlsx"]})
    errors, _ = config.validate()
    assert errors
    assert set(DOWNLOADS) == {"csv", "sqlite"}


def test_pages_writes_the_downloads_the_plugin_would(repo: Repo) -> None:
    repo.write(FINAL_NAME, FINAL)
    run = repo.run("pages", "--out", "out", "--download", "csv", "--download", "sqlite")
    assert run.exit_code == 0, run.err
    header = (repo.path / "out" / "incidents.csv").read_text(encoding="utf-8").split("\n")[0]
    assert "AIPM-2025-001" in (repo.path / "out" / "incidents.csv").read_text(encoding="utf-8")
    assert header.startswith('"id"')
    assert (repo.path / "out" / "incidents.db").read_bytes().startswith(b"SQLite format 3")
    assert not (repo.path / "out2").exists()
    assert repo.run("pages", "--out", "out2").exit_code == 0
    assert not (repo.path / "out2" / "incidents.csv").exists()
