"""Export benchmark: `postmortem export --format sqlite` against `postmortem lint`.

    python bench/export_bench.py [--count 5000] [--rounds 3]

Generates COUNT synthetic postmortems under bench/out/export/ (bench/generate.py),
then times, each as its own process, in rounds of one lint then one export (so
both see the machine in the same state):

- postmortem lint: every rule, over every file;
- postmortem export --format sqlite --audience restricted: every postmortem
  read, linted (an export takes only what lint accepts), turned into tables
  and written with sqlite-utils, full-text index and Datasette metadata included.

Target: the export takes at most twice the time lint takes. The ratio is the
median of the rounds' ratios; the best times are shown too.
"""

from __future__ import annotations

import argparse
import shutil
import sqlite3
import statistics
import sys
from pathlib import Path

from generate import AS_OF, generate
from measure import best_of

OUT = Path(__file__).parent / "out" / "export"
BIN = Path(sys.executable).parent
TARGET = 2.0
TABLES = ("postmortems", "actions", "root_causes", "controls", "approvals", "references")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--count", type=int, default=5000)
    parser.add_argument("--rounds", type=int, default=3)
    options = parser.parse_args()

    shutil.rmtree(OUT, ignore_errors=True)
    repo = OUT / f"repo-{options.count}"
    generate(repo, options.count)
    database = OUT / "postmortems.db"
    lint = [str(BIN / "postmortem"), "lint", "--today", AS_OF.isoformat()]
    export = [
        *(str(BIN / "postmortem"), "export", "--format", "sqlite"),
        *("--output", str(database), "--audience", "restricted", "--today", AS_OF.isoformat()),
    ]

    rounds = []
    for _ in range(options.rounds):
        # exit 1 would be findings, not a failure; a later export replaces the earlier one
        linted = best_of(lint, repo, 1, ok=(0, 1))
        exported = best_of(export, repo, 1)
        rounds.append((linted, exported))
        print(f"round: lint {linted:.2f} s, export {exported:.2f} s, {exported / linted:.2f}x")

    connection = sqlite3.connect(database)
    rows = {t: connection.execute(f'select count(*) from "{t}"').fetchone()[0] for t in TABLES}
    connection.close()
    ratio = statistics.median(exported / linted for linted, exported in rounds)
    best_lint, best_export = min(r[0] for r in rounds), min(r[1] for r in rounds)

    print(f"\n{options.count} synthetic postmortems; database {database.stat().st_size:,} bytes")
    print("rows: " + ", ".join(f"{table} {count:,}" for table, count in rows.items()))
    print(f"\n{'what':40} {'best, s':>8}")
    print(f"{'postmortem lint (all rules)':40} {best_lint:8.2f}")
    print(f"{'postmortem export --format sqlite':40} {best_export:8.2f}")
    low, high = min(e / li for li, e in rounds), max(e / li for li, e in rounds)
    print(f"\nexport / lint: {ratio:.2f}x, median of {len(rounds)} rounds ({low:.2f}-{high:.2f});")
    print(f"best export / best lint: {best_export / best_lint:.2f}x")
    met = ratio <= TARGET
    print(f"{'met ' if met else 'MISSED'} export to SQLite <= {TARGET:g}x lint")


if __name__ == "__main__":
    main()
