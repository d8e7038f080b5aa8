"""Pre-commit benchmark: `postmortem lint FILE` in a large committed repository.

    python bench/precommit_bench.py [--files 2000] [--runs 9]

Generates FILES synthetic postmortems under bench/out/, in a git repository
where each file was changed in 5 commits (5 commits, each touching every file),
with the rules at their defaults (so `late-draft` reads the history, as in a
real repository). Then times, each as its own process started from the
repository root as pre-commit starts it, the median of RUNS runs of:

- floor: `python -c pass`, the interpreter alone;
- `postmortem lint FILE` on one file;
- `check-jsonschema --schemafile schema/postmortem.schema.json` on the same file's
  front matter. check-jsonschema cannot read Markdown front matter, so the YAML
  is extracted to a .yaml file beforehand, outside the timing.

Each command runs once before the timing, and bytecode is cached (under
bench/out/pycache, even where PYTHONDONTWRITEBYTECODE is set), as in the
virtual environment pre-commit installs a hook into.
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path

from generate import AS_OF, generate
from measure import git

OUT = Path(__file__).parent / "out" / "precommit"
SCHEMA = Path(__file__).parent.parent / "schema" / "postmortem.schema.json"
BIN = Path(sys.executable).parent
COMMITS = 5
# The rules at their defaults: late-draft on, so the history is read.
PYPROJECT = '[tool.postmortem]\nid_prefix = "AIPM"\n'
MAX_SECONDS = 0.150
MIN_SPEEDUP = 3.0
# Bytecode cached, as pre-commit's hook environments have it; kept out of the source tree.
ENV = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"} | {
    "PYTHONPYCACHEPREFIX": str(OUT.parent / "pycache")
}


def make_repository(count: int) -> tuple[Path, list[Path]]:
    """COUNT postmortems, each changed in COMMITS commits: few commits, each touching
    every file, give every file the history a repository of many commits would."""
    repo = OUT / f"repo-{count}"
    paths = generate(repo, count)
    (repo / "pyproject.toml").write_text(PYPROJECT)
    git(repo, "init", "-q", "-b", "main")
    git(repo, "config", "gc.auto", "0")  # no gc in the background while timing
    for commit in range(COMMITS):
        if commit:
            for path in paths:
                with path.open("a", encoding="utf-8") as f:
                    f.write(f"\nRevision {commit}.\n")
        git(repo, "add", "-A")
        git(repo, "commit", "-qm", f"Commit {commit + 1}", when=f"2025-01-0{1 + commit}T12:00:00Z")
    git(repo, "gc", "-q")  # packed, as a cloned repository is
    return repo, paths


def front_matter_file(path: Path, folder: Path) -> Path:
    """The front matter of `path` as a .yaml file, for check-jsonschema."""
    folder.mkdir(parents=True, exist_ok=True)
    target = folder / (path.stem + ".yaml")
    target.write_text(path.read_text(encoding="utf-8").split("\n---\n", 1)[0][4:])
    return target


def run_seconds(command: list[str], cwd: Path) -> float:
    """How long one run takes, as its own process; exit 1 is findings, not a failure."""
    start = time.perf_counter()
    done = subprocess.run(command, cwd=cwd, env=ENV, capture_output=True, text=True)
    took = time.perf_counter() - start
    if done.returncode not in (0, 1) or "Traceback" in done.stderr:
        sys.exit(f"{' '.join(command[:4])} failed in {cwd}:\n{done.stderr[-3000:]}")
    return took


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--files", type=int, default=2000, help="postmortems in the repository")
    parser.add_argument("--runs", type=int, default=9, help="runs of each command (median)")
    args = parser.parse_args()

    shutil.rmtree(OUT, ignore_errors=True)
    started = time.perf_counter()
    repo, paths = make_repository(args.files)
    one = paths[len(paths) // 2]
    relative = one.relative_to(repo).as_posix()
    front_matter = front_matter_file(one, OUT / "front-matter")
    print(
        f"{args.files} synthetic postmortems, {COMMITS} commits each, "
        f"made in {time.perf_counter() - started:.0f} s; the file: {relative}"
    )

    ours = [str(BIN / "postmortem"), "lint", "--today", AS_OF.isoformat(), relative]
    theirs = [str(BIN / "check-jsonschema"), "--schemafile", str(SCHEMA), str(front_matter)]
    check = subprocess.run(ours, cwd=repo, env=ENV, capture_output=True, text=True)
    if "1 file checked" not in check.stdout:
        sys.exit(f"postmortem lint did not run:\n{check.stdout[-1000:]}{check.stderr[-3000:]}")
    print(f"postmortem lint says: {check.stdout.strip().splitlines()[-1]}")
    print(
        "check-jsonschema reads the file's front matter, extracted beforehand (not timed) "
        f"to {front_matter.relative_to(OUT)}: it cannot read Markdown front matter\n"
    )

    commands = [[sys.executable, "-c", "pass"], ours, theirs]
    for command in commands:  # bytecode written, files in the page cache
        run_seconds(command, repo)
    # interleaved, so that the machine's drift touches each command alike
    runs = [[run_seconds(command, repo) for command in commands] for _ in range(args.runs)]
    medians = [statistics.median(times) for times in zip(*runs, strict=True)]
    bests = [min(times) for times in zip(*runs, strict=True)]
    floor, lint, schema = medians
    speedup = schema / lint

    print(f"{'what (' + str(args.runs) + ' runs)':42} {'median ms':>9} {'best ms':>8}  target")
    names = ["python -c pass (floor)", "postmortem lint FILE", "check-jsonschema, same YAML"]
    targets = ["", f"<= {MAX_SECONDS * 1000:.0f} ms", ""]
    for name, median, best, target in zip(names, medians, bests, targets, strict=True):
        print(f"{name:42} {median * 1000:9.0f} {best * 1000:8.0f}  {target}")
    ratio = f"{speedup:.1f}x"
    print(f"{'check-jsonschema / postmortem lint':42} {ratio:>9} {'':8}  >= {MIN_SPEEDUP:.0f}x")
    print()
    verdicts = [
        (lint <= MAX_SECONDS, f"one file in at most {MAX_SECONDS * 1000:.0f} ms"),
        (speedup >= MIN_SPEEDUP, f"at least {MIN_SPEEDUP:.0f}x faster than check-jsonschema"),
    ]
    for met, target in verdicts:
        print(f"{'pass' if met else 'FAIL'}  {target}")


if __name__ == "__main__":
    main()
