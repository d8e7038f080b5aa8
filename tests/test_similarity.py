"""Similar postmortems: the ranking (postmortem_kit.similarity) and `postmortem similar`.

The ranking is tested on a generated corpus with planted pairs: the same
incident written twice, by two writers who word it differently, on the same
system, among unrelated incidents, some of them on that same system with the
same root cause (decoys only the text tells apart).
"""

from __future__ import annotations

import json
import random
import re
import subprocess
import sys

import pytest
from helpers import FINAL, PROJECT, Repo, postmortem
from postmortem_kit.format.read import Postmortem, parse_postmortem
from postmortem_kit.similarity import PINNED_REASON, Match, rank, similar_to

# --- a corpus with planted pairs ---------------------------------------------------

SYSTEMS = [
    "support-assistant", "claims-triage", "search-ranker", "fraud-model", "code-assistant",
    "hr-screening", "content-moderation", "pricing-model", "voice-triage", "ad-targeting",
    "loan-scoring", "translation-service", "email-assistant", "medical-summariser",
    "product-descriptions", "news-summariser", "chat-api", "image-captioner", "tutor-bot",
    "legal-drafting", "recommendation-feed", "ocr-pipeline", "speech-to-text",
    "travel-planner", "warehouse-forecast", "kyc-checker", "insurance-quote",
    "job-matching", "moderation-queue", "sales-copilot",
]  # fmt: skip
SUBJECTS = [
    "invoice", "pharmacy", "mortgage", "warranty", "bereavement", "refund", "dosage", "allergy",
    "payroll", "salary", "pension", "visa", "passport", "tenancy", "eviction", "parcel",
    "courier", "vaccine", "pregnancy", "diabetes", "loyalty", "coupon", "voucher",
    "subscription", "cancellation", "overdraft", "chargeback", "dispute", "crypto", "wallet",
    "firmware", "thermostat", "router", "sensor", "drone", "pipeline", "turbine", "elevator",
    "scaffold", "asbestos", "recipe", "gluten", "peanut", "vegan", "kosher", "halal",
    "wheelchair", "braille", "dyslexia", "autism", "veteran", "refugee", "asylum", "prison",
    "parole", "custody", "divorce", "alimony", "inheritance", "probate", "notary", "lottery",
    "casino", "betting", "tobacco", "alcohol", "cannabis", "firearm", "ammunition", "knife",
    "explosive", "chemical", "pesticide", "fertilizer", "livestock", "poultry", "fishery",
    "forestry", "mining", "quarry", "railway", "tunnel", "bridge", "harbour", "airport",
    "runway", "baggage", "luggage", "hotel", "hostel", "campsite", "ferry", "cruise", "ski",
    "surf", "marathon", "gym", "yoga", "therapy", "counselling", "hotline", "suicide",
    "overdose", "rehab", "detox", "insulin", "chemotherapy", "dialysis", "transplant", "donor",
    "blood", "plasma", "organ", "kidney", "liver", "cardiology", "dentist", "orthodontics",
    "optician", "hearing", "implant", "prosthetic",
]  # fmt: skip
FILLER = [
    "the", "team", "found", "that", "during", "week", "review", "later", "after", "before",
    "while", "our", "users", "customers", "operators", "engineers", "noticed", "reported",
    "escalated", "confirmed", "observed", "rollout", "release", "change", "update", "job",
    "service", "nightly", "weekly", "internal", "external", "process", "step", "owner",
    "dashboard", "ticket", "queue", "log", "metric", "alert", "page", "incident", "response",
    "on-call", "shift", "handover",
]  # fmt: skip

