"""Synthetic postmortems for benchmarks: valid, `final`, varied, reproducible.

Each file is about the size of a real postmortem (150 lines), draws its
incident types, root causes and dates from the taxonomy with a seeded random
generator, and passes `postmortem lint` with no findings.
"""

from __future__ import annotations

import datetime as dt
import random
from pathlib import Path

from postmortem_kit.format.taxonomy import load_taxonomy

SYSTEMS = [
    "support-assistant",
    "search-ranker",
    "fraud-model",
    "code-assistant",
    "hr-screening",
    "content-moderation",
    "pricing-model",
    "voice-triage",
]
LENSES = ["governance", "security", "operations"]
TEAMS = [
    "ML platform",
    "Trust and safety",
    "Product security",
    "Data engineering",
    "Support operations",
    "Search team",
]
WORDS = [
    "model",
    "prompt",
    "index",
    "release",
    "evaluation",
    "customer",
    "filter",
    "rollout",
    "alert",
    "data",
    "retrieval",
    "policy",
    "review",
    "gate",
    "owner",
    "drift",
    "label",
]

AS_OF = dt.date(2026, 1, 1)  # lint with --today AS_OF: no action is overdue then
# Synthetic files are dated in the past and never committed: late-draft would
# flag them all (history has its own benchmark, bench/history_bench.py).
PYPROJECT = '[tool.postmortem]\nid_prefix = "AIPM"\n[tool.postmortem.rules]\nlate-draft = "off"\n'


def sentence(rng: random.Random, words: int = 14) -> str:
    text = " ".join(rng.choice(WORDS) for _ in range(words))
    return text.capitalize() + "."


def paragraph(rng: random.Random, sentences: int = 4) -> str:
    return " ".join(sentence(rng) for _ in range(sentences))


def postmortem(number: int, rng: random.Random) -> tuple[str, str]:
    """The file name and text of synthetic postmortem `number`."""
    taxonomy = load_taxonomy()
    year = 2023 + number % 3
    pm_id = f"AIPM-{year}-{number:04d}"
    identified = dt.date(year, 1, 1) + dt.timedelta(days=rng.randrange(360))
    start = dt.datetime.combine(identified, dt.time(8), dt.UTC)
    moments = [start + dt.timedelta(hours=h) for h in (0, 2, 5, 30)]
    iso = [m.strftime("%Y-%m-%dT%H:%M:%SZ") for m in moments]
    types = rng.sample(list(taxonomy.incident_types), rng.randint(1, 2))
    patterns = rng.sample(list(taxonomy.patterns), 2)
    causes = ""
    for i, pattern in enumerate(patterns):
        manifestation = rng.choice(taxonomy.manifestations_of(pattern)).slug
        causes += (
            f"  - lens: {rng.choice(LENSES)}\n    pattern: {pattern}\n"
            f"    manifestation: {manifestation}\n    factor: {sentence(rng)}\n"
            f"    evidence: {sentence(rng)}\n    root_cause: {'true' if i == 0 else 'false'}\n"
        )
    actions = ""
    for i, pattern in enumerate(patterns, start=1):
        status = rng.choice(["done", "done", "in-progress", "planned", "dropped"])
        due = identified + dt.timedelta(days=rng.choice([30, 60, 90, 900]))
        if due < AS_OF and status in ("planned", "in-progress"):
            status = "done"
        priority = (
            "low" if due - identified > dt.timedelta(days=90) else rng.choice(["low", "high"])
        )
        closed = ""
        if status in ("done", "dropped"):  # some on time, some late
            day = min(due + dt.timedelta(days=rng.choice([-20, -3, 0, 5, 40])), AS_OF)
            closed = f"    closed: {max(day, identified)}\n"
        actions += (
            f"  - id: A{i}\n    description: {sentence(rng)}\n    owner: {rng.choice(TEAMS)}\n"
            f"    acceptance: {sentence(rng)}\n    priority: {priority}\n"
            f"    due: {due}\n    status: {status}\n{closed}    addresses: [{pattern}]\n"
        )
    control = rng.choice(list(taxonomy.controls))
    severity = rng.choice(["near-miss", "low", "medium", "high", "critical"])
    title = f"{rng.choice(SYSTEMS)} incident {number}: {sentence(rng, 6)[:-1]}"
    text = f"""---
id: {pm_id}
title: "{title}"
status: final
severity: {severity}
identified: {identified}
reported_by: {rng.choice(TEAMS)}
resolved: {moments[3].date()}
systems: [{rng.choice(SYSTEMS)}]
incident_types: [{", ".join(types)}]
disclosure:
  public: false
  regulatory: {rng.choice(["true", "false"])}
triage:
  direct_harm: {rng.choice(["true", "false"])}
  sensitive_data: false
  anomalous_traffic: false
  assets_exposed: false
  reproducible: true
  ood_or_recent_update: true
  prior_similar: false
impact:
  users_affected: {rng.randrange(5000)}
  data_exposed: []
  downtime_minutes: {rng.randrange(600)}
timeline:
  triggered: {iso[0]}
  detected: {iso[1]}
  detection_method: {sentence(rng, 8)}
  contained: {iso[2]}
  remediated: {iso[3]}
root_causes:
{causes}actions:
{actions}controls:
  - control: {sentence(rng, 6)}
    metric: {sentence(rng, 8)}
    addresses: [{patterns[0]}]
    catalog: {control}
follow_up:
  date: {iso[3]}
  attendees: [{rng.choice(TEAMS)}]
monitoring:
  owner: {rng.choice(TEAMS)}
  until: {identified + dt.timedelta(days=120)}
  review: {sentence(rng, 8)}
authors:
  - {{name: Author {number}, role: incident lead}}
approvals:
  - {{name: Manager {number % 17}, role: manager, date: {moments[3].date()}}}
  - {{name: Security {number % 5}, role: security-lead, date: {moments[3].date()}}}
visibility: {rng.choice(["public", "internal", "internal", "restricted"])}
tags: [synthetic]
---

## Summary

{paragraph(rng)}

## Impact

{paragraph(rng)}

## Timeline

- {iso[0]}: {sentence(rng, 8)}
- {iso[1]}: {sentence(rng, 8)}
- {iso[2]}: {sentence(rng, 8)}

## Root cause analysis

{paragraph(rng, 6)}

{paragraph(rng, 5)}

## Containment

{paragraph(rng, 3)}

## Remediation

{paragraph(rng, 3)}

## Lessons learned

- {sentence(rng)}
- {sentence(rng)}
- {sentence(rng)}

## Communication

{paragraph(rng, 2)}

## Monitoring

{paragraph(rng, 2)}
"""
    return f"{year}/{pm_id}-synthetic.md", text


def generate(root: Path, count: int, seed: int = 2026) -> list[Path]:
    """Write `count` postmortems under root/postmortems; return their paths."""
    rng = random.Random(seed)
    root.mkdir(parents=True, exist_ok=True)
    (root / "pyproject.toml").write_text(PYPROJECT)
    paths = []
    for number in range(1, count + 1):
        name, text = postmortem(number, rng)
        path = root / "postmortems" / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
        paths.append(path)
    return paths
