"""Hostile-input fuzzing: the linter and the site never crash or hang, on any input.

What a run proves, for --files N files generated from a seed (hostile_inputs.py:
mutations of valid postmortems, schema-driven type swaps, random bytes and
Unicode, and the known cases: alias bombs, deep nesting, duplicate keys, odd
dates, HTML, hostile links...):

1. lint: every file is read with `parse_postmortem(bytes, path)` and linted
   with `lint_postmortem` against one shared `Context`, built the way
   `lint_repository` builds it (the ids of this repository's postmortems).
   No exception may escape, and no file may take 10 s (--limit). It counts
   the files lint accepts (no error finding) and rejects, for information.
2. site: repositories made of those files (every accepted file, in sites of
   --site-size; then mixed sites of accepted and rejected files) are built
   with `load_site` + `write_pages` in-process under the same limits, and a
   few (--mkdocs) with `mkdocs build` for real. Files lint rejects are meant
   to be left out with a warning, so no file may make the build raise or hang.

Files are linted in forked worker processes (one per core), each file under a
`setitimer` alarm, with a watchdog that kills a worker stuck in C code. The
run prints its seed first and its counts last, and exits 1 when anything
crashed or hung. Each distinct failure (exception type + the innermost frame
of postmortem_kit) is saved under fuzz/out/crashes/ with its traceback, the
file (or the site's repository) and a shrunk version.

    .venv/bin/python fuzz/hostile.py --files 100000              # a new seed
    .venv/bin/python fuzz/hostile.py --files 100000 --seed 42    # the same run again
    .venv/bin/python fuzz/hostile.py --seed 42 --show 1234       # file 1234 of it, linted
    .venv/bin/python fuzz/hostile.py --replay fuzz/out/crashes/lint-01-....md
    .venv/bin/python fuzz/hostile.py --replay fuzz/out/crashes/site-01-.../ [--mkdocs 0]

A replayed file is linted in-process; a replayed folder (a saved site) is
built in-process and then by `mkdocs build` (unless --mkdocs 0). Each prints
its traceback; nothing else is needed to debug. A saved site is a complete
repository too: `cd` into it and run `mkdocs build`.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import shutil
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path
from typing import TypeVar

sys.path.insert(0, str(Path(__file__).resolve().parent))  # siblings, also when imported

from hostile_inputs import PROJECT, generate, path_of  # noqa: E402
from hostile_pool import Failure, Result, guarded, run_pool  # noqa: E402
from hostile_sites import (  # noqa: E402
    REPOSITORY_POSTMORTEMS,
    SitePlan,
    build_site,
    plan_sites,
    site_files,
    write_repository,
)
from postmortem_kit.format.collection import Collection, display_path, find_postmortem_files  # noqa: E402
from postmortem_kit.format.config import Config  # noqa: E402
from postmortem_kit.format.findings import Finding  # noqa: E402
from postmortem_kit.format.read import (  # noqa: E402
    id_only,
    parse_postmortem,
    read_id_only,
)
from postmortem_kit.format.schema import (
    SchemaValidator,  # noqa: E402
    build_schema,  # noqa: E402
)
from postmortem_kit.format.taxonomy import load_taxonomy  # noqa: E402
from postmortem_kit.lint.rules import Context  # noqa: E402
from postmortem_kit.lint.runner import lint_postmortem  # noqa: E402
from postmortem_kit.lint.selection import Selection  # noqa: E402

OUT = Path(__file__).resolve().parent / "out"
TODAY = dt.date(2026, 12, 1)  # fixed, so that a seed replays the same findings
EXAMPLES_KEPT = 3  # failures kept per distinct failure (the first is saved)


# --- lint, as lint_repository does it, from bytes ---


class Linter:
    """One shared Context for every file, built as `lint_repository` builds it.

    Its repository holds this project's postmortems and `repository` more,
    known by their id only (as `read_id_only` knows every file of a
    repository), so that the rules comparing a file with the others
    (duplicate and related ids, their did-you-mean) run at a realistic size.
    Their ids (AIPM-2024-NNNNNN) are none of the generated files' ids.
    """

    def __init__(self, today: dt.date, repository: int = 0) -> None:
        config = Config(root=PROJECT, rule_levels={"late-draft": "off"})
        self.selection = Selection.of(config)
        taxonomy = load_taxonomy(config.taxonomy)
        everything = find_postmortem_files(config.postmortems_dir)
        ours = [read_id_only(p, display_path(p, PROJECT)) for p in everything]
        others = [
            id_only(f"postmortems/2024/{i:06d}.md", f"AIPM-2024-{i:06d}") for i in range(repository)
        ]
        self.context = Context(
            collection=Collection([*ours, *others]),
            config=config,
            taxonomy=taxonomy,
            validator=SchemaValidator(build_schema(taxonomy, config.id_prefix)),
            today=today,
            now=dt.datetime.combine(today, dt.time.max, dt.UTC),
            first_commits=None,
        )

    def lint(self, raw: bytes, path: str) -> list[Finding]:
        return lint_postmortem(parse_postmortem(raw, path), self.context, self.selection)


def lint_unit(linter: Linter, seed: int, limit: float, index: int) -> Result:
    raw = generate(seed, index).raw
    run = guarded("lint", index, limit, lambda: linter.lint(raw, path_of(index)))
    if run.failure:
        return Result(index, run.seconds, None, (run.failure,))
    accepted = not any(f.level == "error" for f in run.value)
    return Result(index, run.seconds, accepted)


def site_unit(plans: list[SitePlan], options: Options, work: Path, number: int) -> Result:
    plan = plans[number]
    failures, seconds = build_site(
        number,
        site_files(plan, options.seed),
        today=options.today,
        limit=options.limit,
        mkdocs=options.mkdocs_limit if plan.mkdocs else None,
        under=work,
    )
    return Result(number, seconds, None, tuple(failures))


# --- options and counts ---


@dataclass
class Options:
    files: int = 100_000
    seed: int = 0
    workers: int = os.cpu_count() or 1
    repository: int = 1000  # generated files the lint context knows the ids of
    limit: float = 10.0
    mixed_sites: int = -1  # -1: files // 2,500, at least 2
    accepted_sites: int = 500
    site_size: int = 40
    mkdocs: int = 6
    mkdocs_limit: float = 60.0
    shrink_seconds: float = 10.0  # per distinct failure
    today: dt.date = TODAY
    out: Path = OUT
    quiet: bool = False


@dataclass
class Tally:
    """What happened, per stage: counts, and the first failures of each kind."""

    files: int = 0
    accepted: int = 0
    rejected: int = 0
    accepted_indices: list[int] = field(default_factory=list)
    sites: int = 0
    site_kinds: Counter[str] = field(default_factory=Counter)
    failures: Counter[tuple[str, str]] = field(default_factory=Counter)  # (stage, kind)
    by_signature: dict[str, list[Failure]] = field(default_factory=dict)
    counts: Counter[str] = field(default_factory=Counter)  # by signature
    slow: list[tuple[float, int]] = field(default_factory=list)  # lint seconds, file: the top 5
    seconds: float = 0.0
    saved: dict[str, str] = field(default_factory=dict)  # signature -> what was saved

    def add(self, result: Result) -> None:
        for failure in result.failures:
            self.failures[(failure.stage, failure.kind)] += 1
            self.counts[failure.signature] += 1
            kept = self.by_signature.setdefault(failure.signature, [])
            if len(kept) < EXAMPLES_KEPT:
                kept.append(failure)

    def count(self, stage: str, *kinds: str) -> int:
        return sum(self.failures[(stage, kind)] for kind in kinds)

    @property
    def failed(self) -> bool:
        return bool(self.failures)

    def summary_line(self, options: Options) -> str:
        limit, mkdocs_limit = f"{options.limit:g}", f"{options.mkdocs_limit:g}"
        return (
            f"files: {self.files}  "
            f"lint tracebacks: {self.count('lint', 'traceback', 'died')}  "
            f"lint runs over {limit} s: {self.count('lint', 'timeout')}  "
            f"accepted: {self.accepted}  rejected: {self.rejected}  "
            f"sites built: {self.sites}  "
            f"site tracebacks: {self.count('site', 'traceback', 'died')}  "
            f"site runs over {limit} s: {self.count('site', 'timeout')}  "
            f"mkdocs builds: {self.site_kinds['mkdocs']}  "
            f"mkdocs failures: {self.count('mkdocs', 'traceback', 'died')}  "
            f"mkdocs runs over {mkdocs_limit} s: {self.count('mkdocs', 'timeout')}"
        )

    def report(self, options: Options) -> str:
        lines = [""]
        if self.by_signature:
            lines.append(f"distinct failures: {len(self.by_signature)}")
            for signature, kept in sorted(self.by_signature.items()):
                first = kept[0]
                units = ", ".join(str(f.unit) for f in kept)
                noun = "file" if first.stage == "lint" else "site"
                lines.append(f"  {signature}  x{self.counts[signature]}  ({noun} {units})")
                lines.append(f"      {first.error[:160]}")
                if signature in self.saved:
                    lines.append(f"      saved: {self.saved[signature]}")
        else:
            lines.append("distinct failures: none")
        slow = ", ".join(f"file {file} {seconds:.2f} s" for seconds, file in self.slow)
        lines.append(f"slowest lint runs: {slow or 'none'}")
        lines.append(
            f"sites: {self.site_kinds['accepted']} of accepted files, "
            f"{self.site_kinds['mixed']} mixed; seed {options.seed}; {self.seconds:.0f} s"
        )
        lines.append(self.summary_line(options))
        return "\n".join(lines)


# --- the run ---


def run(options: Options) -> Tally:
    """Lint every generated file, then build the sites; the counts."""
    start = time.monotonic()
    tally = Tally()
    _say(options, f"seed: {options.seed}  (replay this run with --seed {options.seed})")
    linter = Linter(options.today, options.repository)
    lint_all(linter, options, tally)
    plans = build_sites(options, tally)
    save_failures(tally, plans, options, linter)
    tally.seconds = time.monotonic() - start
    return tally


def lint_all(linter: Linter, options: Options, tally: Tally) -> None:
    results = run_pool(
        partial(lint_unit, linter, options.seed, options.limit),
        range(options.files),
        stage="lint",
        workers=options.workers,
        hard_limit=options.limit + 20,
        batch=200,
    )
    for result in _with_progress(options, "lint", options.files, results, tally):
        tally.files += 1
        if result.accepted:
            tally.accepted += 1
            tally.accepted_indices.append(result.unit)
        elif result.accepted is False:
            tally.rejected += 1
        tally.slow = sorted([*tally.slow, (result.seconds, result.unit)], reverse=True)[:5]
        tally.add(result)


def build_sites(options: Options, tally: Tally) -> list[SitePlan]:
    mixed = options.mixed_sites if options.mixed_sites >= 0 else max(2, options.files // 2500)
    plans = plan_sites(
        options.seed,
        options.files,
        tally.accepted_indices,
        accepted_sites=options.accepted_sites,
        mixed_sites=mixed,
        size=options.site_size,
        mkdocs=options.mkdocs,
    )
    tally.site_kinds = Counter(p.kind for p in plans) + Counter(mkdocs=sum(p.mkdocs for p in plans))
    # one folder for every site's repository: a worker killed mid-site leaves nothing behind
    with tempfile.TemporaryDirectory(prefix="pm-fuzz-") as work:
        results = run_pool(
            partial(site_unit, plans, options, Path(work)),
            range(len(plans)),
            stage="site",
            workers=options.workers,
            hard_limit=options.limit + options.mkdocs_limit + 30,
            batch=1,
        )
        for result in _with_progress(options, "sites", len(plans), results, tally):
            tally.sites += 1
            tally.add(result)
    return plans


def _with_progress(
    options: Options, what: str, total: int, results: Iterable[Result], tally: Tally
) -> Iterator[Result]:
    start = last = time.monotonic()
    for done, result in enumerate(results, 1):
        yield result
        now = time.monotonic()
        if now - last > 10 or done == total:
            last = now
            failures = sum(tally.failures.values())
            progress = f"{what}: {done:,}/{total:,}, {failures} failures so far"
            _say(options, f"{progress}, {now - start:.0f} s")


def _say(options: Options, text: str) -> None:
    if not options.quiet:
        print(text, file=sys.stderr, flush=True)


# --- saving and shrinking what failed ---

T = TypeVar("T")


def shrink(items: list[T], still_fails: Callable[[list[T]], bool], deadline: float) -> list[T]:
    """Remove chunks of `items`, halving the chunk, while the failure stays."""
    chunk = max(1, len(items) // 2)
    while time.monotonic() < deadline:
        i, removed = 0, False
        while i < len(items) and time.monotonic() < deadline:
            candidate = items[:i] + items[i + chunk :]
            if candidate and still_fails(candidate):
                items, removed = candidate, True
            else:
                i += chunk
        if chunk == 1 and not removed:
            break
        chunk = max(1, chunk // 2)
    return items


def save_failures(tally: Tally, plans: list[SitePlan], options: Options, linter: Linter) -> None:
    """For each distinct failure: its first file or site, its traceback, a shrunk copy."""
    crashes = options.out / "crashes"
    shutil.rmtree(crashes, ignore_errors=True)
    if not tally.by_signature:
        return
    crashes.mkdir(parents=True)
    for number, (signature, kept) in enumerate(sorted(tally.by_signature.items()), 1):
        first = kept[0]
        parts = [first.stage, f"{number:02d}", first.error.split(":")[0], first.where]
        name = "-".join(slug for part in parts if (slug := _slug(part)))
        if first.stage == "lint":
            saved = _save_lint(crashes / name, first, options, linter)
        else:
            saved = _save_site(crashes / name, first, plans[first.unit], options)
        examples = [f.unit for f in kept]
        if first.stage == "lint":
            sample = generate(options.seed, first.unit)
            made = f"file {first.unit}: {sample.family}: {sample.recipe}"
        else:
            plan = plans[first.unit]
            made = f"site {first.unit}: {plan.kind}, files {list(plan.indices)}"
        notes = [
            signature,
            f"count: {tally.counts[signature]}; examples: {examples} (seed {options.seed})",
            made,
            f"replay: .venv/bin/python fuzz/hostile.py --replay {saved}",
            "",
            first.report,
        ]
        (crashes / f"{name}.txt").write_text("\n".join(notes), encoding="utf-8", errors="replace")
        tally.saved[signature] = f"{saved}  (+ .txt)"


def _slug(text: str) -> str:
    return "".join(c if c.isalnum() or c in "._" else "-" for c in text).strip("-")[:60]


def _relative(path: Path) -> str:
    return os.path.relpath(path, PROJECT)


def _save_lint(base: Path, first: Failure, options: Options, linter: Linter) -> str:
    sample = generate(options.seed, first.unit)
    target = base.parent / f"{base.name}.md"
    target.write_bytes(sample.raw)
    if first.kind == "traceback" and options.shrink_seconds > 0:  # a timeout: too slow to shrink
        path = path_of(first.unit)

        def still_fails(lines: list[bytes]) -> bool:
            raw = b"\n".join(lines)
            run = guarded("lint", first.unit, options.limit, lambda: linter.lint(raw, path))
            return run.failure is not None and run.failure.signature == first.signature

        deadline = time.monotonic() + options.shrink_seconds
        smallest = shrink(sample.raw.split(b"\n"), still_fails, deadline)
        (base.parent / f"{base.name}.min.md").write_bytes(b"\n".join(smallest))
    return _relative(target)


def _save_site(base: Path, first: Failure, plan: SitePlan, options: Options) -> str:
    files = site_files(plan, options.seed)
    write_repository(base, files)
    if options.shrink_seconds > 0 and first.kind == "traceback":  # a timeout: too slow to shrink
        deadline = time.monotonic() + options.shrink_seconds
        smallest = _shrink_site(files, first, options, deadline)
        write_repository(base.parent / f"{base.name}-min", smallest)
    return _relative(base) + "/"


def _shrink_site(
    files: dict[str, bytes], first: Failure, options: Options, deadline: float
) -> dict[str, bytes]:
    """The fewest files (then lines of the generated ones) that still fail the same way."""
    mkdocs = options.mkdocs_limit if first.stage == "mkdocs" else None

    def same(candidate: dict[str, bytes]) -> bool:
        failures, _ = build_site(
            first.unit, candidate, today=options.today, limit=options.limit, mkdocs=mkdocs
        )
        return any(f.signature == first.signature for f in failures)

    names = shrink(list(files), lambda names: same({n: files[n] for n in names}), deadline)
    smallest = {n: files[n] for n in names}
    for name in names:
        if name in REPOSITORY_POSTMORTEMS or time.monotonic() > deadline:
            continue

        def still_fails(lines: list[bytes], name: str = name) -> bool:
            return same({**smallest, name: b"\n".join(lines)})

        smallest[name] = b"\n".join(shrink(smallest[name].split(b"\n"), still_fails, deadline))
    return smallest


# --- replaying ---


def replay(paths: list[Path], options: Options) -> int:
    """Lint a saved file, or build a saved site, in-process; print what happens."""
    linter = Linter(options.today, options.repository)
    failures = []
    for path in paths:
        if path.is_dir():
            failures += replay_site(path, options)
        else:
            failures += replay_file(path, linter, options)
    for failure in failures:
        print(f"{failure.signature}\n{failure.report}")
    return 1 if failures else 0


def replay_file(path: Path, linter: Linter, options: Options) -> list[Failure]:
    raw = path.read_bytes()
    run = guarded("lint", 0, options.limit, lambda: linter.lint(raw, path.name))
    if run.value is not None:
        print(f"{path}: {len(run.value)} findings in {run.seconds:.3f} s")
        for f in run.value[:20]:
            print(f"  {f.line}:{f.column} {f.level} {f.rule} {f.message[:120]}")
    return [run.failure] if run.failure else []


def replay_site(path: Path, options: Options) -> list[Failure]:
    files = {
        p.relative_to(path).as_posix(): p.read_bytes()
        for p in sorted((path / "postmortems").rglob("*"))
        if p.is_file()
    }
    mkdocs = options.mkdocs_limit if options.mkdocs else None
    failures, seconds = build_site(
        0, files, today=options.today, limit=options.limit, mkdocs=mkdocs
    )
    print(f"{path}: a site of {len(files)} files, built in {seconds:.2f} s")
    return failures


def show(index: int, options: Options) -> int:
    """Write file `index` of the run with this seed under fuzz/out/, then lint it."""
    sample = generate(options.seed, index)
    options.out.mkdir(parents=True, exist_ok=True)
    target = options.out / f"generated-{options.seed}-{index}.md"
    target.write_bytes(sample.raw)
    print(f"{_relative(target)}: {sample.family}: {sample.recipe}")
    return replay([target], options)


# --- command line ---


def parse_args(argv: list[str] | None) -> tuple[Options, argparse.Namespace]:
    defaults = Options()
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--files", type=int, default=defaults.files)
    parser.add_argument("--seed", type=int, help="default: a new one, printed first")
    parser.add_argument("--workers", type=int, default=defaults.workers)
    parser.add_argument(
        "--repository", type=int, default=defaults.repository, help="ids lint compares with"
    )
    parser.add_argument("--limit", type=float, default=defaults.limit, help="s per file, site")
    parser.add_argument("--sites", type=int, default=defaults.mixed_sites, help="mixed sites")
    parser.add_argument("--accepted-sites", type=int, default=defaults.accepted_sites)
    parser.add_argument("--site-size", type=int, default=defaults.site_size)
    parser.add_argument("--mkdocs", type=int, default=defaults.mkdocs, help="sites mkdocs builds")
    parser.add_argument("--mkdocs-limit", type=float, default=defaults.mkdocs_limit)
    parser.add_argument("--shrink-seconds", type=float, default=defaults.shrink_seconds)
    parser.add_argument("--today", type=dt.date.fromisoformat, default=defaults.today)
    parser.add_argument("--out", type=Path, default=defaults.out)
    parser.add_argument("--quiet", action="store_true", help="no progress on stderr")
    parser.add_argument("--replay", type=Path, nargs="+", help="a saved file or site folder")
    parser.add_argument("--show", type=int, metavar="INDEX", help="write and lint file INDEX")
    args = parser.parse_args(argv)
    options = Options(
        files=args.files,
        seed=args.seed if args.seed is not None else int.from_bytes(os.urandom(4), "big"),
        workers=max(1, args.workers),
        repository=args.repository,
        limit=args.limit,
        mixed_sites=args.sites,
        accepted_sites=args.accepted_sites,
        site_size=args.site_size,
        mkdocs=args.mkdocs,
        mkdocs_limit=args.mkdocs_limit,
        shrink_seconds=args.shrink_seconds,
        today=args.today,
        out=args.out,
        quiet=args.quiet,
    )
    return options, args


def main(argv: list[str] | None = None) -> int:
    options, args = parse_args(argv)
    if args.replay:
        return replay(args.replay, options)
    if args.show is not None:
        return show(args.show, options)
    tally = run(options)
    print(tally.report(options))
    return 1 if tally.failed else 0


if __name__ == "__main__":
    sys.exit(main())