# Two writers word the same incident differently: each incident type and
# root-cause pattern has phrasings that share few words.
TYPE_PHRASES = {
    "hallucination": ["invented a {a} policy about {b}", "made up {b} rules for {a} questions"],
    "privacy-leakage": [
        "leaked {a} records mentioning {b}",
        "exposed personal {b} data from {a} files",
    ],  # noqa: E501
    "harmful-content": [
        "produced harmful advice on {a} and {b}",
        "gave dangerous {b} guidance to {a} users",
    ],  # noqa: E501
    "prompt-injection": [
        "obeyed instructions hidden in {a} {b} documents",
        "followed a planted {b} command inside a {a} page",
    ],  # noqa: E501
    "data-poisoning": [
        "learned from poisoned {a} {b} samples",
        "trained on tampered {b} examples about {a}",
    ],  # noqa: E501
    "disparate-impact": [
        "scored {a} applicants about {b} unfairly",
        "treated {b} groups worse on {a} decisions",
    ],  # noqa: E501
    "regression-after-update": [
        "broke {a} handling of {b} after an update",
        "regressed on {b} {a} cases once upgraded",
    ],  # noqa: E501
    "out-of-distribution": [
        "failed on unfamiliar {a} {b} inputs",
        "misread novel {b} requests about {a}",
    ],  # noqa: E501
    "model-extraction": [
        "let attackers copy the {a} {b} model",
        "allowed cloning of {b} scoring behind {a}",
    ],  # noqa: E501
}
PATTERN_PHRASES = {
    "model-design-evaluation": [
        "nobody evaluated {a} cases before launch",
        "the test set had no {a} examples",
    ],  # noqa: E501
    "operational-deployment-gaps": [
        "the {a} job shipped without a gate",
        "an ungated {a} deployment went live",
    ],  # noqa: E501
    "weak-data-governance": [
        "the {a} data had no known provenance",
        "we could not trace where {a} rows came from",
    ],  # noqa: E501
    "insufficient-runtime-safeguards": [
        "no filter checked {a} outputs",
        "outputs about {a} went unscreened",
    ],  # noqa: E501
    "incomplete-threat-modeling": [
        "the threat model ignored {a} abuse",
        "misuse through {a} was never considered",
    ],  # noqa: E501
    "governance-accountability-gaps": [
        "no one owned {a} risks",
        "ownership of {a} decisions was unclear",
    ],  # noqa: E501
}
MANIFESTATIONS = {
    "model-design-evaluation": [
        "aggregate-metrics-only",
        "no-adversarial-testing",
        "no-calibration",
    ],
    "operational-deployment-gaps": [
        "ungated-ci-cd",
        "no-automated-rollback",
        "access-misconfiguration",
    ],  # noqa: E501
    "weak-data-governance": ["poor-provenance", "sensitive-data-uncontrolled"],
    "insufficient-runtime-safeguards": ["missing-output-filtering", "bypassable-controls"],
    "incomplete-threat-modeling": ["missed-adversary-capability", "no-use-case-hazard-analysis"],
    "governance-accountability-gaps": [
        "undefined-ownership",
        "missing-policies",
        "third-party-risk",
    ],  # noqa: E501
}


class Story:
    """One incident: what any writer would put in its postmortem."""

    def __init__(self, rng: random.Random, system: str | None = None) -> None:
        self.system = system or rng.choice(SYSTEMS)
        self.types = rng.sample(sorted(TYPE_PHRASES), rng.choice([1, 1, 2]))
        self.patterns = rng.sample(sorted(PATTERN_PHRASES), 2)
        self.manifestations = [rng.choice(MANIFESTATIONS[p]) for p in self.patterns]
        self.subjects = rng.sample(SUBJECTS, 4)


