"""Lint benchmark: `postmortem lint` against check-jsonschema and the parse floor.

    python bench/lint_bench.py [--count 5000]

Generates COUNT synthetic postmortems under bench/out/, then times, each as
its own process and best of three:

- floor: read every file and YAML-parse its front matter (libyaml), nothing else;
- postmortem lint: every rule, over every file;
- check-jsonschema: the same schema over the same front matter, as YAML files;
- one file (the pre-commit case): `postmortem lint FILE` and check-jsonschema on
  it, in a repository of 100 postmortems and in this one of COUNT.
"""

from __future__ import annotations

import argparse
import shutil
import subprocess
import sys
from pathlib import Path

from generate import AS_OF, generate
from measure import best_of

OUT = Path(__file__).parent / "out"
SCHEMA = Path(__file__).parent.parent / "schema" / "postmortem.schema.json"
BIN = Path(sys.executable).parent

FLOOR = """
import sys, yaml
for path in sys.argv[1:]:
    text = open(path, encoding="utf-8").read()
    yaml.load(text.split("\\n---\\n", 1)[0][4:], Loader=yaml.CSafeLoader)
"""


def timed(command: list[str], cwd: Path, runs: int = 3) -> float:
    return best_of(command, cwd, runs, ok=(0, 1))  # exit 1 is findings, not a failure


def lint(*paths: str) -> list[str]:
    return [str(BIN / "postmortem"), "lint", "--today", AS_OF.isoformat(), *paths]


def check_jsonschema(paths: list[Path]) -> list[str]:
    return [str(BIN / "check-jsonschema"), "--schemafile", str(SCHEMA), *map(str, paths)]


def front_matter_files(paths: list[Path], folder: Path) -> list[Path]:
    folder.mkdir(parents=True, exist_ok=True)
    written = []
    for path in paths:
        target = folder / (path.stem + ".yaml")
        target.write_text(path.read_text(encoding="utf-8").split("\n---\n", 1)[0][4:])
        written.append(target)
    return written


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--count", type=int, default=5000)
    count = parser.parse_args().count

    shutil.rmtree(OUT / "lint", ignore_errors=True)
    repo, small = OUT / "lint" / f"repo-{count}", OUT / "lint" / "repo-100"
    paths = generate(repo, count)
    generate(small, 100)
    yamls = front_matter_files(paths, OUT / "lint" / "front-matter")
    relative = [str(p.relative_to(repo)) for p in paths]
    check = subprocess.run(lint(), cwd=repo, capture_output=True, text=True)
    print(f"{count} synthetic postmortems; postmortem lint says: {check.stdout.splitlines()[-1]}")

    floor = timed([sys.executable, "-c", FLOOR, *relative], repo)
    ours = timed(lint(), repo)
    theirs = timed(check_jsonschema(yamls), repo, runs=1)  # about a minute a run
    one = relative[count // 2]
    one_small = timed(lint(str(next((small / "postmortems").rglob("*.md")))), small, runs=5)
    one_large = timed(lint(one), repo, runs=5)
    one_theirs = timed(check_jsonschema(yamls[count // 2 : count // 2 + 1]), repo, runs=5)

    rows = [
        ("read + YAML-parse floor", floor, ""),
        ("postmortem lint (all rules)", ours, f"{ours / floor:.1f}x floor (target <= 3x)"),
        ("check-jsonschema (schema only)", theirs, f"{theirs / ours:.1f}x ours (target >= 5x)"),
        ("one file, repo of 100", one_small, "target < 0.3 s, and faster than check-jsonschema"),
        (f"one file, repo of {count}", one_large, "the other files' ids come from the cache"),
        ("check-jsonschema, one file", one_theirs, ""),
    ]
    print(f"\n{'what':34} {'seconds':>8}  comparison")
    for name, seconds, note in rows:
        print(f"{name:34} {seconds:8.2f}  {note}")
    verdicts = {
        "lint <= 3x floor": ours <= 3 * floor,
        "lint >= 5x faster than check-jsonschema": theirs >= 5 * ours,
        "one file < 0.3 s": one_small < 0.3,
        "one file faster than check-jsonschema": one_small < one_theirs,
    }
    print()
    for target, met in verdicts.items():
        print(f"{'met ' if met else 'MISSED'} {target}")


if __name__ == "__main__":
    main()
