"""Site benchmark: the postmortems plugin against a plain Material build.

    python bench/site_bench.py [--counts 1000 5000] [--runs 5]

For each count, generates that many synthetic postmortems under bench/out/,
then builds both, each build its own process, in --runs rounds of one plain
build followed by one of ours:

- plain: Material with the search plugin over the same Markdown files copied
  into docs/, with a one-page nav (the fastest MkDocs can be on them);
- ours: Material with search and the postmortems plugin, building every
  postmortem page and every index page from postmortems/.

It prints the best time of each, and the ratio ours/plain as the median of
the rounds' ratios: on a machine whose speed drifts, two builds run one after
the other compare better than two best times taken minutes apart.
"""

from __future__ import annotations

import argparse
import shutil
import statistics
from pathlib import Path

from generate import generate
from measure import mkdocs_build_rounds

OUT = Path(__file__).parent / "out" / "site"
THEME = "theme:\n  name: material\n  font: false\n"
PLAIN = "site_name: plain\n" + THEME + "plugins:\n  - search\nnav:\n  - index.md\n"
OURS = "site_name: ours\n" + THEME + "plugins:\n  - search\n  - postmortems\n"


def prepare(count: int) -> tuple[Path, Path]:
    ours = OUT / f"ours-{count}"
    paths = generate(ours, count)
    (ours / "docs").mkdir(exist_ok=True)
    (ours / "mkdocs.yml").write_text(OURS)
    plain = OUT / f"plain-{count}"
    (plain / "docs").mkdir(parents=True)
    for path in paths:
        shutil.copy(path, plain / "docs" / path.name)
    (plain / "docs" / "index.md").write_text("# Postmortems\n")
    (plain / "mkdocs.yml").write_text(PLAIN)
    return plain, ours


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--counts", type=int, nargs="+", default=[1000, 5000])
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    counts = args.counts
    shutil.rmtree(OUT, ignore_errors=True)
    best, ratio = {}, {}
    print(f"{'postmortems':>12} {'plain s':>9} {'ours s':>8} {'ours/plain':>11}  (rounds)")
    for count in counts:
        rounds = mkdocs_build_rounds(*prepare(count), rounds=args.runs)
        plain_s, ours_s = best[count] = [min(times) for times in zip(*rounds, strict=True)]
        ratios = [ours / plain for plain, ours in rounds]
        ratio[count] = statistics.median(ratios)
        print(
            f"{count:>12} {plain_s:9.1f} {ours_s:8.1f} {ratio[count]:10.2f}x"
            f"  ({min(ratios):.2f}-{max(ratios):.2f})"
        )
    if 1000 in ratio:
        print(
            f"\n{'met ' if ratio[1000] <= 1.5 else 'MISSED'} "
            "ours at 1,000 within 1.5x the plain build"
        )
    if 1000 in best and 5000 in best:
        growth = best[5000][1] / best[1000][1]
        print(
            f"{'met ' if growth <= 5.5 else 'MISSED'} ours at 5,000 is {growth:.2f}x "
            "ours at 1,000 (target <= 5.5x)"
        )


if __name__ == "__main__":
    main()
