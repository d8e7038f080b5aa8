"""What the site teaches: similar postmortems, recurrence, whether fixes worked, trends.

Built for real with `mkdocs build` in temp repositories. The recurrence test
follows one fix from its postmortem to the day its root cause came back; the
audience test builds a public site with and without a restricted postmortem
that shares systems and root causes with the public ones, and finds the
pages the same.
"""

from __future__ import annotations

import datetime as dt
import multiprocessing as mp
import os
import re
import signal
from pathlib import Path

import pytest
from helpers import MKDOCS_YML, Repo, build, html, postmortem
from postmortem_kit.format.collection import Collection, find_postmortem_files, load_collection
from postmortem_kit.format.read import Postmortem, parse_postmortem
from postmortem_kit.format.taxonomy import load_taxonomy
from postmortem_kit.similarity import rank
from postmortem_kit.site import similar as similar_module
from postmortem_kit.site.aggregate import Action, Aggregate, median
from postmortem_kit.site.recurrence import (
    AFTER,
    BEFORE,
    BY_SYSTEM,
    NOT_BACK,
    UNDATED,
    WAS_OPEN,
    Recurrence,
    outcome,
)
from postmortem_kit.site.similar import Similar, can_fork
from postmortem_kit.site.trends import timeliness

TAG = re.compile(r"<[^>]+>")


def text_of(page_html: str) -> str:
    """A page's words, tags taken out and spaces joined: what a reader sees."""
    return " ".join(TAG.sub(" ", page_html).split())


def a_year_later(text: str) -> str:
    """The postmortem with every date a year later (2025 -> 2026)."""
    return text.replace("2025-", "2026-")


def with_closed(text: str, action: str, closed: str | None) -> str:
    """The postmortem with action `action` closed on `closed` (None: no date)."""
    start = text.index(f"  - id: {action}\n")
    end = text.find("  - id: ", start + 1)
    end = text.index("controls:", start) if end < 0 else end
    lines = [line for line in text[start:end].split("\n") if not line.startswith("    closed:")]
    if closed:
        at = next(n for n, line in enumerate(lines) if line.startswith("    status:")) + 1
        lines.insert(at, f"    closed: {closed}")
    return text[:start] + "\n".join(lines) + text[end:]


@pytest.fixture
def site(repo: Repo) -> Repo:
    repo.write("mkdocs.yml", MKDOCS_YML)
    (repo.path / "docs").mkdir()
    return repo


# --- recurrence: a fix done, and the pattern back on the same system ---------------


def test_a_fix_done_before_its_pattern_came_back_shows_on_recurrence_and_controls(
    site: Repo,
) -> None:
    # AIPM-2025-001 (identified 2025-02-11): A2 fixes the index pipeline
    # (operational-deployment-gaps) on support-assistant, done on 2025-03-20;
    # its control gates every index rebuild. A year later the same pattern is
    # a root cause on the same system again.
    first = postmortem("AIPM-2025-001", visibility="visibility: public")
    first = with_closed(with_closed(first, "A2", "2025-03-20"), "A1", None)
    site.write("postmortems/2025/AIPM-2025-001-first.md", first)
    again = a_year_later(postmortem("AIPM-2026-001", visibility="visibility: public"))
    site.write("postmortems/2026/AIPM-2026-001-again.md", again)
    done = build(site, audience="public")
    assert done.returncode == 0, done.stderr

    recurrence = text_of(html(site, "recurrence"))
    assert "support-assistant: Operational and deployment gaps" in recurrence
    assert "A2, done 2025-03-20, addressed this pattern; it came back on 2026-02-11" in recurrence
    # A1 has no closing date: whether it was done in time is not known, and said so
    assert "A1, done, closing date not recorded; the pattern came back on 2026-02-11" in recurrence
    assert 'href="../incidents/AIPM-2026-001/"' in html(site, "recurrence")

    controls_html = html(site, "controls")
    controls = text_of(controls_html)
    assert "recurred despite the control: AIPM-2026-001 (2026-02-11)" in controls
    assert "A2, done 2025-03-20, addressed this pattern; it came back on 2026-02-11" in controls
    assert 'href="../incidents/AIPM-2026-001/"' in controls_html
    # the later postmortem's own controls have not been tested by a recurrence yet
    assert controls.count("no recurrence on its systems since") == 2