def write(story: Story, pm_id: str, rng: random.Random, wording: int) -> str:
    """The postmortem a writer makes of `story`: `wording` 0 or 1 picks the phrasing;
    the writer's own choices (which details, extra systems…) come from `rng`."""
    a, b, c, d = rng.sample(story.subjects, 4)
    kind = TYPE_PHRASES[story.types[0]][wording].format(a=a, b=b)
    causes = [
        PATTERN_PHRASES[pattern][wording].format(a=rng.choice(story.subjects))
        for pattern in story.patterns
    ]
    systems = [story.system]
    types = list(story.types)
    patterns = list(story.patterns)
    manifestations: list[str | None] = list(story.manifestations)
    if wording:  # the second writer saw it a little differently
        if rng.random() < 0.3:
            systems.append(rng.choice(SYSTEMS))
        if len(types) > 1 and rng.random() < 0.5:
            types.pop()
        if rng.random() < 0.4:
            patterns[1] = rng.choice(sorted(PATTERN_PHRASES))
        manifestations = [m if rng.random() < 0.7 else None for m in manifestations]
        manifestations = [
            m if m and m in MANIFESTATIONS[p] else None
            for m, p in zip(manifestations, patterns, strict=True)
        ]
    title = (
        f"The {story.system} {kind}"
        if wording == 0
        else f"{kind[0].upper()}{kind[1:]}: {story.system} incident"
    )

    def filler(words: int) -> str:
        return " ".join(rng.choice(FILLER) for _ in range(words))

    summary = (
        f"{filler(8)} the {story.system} {kind}. {filler(10)} {c}. {causes[0]}. {filler(8)} {d}."
    )
    causes_yaml = "".join(
        f"  - lens: operations\n    pattern: {pattern}\n"
        + (f"    manifestation: {manifestation}\n" if manifestation else "")
        + f"    factor: {cause} ({filler(5)})\n    evidence: logs\n    root_cause: true\n"
        for pattern, manifestation, cause in zip(patterns, manifestations, causes, strict=True)
    )
    return (
        f"---\nid: {pm_id}\ntitle: '{title}'\nstatus: review\nsystems: [{', '.join(systems)}]\n"
        f"incident_types: [{', '.join(types)}]\nroot_causes:\n{causes_yaml}---\n\n"
        f"## Summary\n\n{summary}\n\n## Impact\n\n{filler(30)}\n\n"
        f"## Lessons learned\n\n- {filler(6)} {a}.\n- {filler(7)} {c}.\n- {filler(6)}.\n"
    )


def read(text: str, name: str = "pm.md") -> Postmortem:
    return parse_postmortem(text.encode(), f"postmortems/{name}", positions=False)


def planted_corpus(
    seed: int, pairs: int = 40, unrelated: int = 150, decoys: int = 20
) -> tuple[list[Postmortem], dict[str, str]]:
    """Postmortems, and for each planted one the id of its twin."""
    rng = random.Random(seed)
    texts, twins = [], {}
    number = 0

    def next_id() -> str:
        nonlocal number
        number += 1
        return f"AIPM-2025-{number:03d}"

    for pair in range(pairs):
        story = Story(rng)
        first, second = next_id(), next_id()
        texts += [write(story, first, rng, 0), write(story, second, rng, 1)]
        twins[first], twins[second] = second, first
        if pair < decoys:  # same system, same type and root cause, another incident
            decoy = Story(rng, story.system)
            decoy.types[0], decoy.patterns[0] = story.types[0], story.patterns[0]
            texts.append(write(decoy, next_id(), rng, rng.randrange(2)))
    for _ in range(unrelated):
        texts.append(write(Story(rng), next_id(), rng, rng.randrange(2)))
    rng.shuffle(texts)
    return [read(text, f"{i}.md") for i, text in enumerate(texts)], twins


def top_one_rate(postmortems: list[Postmortem], twins: dict[str, str]) -> float:
    ranked = rank(postmortems, limit=1)
    hits = sum(bool(ranked[pm_id]) and ranked[pm_id][0].id == twin for pm_id, twin in twins.items())
    return hits / len(twins)


# --- the ranking -----------------------------------------------------------------


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_a_planted_pair_is_the_top_match(seed: int) -> None:
    postmortems, twins = planted_corpus(seed)
    assert len(postmortems) == 40 * 2 + 20 + 150
    assert top_one_rate(postmortems, twins) >= 0.9


def test_text_and_structure_each_help(monkeypatch: pytest.MonkeyPatch) -> None:
    """The combination finds more twins than the text alone or the structure alone."""
    import postmortem_kit.similarity as similarity

    postmortems, twins = planted_corpus(8, pairs=60, unrelated=300, decoys=60)
    combined = top_one_rate(postmortems, twins)
    facets = similarity.FACETS
    monkeypatch.setattr(similarity, "FACETS", tuple((*f[:3], 0.0) for f in facets))
    text_only = top_one_rate(postmortems, twins)
    monkeypatch.setattr(similarity, "FACETS", facets)
    monkeypatch.setattr(similarity, "TEXT_WEIGHT", 0.0)
    structure_only = top_one_rate(postmortems, twins)
    assert combined > max(text_only, structure_only)


def small(
    pm_id: str, title: str = "An incident of some kind", summary: str = "", **keys: str
) -> Postmortem:
    """A short postmortem: the keys are written as YAML flow values."""
    front = "".join(f"{key}: {value}\n" for key, value in keys.items())
    text = f"---\nid: {pm_id}\ntitle: {json.dumps(title)}\n{front}---\n\n## Summary\n\n{summary}\n"
    return read(text, f"{pm_id}.md")


