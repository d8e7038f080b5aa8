"""History benchmark: one pass over the log against a git-date plugin.

    python bench/history_bench.py [--count 2000]

Generates COUNT synthetic postmortems in a git repository under bench/out/,
each changed in 5 commits (100 commits of COUNT/20 files each), then times,
best of three, each build as its own process:

- our site build, and what history costs within it: the plugin's loading step
  with and without history (the option `history: false`), in this process and
  interleaved, since whole builds vary by more than that from run to run;
- a Material site over the same files with mkdocs-git-revision-date-localized-plugin
  and without it: what that plugin adds to give the same files their dates;
- `read_history` alone.
"""

from __future__ import annotations

import argparse
import shutil
import time
from pathlib import Path

from generate import generate
from measure import git, mkdocs_build_seconds
from postmortem_kit.git.history import read_history
from postmortem_kit.repository import load_repository
from postmortem_kit.site.content import load_site

OUT = Path(__file__).parent / "out" / "history"
THEME = "theme:\n  name: material\n  font: false\n"
OURS = (
    "site_name: ours\ndocs_dir: docs\n"
    + THEME
    + "plugins:\n  - search\n  - postmortems:\n      history: {}\n"
)
DATES = (
    "site_name: dates\ndocs_dir: postmortems\n"
    + THEME
    + "nav:\n  - index.md\nplugins:\n  - search\n{}"
)
DATES_PLUGIN = "  - git-revision-date-localized:\n      enable_creation_date: true\n"


def make_repository(count: int) -> Path:
    repo = OUT / f"repo-{count}"
    paths = generate(repo, count)
    (repo / "docs").mkdir()
    (repo / "postmortems" / "index.md").write_text("# Postmortems\n")
    git(repo, "init", "-q", "-b", "main")
    batch = max(count // 20, 1)
    commit = 0
    for round_ in range(5):
        for start in range(0, count, batch):
            for path in paths[start : start + batch]:
                with path.open("a") as f:
                    f.write(f"\nRevision {round_}.\n")
            commit += 1
            git(repo, "add", "-A")
            hour = commit % 24
            git(
                repo,
                "commit",
                "-qm",
                f"Commit {commit}",
                when=f"2025-01-{1 + round_:02d}T{hour:02d}:00:00Z",
            )
    return repo


def configured_build_seconds(repo: Path, config: str) -> float:
    (repo / "mkdocs.yml").write_text(config)
    return mkdocs_build_seconds(repo)


def history_cost(repo: Path, runs: int = 3) -> float:
    """Best time of the plugin's loading step with history, minus without."""
    best = {True: float("inf"), False: float("inf")}
    for _ in range(runs):
        for with_history in (True, False):
            start = time.perf_counter()
            load_site(load_repository(repo), "restricted", with_history=with_history)
            best[with_history] = min(best[with_history], time.perf_counter() - start)
    return max(best[True] - best[False], 0.0)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--count", type=int, default=2000)
    count = parser.parse_args().count
    shutil.rmtree(OUT, ignore_errors=True)
    repo = make_repository(count)

    start = time.perf_counter()
    history = read_history(repo, repo / "postmortems")
    read_seconds = time.perf_counter() - start
    assert history is not None and len(history.files) == count + 1

    ours_build = configured_build_seconds(repo, OURS.format("true"))
    ours_cost = max(history_cost(repo), read_seconds)  # at least the log read itself
    dates_with = configured_build_seconds(repo, DATES.format(DATES_PLUGIN))
    dates_without = configured_build_seconds(repo, DATES.format(""))
    plugin_cost = dates_with - dates_without

    print(f"{count} postmortems, 5 commits each ({len(history.files)} files with history)\n")
    print(f"{'what':50} {'seconds':>8}")
    rows = [
        ("read_history (one git log, in process)", read_seconds),
        ("our site build, with history", ours_build),
        ("  of which history (loading with it minus without)", ours_cost),
        ("Material build with git-revision-date-localized", dates_with),
        ("Material build without it", dates_without),
    ]
    for name, seconds in rows:
        print(f"{name:50} {seconds:8.2f}")
    added = ours_cost / (ours_build - ours_cost)
    print(f"\nhistory adds {added:+.1%} to our build (target <= 10%)")
    print(
        f"git-revision-date-localized adds {plugin_cost:.2f} s; ours {ours_cost:.2f} s: "
        f"{plugin_cost / ours_cost:.0f}x (target >= 5x)"
    )
    print(f"{'met ' if added <= 0.10 else 'MISSED'} history adds at most 10%")
    print(
        f"{'met ' if plugin_cost >= 5 * ours_cost else 'MISSED'} at least 5x faster than the plugin"
    )


if __name__ == "__main__":
    main()