def test_a_fix_done_after_the_pattern_came_back_says_so(site: Repo) -> None:
    first = postmortem("AIPM-2025-001", visibility="visibility: public")
    site.write("postmortems/2025/AIPM-2025-001-first.md", with_closed(first, "A2", "2026-03-01"))
    again = a_year_later(postmortem("AIPM-2026-001", visibility="visibility: public"))
    site.write("postmortems/2026/AIPM-2026-001-again.md", again)
    assert build(site, audience="public").returncode == 0
    recurrence = text_of(html(site, "recurrence"))
    assert "A2, done 2026-03-01, after the pattern came back on 2026-02-11" in recurrence
    assert "A2, done 2026-03-01, addressed" not in recurrence


def action(status: str, closed: dt.date | None) -> Action:
    return Action(None, "A1", "", "", "high", dt.date(2026, 3, 31), status, [], "", closed)


def test_outcome_of_an_action_on_the_day_its_pattern_came_back() -> None:
    back = dt.date(2026, 6, 11)
    assert outcome(action("done", dt.date(2026, 3, 31)), back) == BEFORE
    assert outcome(action("done", back), back) == AFTER  # the same day is not before
    assert outcome(action("done", None), back) == UNDATED
    assert outcome(action("done", dt.date(2026, 3, 31)), None) == NOT_BACK
    assert outcome(action("in-progress", None), back) == WAS_OPEN


def aggregate_of(*texts: str, audience: str = "public") -> Aggregate:
    """The site's view of the postmortems, without building a site."""
    postmortems = [parse_postmortem(t.encode(), f"postmortems/{n}.md") for n, t in enumerate(texts)]
    return Aggregate.of(Collection(postmortems), load_taxonomy(), audience, dt.date(2027, 1, 1))


def public(pm_id: str, **changes: str) -> str:
    return postmortem(pm_id, visibility="visibility: public", **changes)


def test_two_spellings_of_a_system_are_one_system_in_recurrence_and_controls() -> None:
    first = public("AIPM-2025-001", systems="systems: [Chat API]")
    again = a_year_later(public("AIPM-2026-001", systems="systems: [chat-api]"))
    recurrence = Recurrence(aggregate_of(first, again))
    by_system = [g for g in recurrence.groups() if g.kind == BY_SYSTEM]
    assert {(g.name, g.size) for g in by_system} == {("Chat API", 2)}  # the oldest spelling
    later = {r.control.incident.id: [i.id for i in r.later] for r in recurrence.controls()}
    assert later["AIPM-2025-001"] == ["AIPM-2026-001"]


def test_a_control_counts_only_from_its_remediated_time() -> None:
    # AIPM-2025-001: identified 2025-02-11, remediated 2025-02-14T17:00Z
    first = public("AIPM-2025-001")
    too_soon = public("AIPM-2025-002", identified="identified: 2025-02-13")
    same_day = public("AIPM-2025-003", identified="identified: 2025-02-14")
    after = public("AIPM-2025-004", identified="identified: 2025-02-15")
    records = Recurrence(aggregate_of(first, too_soon, same_day, after)).controls()
    of_first = [r for r in records if r.control.incident.id == "AIPM-2025-001"]
    assert of_first and all(r.since == dt.date(2025, 2, 14) for r in of_first)
    assert all([i.id for i in r.later] == ["AIPM-2025-004"] for r in of_first)
    # without a remediated time, from its identified date
    unremediated = public("AIPM-2025-001").replace("  remediated: 2025-02-14T17:00:00Z\n", "")
    records = Recurrence(aggregate_of(unremediated, too_soon)).controls()
    of_first = [r for r in records if r.control.incident.id == "AIPM-2025-001"]
    assert all([i.id for i in r.later] == ["AIPM-2025-002"] for r in of_first)


def test_median_is_the_mean_of_the_middle_two() -> None:
    hours = [dt.timedelta(hours=h) for h in (1, 2, 4, 8)]
    assert median([*hours, None]) == dt.timedelta(hours=3)
    assert median(hours[:3]) == dt.timedelta(hours=2)
    assert median([None]) is None


def test_an_action_without_a_due_date_is_not_judged_against_one() -> None:
    today = dt.date(2027, 1, 1)
    no_due = Action(None, "A1", "", "", "high", None, "done", [], "", dt.date(2026, 3, 1))
    assert timeliness(no_due, today) == "no_due"
    assert timeliness(no_due._replace(status="planned", closed=None), today) == "no_due"
    assert timeliness(no_due._replace(closed=None, due=dt.date(2026, 1, 1)), today) == "undated"


