"""`unlinked-similar`: an earlier postmortem like this one that `related` does not name.

The other tests turn the rule off (their postmortems are copies of one
sample); here it is on, and the files differ where the rule looks.
"""

from __future__ import annotations

import json
import random
import re

import pytest
from helpers import Repo, postmortem

ON = '[tool.postmortem.rules]\nlate-draft = "off"\n'
FIRST = "postmortems/2025/AIPM-2025-001-first.md"
LATER = "postmortems/2025/AIPM-2025-002-later.md"


def moved(text: str, year: int, month: int) -> str:
    """The postmortem with every date moved to `year`, months shifted from
    February (the sample's month) to `month`: its own order is kept."""

    def move(m: re.Match[str]) -> str:
        return f"{year}-{int(m.group(1)) + month - 2:02d}-{m.group(2)}"

    return re.sub(r"\b2025-(\d\d)-(\d\d)\b", move, text)


def unrelated(text: str, system: str) -> str:
    """Another incident: other systems, and a title and root-cause factors of
    made-up words, the same for the same system."""
    words = random.Random(system)
    invented = ["".join(words.choices("bcdfghklmnprstvz", k=3)) + "ex" for _ in range(40)]
    text = text.replace(
        "systems: [support-assistant, policy-retrieval-index]", f"systems: [{system}]"
    )
    title = " ".join(invented[:6])
    text = re.sub(r"^title: .*$", f"title: {system} {title}", text, flags=re.M)
    for n, factor in enumerate(re.findall(r"^    factor: .*$", text, flags=re.M)):
        text = text.replace(factor, "    factor: " + " ".join(invented[6 + 10 * n : 16 + 10 * n]))
    return text


PRIOR_FALSE = (
    f"{LATER}:21:18: warning unlinked-similar triage.prior_similar is false, but "
    "AIPM-2025-001 (identified 2025-02-11) is similar: set it to true, or add "
    "AIPM-2025-001 to not_similar"
)


def findings(repo: Repo, *paths: str) -> list[str]:
    run = repo.run("lint", "--today", "2026-01-01", *paths)
    return [line for line in run.out.splitlines() if " unlinked-similar " in line]


@pytest.fixture
def similar_repo(repo: Repo) -> Repo:
    repo.write("pyproject.toml", ON)
    repo.write(FIRST, postmortem("AIPM-2025-001"))
    repo.write(LATER, moved(postmortem("AIPM-2025-002"), 2025, 4))
    repo.write(
        "postmortems/2025/AIPM-2025-003-other.md",
        unrelated(moved(postmortem("AIPM-2025-003"), 2025, 3), "billing-engine"),
    )
    return repo


def test_the_later_postmortem_is_told_which_earlier_one_and_why(similar_repo: Repo) -> None:
    assert findings(similar_repo) == [
        f"{LATER}:2:1: warning unlinked-similar AIPM-2025-001 (identified 2025-02-11) shares "
        "systems 'support-assistant', 'policy-retrieval-index' and patterns "
        "'model-design-evaluation', 'operational-deployment-gaps', "
        "'governance-accountability-gaps'; nearly the same words in title and factors (100%): "
        "add it to related if it is the same problem, or to not_similar if not",
        PRIOR_FALSE,
    ]
    # the pre-commit case: the other files come from the cache, and say the same
    assert findings(similar_repo, LATER) == findings(similar_repo)
    assert findings(similar_repo, FIRST) == []


@pytest.mark.parametrize("key", ["related", "not_similar"])
def test_naming_it_in_related_or_not_similar_silences_it(similar_repo: Repo, key: str) -> None:
    text = (
        (similar_repo.path / LATER)
        .read_text()
        .replace("visibility: internal", f"visibility: internal\n{key}: [AIPM-2025-001]")
    )
    if key == "related":
        text = text.replace("prior_similar: false", "prior_similar: true")
    similar_repo.write(LATER, text)
    assert findings(similar_repo) == findings(similar_repo, LATER) == []


def test_prior_similar_false_while_a_similar_one_exists(similar_repo: Repo) -> None:
    text = (similar_repo.path / LATER).read_text()
    similar_repo.write(LATER, text.replace("tags:", "related: [AIPM-2025-001]\ntags:"))
    assert findings(similar_repo) == [PRIOR_FALSE]


def test_only_earlier_postmortems_within_the_window_count(similar_repo: Repo) -> None:
    similar_repo.write(FIRST, moved(postmortem("AIPM-2025-001"), 2023, 2))
    assert findings(similar_repo) == []  # two years before
    similar_repo.write("pyproject.toml", ON + "[tool.postmortem]\nsimilar-within-days = 800\n")
    assert len(findings(similar_repo)) == 2
    # a draft is not yet expected to know
    draft = (similar_repo.path / LATER).read_text().replace("status: final", "status: draft")
    similar_repo.write(LATER, draft)
    assert [f for f in findings(similar_repo) if "error" not in f] == []