def corpus() -> list[Postmortem]:
    return [
        small("AIPM-2025-001", "Chat API invented a refund policy", "Refund policy invented.",
              systems="[chat-api]", incident_types="[hallucination]"),
        small("AIPM-2025-002", "Chat API made up refund rules", "Made-up refund rules.",
              systems="[Chat API, billing]", incident_types="[hallucination]"),
        small("AIPM-2025-003", "Search ranker demoted small shops", "Ranking drift.",
              systems="[search-ranker]", incident_types="[disparate-impact]"),
        small("AIPM-2025-004", "Voice triage misrouted calls", "Calls misrouted.",
              systems="[voice-triage]"),
        small("AIPM-2025-005", "Search ranker favoured big shops again", "Ranking drift.",
              systems="[search-ranker]", incident_types="[disparate-impact]"),
    ]  # fmt: skip


def test_scores_order_and_self() -> None:
    postmortems, _ = planted_corpus(4)
    ranked = rank(postmortems, limit=7)
    ids = {pm.data["id"] for pm in postmortems}
    assert set(ranked) == ids
    for pm_id, matches in ranked.items():
        assert 1 <= len(matches) <= 7
        assert pm_id not in {m.id for m in matches}
        assert {m.id for m in matches} <= ids
        assert len({m.id for m in matches}) == len(matches)
        assert all(0 <= m.score <= 1 and m.score == round(m.score, 3) for m in matches)
        assert all(m.reasons for m in matches)
        keys = [(-m.score, m.id) for m in matches]
        assert keys == sorted(keys)


def test_reasons_say_what_is_shared() -> None:
    ranked = rank(corpus())
    best = ranked["AIPM-2025-001"][0]
    assert best.id == "AIPM-2025-002"
    assert best.title == "Chat API made up refund rules"
    assert best.reasons[:2] == ("same system: chat-api", "same incident type: hallucination")
    assert best.reasons[2].startswith("similar text (0.")
    other = ranked["AIPM-2025-003"][0]
    assert other.id == "AIPM-2025-005"
    # the other postmortem's spelling of a system is matched, this one's shown
    assert ranked["AIPM-2025-002"][0].reasons[0] == "same system: Chat API"


def test_reasons_name_patterns_and_manifestations() -> None:
    causes = (
        "[{pattern: weak-data-governance, manifestation: poor-provenance}, "
        "{pattern: model-design-evaluation}]"
    )
    postmortems = [
        small("AIPM-2025-001", root_causes=causes),
        small("AIPM-2025-002", root_causes=causes, systems="[a, b]"),
        small("AIPM-2025-003", systems="[a, b, c]"),
    ]
    ranked = rank(postmortems)
    assert ranked["AIPM-2025-001"][0].reasons == (
        "same root-cause patterns: model-design-evaluation, weak-data-governance",
        "same manifestation: poor-provenance",
        "similar text (1.00)",
    )
    assert ranked["AIPM-2025-003"][0].reasons[0] == "same systems: a, b"


def test_a_copy_scores_one() -> None:
    copy = read(FINAL.replace("AIPM-2025-001", "AIPM-2025-002"), "copy.md")
    (match,) = rank([read(FINAL), copy])["AIPM-2025-001"]
    assert (match.id, match.score) == ("AIPM-2025-002", 1.0)
    assert match.reasons[0] == "same systems: policy-retrieval-index, support-assistant"
    assert match.reasons[-1] == "similar text (1.00)"


def test_nothing_in_common_is_no_match() -> None:
    postmortems = [
        small("AIPM-2025-001", "Alpha bravo charlie delta", systems="[one]"),
        small("AIPM-2025-002", "Echo foxtrot golf hotel", systems="[two]"),
    ]
    assert rank(postmortems) == {"AIPM-2025-001": [], "AIPM-2025-002": []}