def test_references_to_hidden_postmortems_only_leave_no_empty_key() -> None:
    refs = "incident_types: [hallucination]\nrelated: [{0}]\nnot_similar: [{0}]"
    hidden = postmortem("AIPM-2025-900", visibility="visibility: restricted")
    shown = public("AIPM-2025-002")
    only_hidden = public("AIPM-2025-001", incident_types=refs.format("AIPM-2025-900"))
    both = public("AIPM-2025-003", incident_types=refs.format("AIPM-2025-900, AIPM-2025-002"))
    data = {i.id: i.data for i in aggregate_of(hidden, shown, only_hidden, both).incidents}
    assert "related" not in data["AIPM-2025-001"] and "not_similar" not in data["AIPM-2025-001"]
    assert data["AIPM-2025-003"]["related"] == ["AIPM-2025-002"]


def test_a_type_group_says_on_which_systems_the_pattern_came_back(site: Repo) -> None:
    first = public("AIPM-2025-001")
    site.write("postmortems/2025/AIPM-2025-001-first.md", with_closed(first, "A2", "2025-03-20"))
    elsewhere = a_year_later(public("AIPM-2026-001", systems="systems: [fraud-model]"))
    site.write("postmortems/2026/AIPM-2026-001-elsewhere.md", elsewhere)
    assert build(site, audience="public").returncode == 0
    recurrence = text_of(html(site, "recurrence"))
    assert (
        "A2, done 2025-03-20, addressed this pattern; "
        "it came back on 2026-02-11 (on fraud-model of AIPM-2026-001)"
    ) in recurrence
    controls = text_of(html(site, "controls"))
    assert "counts as in place from its postmortem's remediated time (T3)" in controls


# --- trends on the quarters page ------------------------------------------------------


def test_quarters_page_shows_times_actions_against_due_dates_and_near_misses(
    site: Repo,
) -> None:
    first = postmortem("AIPM-2025-001", visibility="visibility: public")
    first = with_closed(with_closed(first, "A1", "2025-02-20"), "A2", "2025-04-02")
    site.write("postmortems/2025/AIPM-2025-001-first.md", first)
    near_miss = postmortem(
        "AIPM-2025-002", visibility="visibility: public", severity="severity: near-miss"
    ).replace("status: done", "status: in-progress")
    site.write("postmortems/2025/AIPM-2025-002-near.md", near_miss)
    assert build(site, audience="public").returncode == 0
    page = html(site, "quarters")
    quarters = text_of(page)
    # one high, one near-miss in 2025-q1: half were near-misses
    assert "2025-q1 2 50% review of 2025-q1" in quarters
    # both were detected in 8 d 1 h and contained in 3 h 35 min
    assert "2025-q1 — / — 8 d 1 h / 3 h 35 min — / — — / — 8 d 1 h / 3 h 35 min" in quarters
    # A1 critical, closed before its due date; A2 high, closed two days late;
    # the near-miss's two actions are open, past due (today is later)
    assert "critical 1 0 0 0 1 0 0 50%" in quarters
    assert "high 0 1 0 0 1 0 0 0%" in quarters
    for chart in (
        "time-to-detect",
        "time-to-contain",
        "actions-against-due-date",
        "near-miss-share",
    ):
        assert f'<figure class="pm-chart" id="{chart}">' in page


# --- similar postmortems on each incident page ----------------------------------------


def test_each_incident_page_lists_its_similar_postmortems(site: Repo) -> None:
    for n in range(1, 4):
        site.write(
            f"postmortems/2025/AIPM-2025-00{n}-x.md",
            postmortem(f"AIPM-2025-00{n}", visibility="visibility: public"),
        )
    site.write(
        "postmortems/2025/AIPM-2025-004-other.md",
        postmortem(
            "AIPM-2025-004",
            visibility="visibility: public",
            title="title: Fraud model flagged every payment from one region",
            systems="systems: [fraud-model]",
            incident_types="incident_types: [disparate-impact]",
        ),
    )
    assert build(site, audience="public").returncode == 0
    page = html(site, "incidents/AIPM-2025-001")
    start = page.index('id="similar-postmortems"')
    section = page[start : page.index("</ul>", start)]
    links = re.findall(r'<a href="\.\./(AIPM-[0-9-]+)/">', section)
    assert links[:2] == ["AIPM-2025-002", "AIPM-2025-003"]  # the same text, systems, causes
    assert "AIPM-2025-001/" not in section  # never itself
    assert "same systems: policy-retrieval-index, support-assistant" in section
    assert "similar text (1.00)" in section


@pytest.fixture
def five(tmp_path: Path) -> list[Postmortem]:
    for n in range(1, 6):
        changes = {} if n % 2 else {"systems": "systems: [fraud-model]"}
        (tmp_path / f"AIPM-2025-00{n}.md").write_text(postmortem(f"AIPM-2025-00{n}", **changes))
    return load_collection(find_postmortem_files(tmp_path), tmp_path, tmp_path).postmortems


needs_fork = pytest.mark.skipif(not can_fork(), reason="ranks beside the pages where it can fork")


