"""Site benchmark: the postmortems plugin against a plain Material build.

    python bench/site_bench.py [--counts 1000 5000] [--runs 3]

For each count, generates that many synthetic postmortems under bench/out/,
then times (best of --runs, each build its own process, plain and ours
taking turns):

- plain: Material with the search plugin over the same Markdown files copied
  into docs/, with a one-page nav (the fastest MkDocs can be on them);
- ours: Material with search and the postmortems plugin, building every
  postmortem page and every index page from postmortems/.
"""

from __future__ import annotations

import argparse
import shutil
from pathlib import Path

from generate import generate
from measure import mkdocs_build_seconds

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
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    counts = args.counts
    shutil.rmtree(OUT, ignore_errors=True)
    results = {}
    print(f"{'postmortems':>12} {'plain s':>9} {'ours s':>8} {'ours/plain':>11}")
    for count in counts:
        plain, ours = prepare(count)
        p, o = results[count] = mkdocs_build_seconds(plain, ours, runs=args.runs)
        print(f"{count:>12} {p:9.1f} {o:8.1f} {o / p:10.2f}x")
    if 1000 in results:
        plain_1000, ours_1000 = results[1000]
        print(
            f"\n{'met ' if ours_1000 <= 1.5 * plain_1000 else 'MISSED'} "
            "ours at 1,000 within 1.5x the plain build"
        )
        if 5000 in results:
            ratio = results[5000][1] / ours_1000
            print(
                f"{'met ' if ratio <= 5.5 else 'MISSED'} ours at 5,000 is {ratio:.2f}x "
                "ours at 1,000 (target <= 5.5x)"
            )


if __name__ == "__main__":
    main()