def test_related_pins_a_match_either_way() -> None:
    postmortems = corpus()
    postmortems[3] = small(
        "AIPM-2025-004", "Voice triage misrouted calls", related="[AIPM-2025-001]"
    )
    ranked = rank(postmortems, limit=2)
    for pinned, other in (("AIPM-2025-004", "AIPM-2025-001"), ("AIPM-2025-001", "AIPM-2025-004")):
        first = ranked[pinned][0]
        assert first.id == other
        assert first.reasons[0] == PINNED_REASON
    # first whatever its score, and a pin counts in the limit
    pinned, best = ranked["AIPM-2025-001"]
    assert (pinned.id, best.id) == ("AIPM-2025-004", "AIPM-2025-002")
    assert pinned.score < best.score


def test_not_similar_rejects_a_match_either_way() -> None:
    postmortems = corpus()
    postmortems[0] = small(
        "AIPM-2025-001", "Chat API invented a refund policy", "Refund policy invented.",
        systems="[chat-api]", incident_types="[hallucination]", not_similar="[AIPM-2025-002]",
    )  # fmt: skip
    ranked = rank(postmortems)
    assert "AIPM-2025-002" not in {m.id for m in ranked["AIPM-2025-001"]}
    assert "AIPM-2025-001" not in {m.id for m in ranked["AIPM-2025-002"]}
    assert ranked["AIPM-2025-003"][0].id == "AIPM-2025-005"


def test_only_what_is_given_counts() -> None:
    """A postmortem left out (hidden from the audience) changes nobody's scores,
    and links to it or to unknown ids are ignored."""
    postmortems, _ = planted_corpus(5)
    first = postmortems[0].data
    hidden = small(
        "AIPM-2025-999", first["title"], related=f"[{first['id']}, AIPM-2031-404]",
        systems=f"[{first['systems'][0]}]",
    )  # fmt: skip
    with_hidden = rank([*postmortems, hidden])
    assert with_hidden[first["id"]][0].id == "AIPM-2025-999"
    without = rank(postmortems)
    assert "AIPM-2025-999" not in {m.id for ms in without.values() for m in ms}
    changed = [i for i in without if with_hidden[i] != without[i]]
    assert len(changed) > len(without) / 2  # it would have changed most scores (IDF)
    assert without == rank(list(reversed(postmortems)))  # the order given does not matter
    assert without == rank(postmortems)  # nor the run


def test_ties_go_to_the_smaller_id() -> None:
    twins = [
        small(f"AIPM-2025-00{n}", "The same words every time", systems="[x]") for n in (5, 2, 9, 1)
    ]
    ranked = rank(twins, limit=3)
    assert [m.id for m in ranked["AIPM-2025-005"]] == [
        "AIPM-2025-001",
        "AIPM-2025-002",
        "AIPM-2025-009",
    ]
    # text and systems alike; no types or root causes to share
    assert {m.score for m in ranked["AIPM-2025-005"]} == {0.7}


def test_odd_input() -> None:
    assert rank([]) == {}
    assert rank([small("AIPM-2025-001")]) == {"AIPM-2025-001": []}
    no_id = read("---\ntitle: An incident of some kind\n---\n")
    unreadable = read("no front matter at all")
    empty = small("AIPM-2025-002", title="the", summary="and of the")  # stop words only
    duplicate = small("AIPM-2025-001", "Another file with the same id")
    odd = small("AIPM-2025-003", systems="[[nested], 3, '']", root_causes="[1, {pattern: [x]}]",
                related="AIPM-2025-001", not_similar="{a: b}")  # fmt: skip
    ranked = rank([no_id, unreadable, empty, duplicate, small("AIPM-2025-001"), odd])
    assert set(ranked) == {"AIPM-2025-001", "AIPM-2025-002", "AIPM-2025-003"}
    with pytest.raises(ValueError, match="limit"):
        rank([small("AIPM-2025-001")], limit=0)


def test_similar_to_is_a_row_of_rank() -> None:
    postmortems, _ = planted_corpus(6)
    ranked = rank(postmortems, limit=4)
    for pm in postmortems[:20]:
        assert similar_to(postmortems, pm.data["id"], limit=4) == ranked[pm.data["id"]]
    with pytest.raises(KeyError):
        similar_to(postmortems, "AIPM-2031-404")