def test_the_same_words_on_other_systems_count(similar_repo: Repo) -> None:
    text = (similar_repo.path / LATER).read_text()
    similar_repo.write(
        LATER,
        text.replace(
            "systems: [support-assistant, policy-retrieval-index]", "systems: [help-centre-bot]"
        ),
    )
    finding = findings(similar_repo)[0]
    assert "shares nearly the same words in title and factors (100%)" in finding


def test_a_changed_earlier_file_is_seen_at_once(similar_repo: Repo) -> None:
    """The earlier file's summary is cached; changing it must change the answer."""
    assert len(findings(similar_repo, LATER)) == 2
    first = (similar_repo.path / FIRST).read_text()
    similar_repo.write(FIRST, unrelated(first, "inventory-forecaster"))
    assert findings(similar_repo, LATER) == []


def test_planted_pairs_are_each_found(repo: Repo) -> None:
    """The same incident written twice on one system, among unrelated ones:
    each later one is told of its pair, and nothing else is reported."""
    repo.write("pyproject.toml", ON)
    for n in range(1, 21):
        system = f"service-{n}"
        first, later = f"AIPM-2025-{2 * n - 1:03d}", f"AIPM-2025-{2 * n:03d}"
        earlier_text = unrelated(postmortem(first), system)
        repo.write(f"postmortems/{first}.md", earlier_text)
        later_text = unrelated(moved(postmortem(later), 2025, 5), system)
        repo.write(f"postmortems/{later}.md", later_text)
    found = [f for f in findings(repo) if " shares " in f]
    told = {re.match(r"postmortems/(\S+)\.md", f).group(1): f.split()[3] for f in found}  # type: ignore[union-attr]
    assert told == {f"AIPM-2025-{2 * n:03d}": f"AIPM-2025-{2 * n - 1:03d}" for n in range(1, 21)}


@pytest.mark.parametrize(
    "setting",
    [
        "similar-within-days = 0",
        'similar-within-days = "a year"',
        "action-due-within-days = { urgent = 3 }",
        "action-due-within-days = { critical = true }",
    ],
)
def test_a_bad_setting_is_a_usage_error(repo: Repo, setting: str) -> None:
    repo.write("pyproject.toml", f"[tool.postmortem]\n{setting}\n")
    run = repo.run("lint")
    assert run.exit_code == 2
    assert "pyproject.toml: [tool.postmortem]" in run.err
    assert setting.split()[0] in run.err


def test_a_file_of_thousands_of_systems_and_patterns_stays_small_in_the_index() -> None:
    """The index holds a key per pair of system and pattern: an invalid file
    must not make millions of them (a 110 KB file once took 4 GB)."""
    from postmortem_kit.format.read import parse_postmortem
    from postmortem_kit.format.summary import SummaryIndex, summary_of

    names = [f"s{i}" for i in range(3000)]
    causes = "".join(f"  - pattern: p{i}\n" for i in range(3000))
    text = f"---\nid: AIPM-2025-001\nidentified: 2025-01-01\nsystems: [{', '.join(names)}]\n"
    summary = summary_of(parse_postmortem(f"{text}root_causes:\n{causes}---\n".encode(), "x.md"))
    assert len(summary.systems) * len(summary.patterns) <= 500
    assert len(SummaryIndex([summary])._lists) <= 500 + len(summary.hashes)


def test_two_spellings_of_a_system_are_one_system(similar_repo: Repo) -> None:
    text = (similar_repo.path / LATER).read_text()
    text = text.replace(
        "systems: [support-assistant, policy-retrieval-index]", "systems: [Support Assistant]"
    )
    text = re.sub(r"^    factor: .*$", "    factor: Unrelated words entirely.", text, flags=re.M)
    text = re.sub(r"^title: .*$", "title: Something else happened somewhere", text, flags=re.M)
    similar_repo.write(LATER, text)
    assert "shares system 'support-assistant' and patterns" in findings(similar_repo)[0]


def test_a_stale_cache_entry_of_the_linted_file_hides_nothing(
    similar_repo: Repo, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Which earlier postmortems lint compares a file with depends on the file's
    own date: that date is read from the file, never from the cache."""
    from postmortem_kit.format import collection

    monkeypatch.setattr(collection, "_SETTLED_NS", -(10**18))  # remember files written now
    before = findings(similar_repo, LATER)
    assert before
    cache = collection.summaries_cache((similar_repo.path / "postmortems").resolve())
    assert cache is not None
    entries = json.loads(cache.read_text())
    entries[str((similar_repo.path / LATER).resolve())][-1][1] = "1999-01-01"  # file unchanged
    cache.write_text(json.dumps(entries))
    assert findings(similar_repo, LATER) == before