@needs_fork
def test_ranking_in_another_process_gives_the_same_lists(five: list[Postmortem]) -> None:
    forked, here = Similar(five, forked=True), Similar(five, forked=False)
    assert forked.ranking() == here.ranking() == rank(five)
    text = f"before {forked.placeholder} after {forked.placeholder}"
    filled = forked.fill(text, lambda: "LIST")
    assert filled == f"before LIST after {forked.placeholder}"  # only the first: ours


@needs_fork
def test_a_ranking_process_that_hangs_is_stopped_and_the_build_ranks_itself(
    five: list[Postmortem], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(similar_module, "RANKING_SECONDS", 1)
    hung = Similar(five, forked=True)
    assert hung._ranker is not None
    os.kill(hung._ranker._process.pid, signal.SIGSTOP)  # still importing scikit-learn
    assert hung.ranking() == rank(five)
    assert not hung._ranker._process.is_alive()


def _similar_in_this_process(postmortems: list[Postmortem]) -> object:
    return Similar(postmortems).ranking()


@needs_fork
def test_a_build_in_a_pool_worker_ranks_itself(five: list[Postmortem]) -> None:
    """A pool's worker is daemonic, and multiprocessing forbids it children:
    a build run in one (as the fuzzer runs them) must rank in its own process."""
    with mp.get_context("fork").Pool(1) as pool:
        assert pool.apply(_similar_in_this_process, (five,)) == rank(five)


# --- audiences: a hidden postmortem changes nothing -------------------------------------

PUBLIC_PAGES = ["recurrence", "controls", "quarters", "quarters/2025-q1", "quarters/2025-q2", ""]
HIDDEN = "AIPM-2025-900"


def test_a_hidden_postmortem_changes_no_similar_list_group_control_or_trend(
    site: Repo,
) -> None:
    public = {
        "AIPM-2025-001": postmortem("AIPM-2025-001", visibility="visibility: public"),
        "AIPM-2025-002": postmortem(
            "AIPM-2025-002",
            visibility="visibility: public",
            identified="identified: 2025-05-02",
            resolved="resolved: 2025-05-20",
            title="title: Support assistant quoted a refund policy it had invented",
        ),
        "AIPM-2025-003": postmortem(
            "AIPM-2025-003",
            visibility="visibility: public",
            severity="severity: near-miss",
            systems="systems: [support-assistant]",
        ),
    }
    for pm_id, text in public.items():
        site.write(f"postmortems/2025/{pm_id}.md", with_closed(text, "A2", "2025-03-20"))
    # Restricted, between the public ones in time, on their systems and with their
    # root causes, words and catalog controls: with it a public build would have
    # other recurrences, scores, reasons, medians and counts.
    hidden = postmortem(
        HIDDEN,
        visibility="visibility: restricted",
        identified="identified: 2025-03-01",
        resolved="resolved: 2025-03-05",
        severity="severity: near-miss",
        title="title: Support assistant invented a refund policy once again",
        systems="systems: [support-assistant, policy-retrieval-index, hidden-system]",
    ).replace("priority: critical", "priority: low")
    site.write(f"postmortems/2025/{HIDDEN}.md", with_closed(hidden, "A1", "2025-02-12"))

    assert build(site, audience="public").returncode == 0
    with_hidden = {page: html(site, page) for page in PUBLIC_PAGES + incident_pages(public)}
    everything = "\n".join(
        p.read_text(encoding="utf-8", errors="replace")
        for p in (site.path / "site").rglob("*")
        if p.is_file()
    )
    assert HIDDEN not in everything and "hidden-system" not in everything
    assert "once again" not in everything

    (site.path / f"postmortems/2025/{HIDDEN}.md").unlink()
    assert build(site, audience="public").returncode == 0
    for page, text in with_hidden.items():
        assert html(site, page) == text, f"{page or 'home'} differs with a hidden postmortem"
    # and the pages compared hold what the test is about
    assert "similar-postmortems" in with_hidden["incidents/AIPM-2025-001"]
    assert "recurred despite the control" in with_hidden["controls"]
    assert "addressed this pattern; it came back on 2025-05-02" in text_of(
        with_hidden["recurrence"]
    )

    # the restricted build shows it, in the same places
    site.write(f"postmortems/2025/{HIDDEN}.md", with_closed(hidden, "A1", "2025-02-12"))
    assert build(site, audience="restricted").returncode == 0
    assert HIDDEN in html(site, "recurrence") and HIDDEN in html(site, "incidents/AIPM-2025-001")


def incident_pages(ids: dict[str, str]) -> list[str]:
    return [f"incidents/{pm_id}" for pm_id in ids]