def test_importing_costs_no_scikit_learn() -> None:
    """`postmortem lint` runs on every commit: the CLI and this module import no
    numpy, scipy or scikit-learn until a ranking is asked for, nor the site's
    or the exports' modules until their command runs."""
    heavy = "{'numpy', 'scipy', 'sklearn', 'postmortem_kit.site.aggregate', 'sqlite_utils'}"
    code = (
        "import sys, postmortem_kit.cli, postmortem_kit.similarity\n"
        f"print(sorted({heavy} & set(sys.modules)))"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert done.stdout.strip() == "[]"


# --- postmortem similar ---------------------------------------------------------------


def published(pm_id: str, title: str, systems: str, **changes: str) -> str:
    """The clean final postmortem, public unless `changes` say otherwise."""
    changes = {"visibility": "visibility: public", **changes}
    return postmortem(pm_id, title=f"title: {title}", systems=f"systems: {systems}", **changes)


def gallery(repo: Repo, hidden: bool = True) -> None:
    repo.write("postmortems/AIPM-2025-001.md", published(
        "AIPM-2025-001", "Support assistant invented a bereavement refund policy",
        "[support-assistant, policy-retrieval-index]"))  # fmt: skip
    repo.write("postmortems/AIPM-2025-002.md", published(
        "AIPM-2025-002", "Assistant made up refund rules for bereaved travellers",
        "[support-assistant]"))  # fmt: skip
    repo.write("postmortems/AIPM-2025-003.md", published(
        "AIPM-2025-003", "Fraud model flagged every refund from one region",
        "[fraud-model]", incident_types="incident_types: [disparate-impact]"))  # fmt: skip
    repo.write("postmortems/AIPM-2025-004.md", published(
        "AIPM-2025-004", "Unrelated pricing glitch in another product line",
        "[pricing-model]", incident_types="incident_types: [metric-mismatch]",
        tags="related: [AIPM-2025-003]\ntags: [x]"))  # fmt: skip
    if hidden:
        repo.write("postmortems/AIPM-2025-005.md", published(
            "AIPM-2025-005", "Support assistant invented a bereavement refund policy again",
            "[support-assistant, policy-retrieval-index]", visibility="visibility: restricted",
            tags="related: [AIPM-2025-001]\ntags: [x]"))  # fmt: skip


def similar_json(repo: Repo, *args: str) -> dict[str, object]:
    run = repo.run("similar", *args, "--format", "json")
    assert run.exit_code == 0, run.err
    return json.loads(run.out)


def test_similar_json(repo: Repo) -> None:
    gallery(repo)
    assert repo.run("lint").exit_code == 0
    result = similar_json(repo, "AIPM-2025-001", "--audience", "public")
    assert list(result) == ["version", "postmortem", "similar"]
    assert result["version"] == 1 and result["postmortem"] == "AIPM-2025-001"
    similar = result["similar"]
    assert isinstance(similar, list)
    assert [m["id"] for m in similar][:2] == ["AIPM-2025-002", "AIPM-2025-003"]
    for match in similar:
        assert list(match) == ["id", "title", "score", "reasons"]
        assert 0 <= match["score"] <= 1 and match["reasons"]
    assert similar[0]["title"] == "Assistant made up refund rules for bereaved travellers"
    assert "same system: support-assistant" in similar[0]["reasons"]
    # by path; AIPM-2025-004 names AIPM-2025-003 in related: pinned, first whatever its score
    pinned = similar_json(repo, "postmortems/AIPM-2025-003.md", "--audience", "public")
    assert pinned["postmortem"] == "AIPM-2025-003"
    first, *others = pinned["similar"]
    assert first["id"] == "AIPM-2025-004" and first["reasons"][0] == PINNED_REASON
    assert others and all(first["score"] < other["score"] for other in others)
    assert (
        len(similar_json(repo, "AIPM-2025-003", "--audience", "public", "--limit", "1")["similar"])
        == 1
    )


def test_a_hidden_postmortem_is_never_compared(
    repo: Repo, tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("POSTMORTEM_AUDIENCE", "restricted")  # --audience wins over it
    gallery(repo)
    public = similar_json(repo, "AIPM-2025-001", "--audience", "public")
    everyone = similar_json(repo, "AIPM-2025-001", "--audience", "restricted")
    assert everyone["similar"][0]["id"] == "AIPM-2025-005"  # it would be the best match
    assert everyone["similar"][0]["reasons"][0] == PINNED_REASON
    assert "AIPM-2025-005" not in {m["id"] for m in public["similar"]}
    run = repo.run("similar", "AIPM-2025-005", "--audience", "public")
    assert run.exit_code == 2
    assert "postmortems/AIPM-2025-005.md is restricted: audience public does not see it" in run.err
    assert "Traceback" not in run.err
    # the same repository without it: the very same scores
    other = Repo(tmp_path_factory.mktemp("without"), repo._monkeypatch, repo._capsys)
    gallery(other, hidden=False)
    for pm_id in ("AIPM-2025-001", "AIPM-2025-002", "AIPM-2025-003"):
        assert similar_json(other, pm_id, "--audience", "public") == similar_json(
            repo, pm_id, "--audience", "public"
        )


def test_similar_table(repo: Repo) -> None:
    gallery(repo)
    run = repo.run("similar", "AIPM-2025-002", "--audience", "public", "--limit", "2")
    assert run.exit_code == 0, run.err
    lines = run.out.splitlines()
    assert lines[0] == "Similar to AIPM-2025-002 (audience public):"
    assert lines[2].split() == ["#", "id", "score", "title"]
    assert lines[3].split()[:2] == ["1", "AIPM-2025-001"]
    assert lines[3].endswith("Support assistant invented a bereavement refund policy")
    assert lines[4].strip() == "- same system: support-assistant"
    assert sum(line[:1].isdigit() for line in lines) == 2


def test_the_table_prints_no_escape_sequences() -> None:
    from postmortem_kit.cli.similar import _table

    match = Match(
        "AIPM-2025-002",
        "Title \x1b]0;owned\x07 \x1b[2J \u202egnp.exe",
        0.5,
        ("same system: \x9bx", "same system: chat\nFAKE LINE"),
    )
    table = _table("AIPM-2025-001", [match], 2, "internal")
    assert not re.search("[\x00-\x09\x0b-\x1f\x7f-\x9f\u202e]", table)
    assert "Title \\x1b]0;owned\\x07 \\x1b[2J \\u202egnp.exe" in table
    assert "chat\\nFAKE LINE" in table


def test_similar_bad_input(repo: Repo) -> None:
    gallery(repo)
    repo.write(
        "postmortems/AIPM-2025-006.md",
        published(
            "AIPM-2025-006", "Fails lint, final but ongoing", "[x]", resolved="resolved: ongoing"
        ),
    )
    repo.write("postmortems/AIPM-2025-007-broken.md", "---\nid: [\n---\n")  # fmt: skip
    checks = {
        ("AIPM-2031-404",): "'AIPM-2031-404' is neither the id nor the file of a postmortem",
        ("postmortems/nope.md",): "no such file: postmortems/nope.md",
        ("README.md",): "'README.md' is neither the id nor the file of a postmortem",
        ("AIPM-2025-006",): "`postmortem lint postmortems/AIPM-2025-006.md` says why",
        ("postmortems/AIPM-2025-007-broken.md",): "`postmortem lint postmortems/AIPM-2025-007-",
        ("AIPM-2025-007",): "`postmortem lint postmortems/AIPM-2025-007-broken.md` says why",
        ("AIPM-2025-001", "--limit", "0"): "Invalid value for '--limit'",
        ("AIPM-2025-001", "--audience", "everyone"): "Invalid value for '--audience'",
    }
    repo.write("README.md", "# not a postmortem\n")
    for args, message in checks.items():
        run = repo.run("similar", *args)
        assert (run.exit_code, run.out) == (2, ""), args
        assert message in run.err, run.err
        assert "Traceback" not in run.err


def test_nothing_similar(repo: Repo, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("POSTMORTEM_AUDIENCE", raising=False)
    repo.write("postmortems/AIPM-2025-001.md", postmortem("AIPM-2025-001"))
    run = repo.run("similar", "AIPM-2025-001")
    assert run.exit_code == 0, run.err
    assert run.out == (
        "Nothing similar to AIPM-2025-001 among the 0 other postmortems published for "
        "audience internal.\n"
    )
    assert similar_json(repo, "AIPM-2025-001")["similar"] == []


def test_the_command_is_documented() -> None:
    docs = (PROJECT / "docs" / "similarity.md").read_text(encoding="utf-8")
    for needle in ("not_similar", "related", "postmortem similar", '"version": 1', PINNED_REASON):
        assert needle in docs
    assert Match._fields == ("id", "title", "score", "reasons")
