"""Running the rules over postmortems and deciding each finding's level."""

from __future__ import annotations

import datetime as dt
import os
import re
import threading
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path
from typing import Any, NamedTuple, TypeVar

from postmortem_kit.format.collection import (
    Collection,
    bulk_reading,
    display_path,
    is_postmortem_file,
    postmortem_file_names,
    read_summaries,
    stand_ins,
    summaries_cache,
)
from postmortem_kit.format.findings import Finding
from postmortem_kit.format.read import Postmortem, read_postmortem
from postmortem_kit.format.summary import read_summary
from postmortem_kit.git.history import SHALLOW_WARNING
from postmortem_kit.lint.rules import RULES, Context
from postmortem_kit.lint.rules.base import Problem, Rule
from postmortem_kit.lint.rules.repository import compared_with
from postmortem_kit.lint.rules.sensitive import secrets_in
from postmortem_kit.lint.selection import OFF, Selection
from postmortem_kit.repository import Repository


class LintResult(NamedTuple):
    files_checked: int
    findings: list[Finding]
    notes: tuple[str, ...] = ()  # about the run, not a file (e.g. a shallow clone)

    @property
    def errors(self) -> int:
        return sum(1 for f in self.findings if f.level == "error")

    @property
    def warnings(self) -> int:
        return sum(1 for f in self.findings if f.level == "warning")


def lint_repository(
    repository: Repository,
    paths: Iterable[Path] = (),
    *,
    base: Path,
    today: dt.date | None = None,
) -> LintResult:
    """Lint `paths` (every postmortem when empty) against the whole collection.

    Repository-wide rules (duplicate ids, related links, similar postmortems)
    need something of every other file, so the collection holds a stand-in
    with the id of every file of the folder and of the given files, and the
    summaries (`read_summaries`, cached) of those unlinked-similar may compare
    the linted files with; only the files reported on are read in full. When
    each file was first committed is read from git only when a rule that
    needs it is on.
    """
    selection = Selection.of(repository.config)
    if any(rule.needs_history and selection.is_on(rule) for rule in RULES.values()):
        # git works on the log while we read the files (and the CPU has two cores)
        reading = threading.Thread(target=lambda: repository.first_commits)
        reading.start()
    else:
        reading = None
    with bulk_reading():
        everything = postmortem_file_names(repository.postmortems_dir)
        if paths:
            targets = [p for p in paths if is_postmortem_file(p)]
            every_file = list(dict.fromkeys([*everything, *map(os.path.abspath, targets)]))
        else:
            targets, every_file = [Path(p) for p in everything], everything
        cache = summaries_cache(repository.postmortems_dir)
        every_summary = read_summaries(every_file, base, cache, targets)
        compared = every_summary
        if paths:  # the window from the linted files themselves: the cache is not trusted
            linted = [read_summary(path, display_path(path, base)) for path in targets]
            compared = compared_with(every_summary, linted, repository.config)
        if reading:
            reading.join()
        history = repository.first_commits if reading and targets else None
        files = history.by_display_path(base, targets) if history else None
        collection = stand_ins(every_summary, compared)
        context = lint_context(repository, collection, today, files)
        findings = _lint_files(targets, _Job(context, selection, repository.root, base))
    notes = (SHALLOW_WARNING,) if history and history.shallow else ()
    return LintResult(len(targets), findings, notes)


def lint_context(
    repository: Repository,
    collection: Collection,
    today: dt.date | None = None,
    first_commits: dict[str, dt.datetime] | None = None,
) -> Context:
    """What the rules consult; without `first_commits`, rules that need git are skipped."""
    now = dt.datetime.combine(today, dt.time.max, dt.UTC) if today else dt.datetime.now(dt.UTC)
    return Context(
        collection=collection,
        config=repository.config,
        taxonomy=repository.taxonomy,
        validator=repository.validator,
        today=today or dt.date.today(),
        now=now,
        first_commits=first_commits,
    )


def accepts(postmortem: Postmortem, context: Context, selection: Selection) -> bool:
    """Whether lint passes the file: it reads, it follows the schema, and no rule
    reports an error. The site publishes only such files, so nothing lint lets
    through can break a build; the schema holds whatever the configuration says."""
    return (
        postmortem.readable
        and context.validator.is_valid(postmortem.data)
        and not any(
            f.level == "error"
            for f in lint_postmortem(postmortem, context, selection, errors_only=True)
        )
    )


class _Job(NamedTuple):
    context: Context
    selection: Selection
    root: Path
    base: Path


PARALLEL_FROM = 400  # below this, starting worker processes costs more than it saves
T = TypeVar("T")
R = TypeVar("R")
_task: Callable[[Any], list[Any]] | None = None  # what a forked worker runs


def can_fork() -> bool:
    """Whether forked processes can save time, and safely: a second core,
    `fork`, no other thread (`mkdocs serve` runs some), whose locks a forked
    child could inherit held and wait on for ever, and not a daemonic process
    itself (a worker of a pool, which multiprocessing forbids children)."""
    import multiprocessing as mp  # only a large run asks (3 ms of every commit)

    return (
        (os.cpu_count() or 1) > 1
        and "fork" in mp.get_all_start_methods()
        and threading.active_count() == 1
        and not mp.current_process().daemon
    )


def shared_out(task: Callable[[list[T]], list[R]], items: Sequence[T]) -> list[R]:
    """`task` over `items` in batches, shared out over the CPU cores.

    The workers are forked: they inherit `task` with what it closes over (the
    taxonomy, the compiled schema, the collection) instead of rebuilding it,
    and send back only each batch's results, in order. A small run, or one
    where forking is not safe (`can_fork`), runs here.
    """
    global _task
    if len(items) < PARALLEL_FROM or not can_fork():
        return task(list(items))
    import multiprocessing as mp

    workers = min(os.cpu_count() or 1, 8)
    size = -(-len(items) // (workers * 4))
    batches = [list(items[i : i + size]) for i in range(0, len(items), size)]
    _task = task
    try:
        with mp.get_context("fork").Pool(workers) as pool:
            return [result for results in pool.imap(_run_batch, batches) for result in results]
    finally:
        _task = None


def _run_batch(batch: list[Any]) -> list[Any]:
    assert _task is not None, "a worker runs a batch only when forked by shared_out"
    return _task(batch)


def _lint_files(paths: list[Path], job: _Job) -> list[Finding]:
    """Read and lint each file; a large run is shared out over the CPU cores."""
    return shared_out(
        lambda batch: [
            finding
            for path in batch
            for finding in lint_postmortem(
                read_postmortem(path, display_path(path, job.base), root=job.root),
                job.context,
                job.selection,
            )
        ],
        paths,
    )


def lint_postmortem(
    postmortem: Postmortem, context: Context, selection: Selection, errors_only: bool = False
) -> list[Finding]:
    """The file's findings; with `errors_only`, rules that cannot report an
    error under `selection` are not run (whether a file passes is all it says)."""
    found = list(postmortem.problems)
    for rule in RULES.values():
        if rule.check is None or (rule.needs_front_matter and not postmortem.readable):
            continue
        if errors_only and not selection.may_fail(rule):
            continue
        if rule.needs_history and context.first_commits is None:
            continue
        for problem in rule.check(postmortem, context):
            found.append(_finding(postmortem, rule, problem))
    if any(f.rule == "secret" for f in found):
        found = _without_secrets(found, secrets_in(postmortem.text))
    return sorted(_selected(_without_repeats(found), selection), key=lambda f: f.sort_key)


def _finding(postmortem: Postmortem, rule: Rule, problem: Problem) -> Finding:
    rule_id = problem.rule or rule.id
    if rule_id != rule.id and rule_id not in rule.reports:
        raise AssertionError(f"rule {rule.id} reported {rule_id!r} without declaring it")
    level = problem.level or RULES[rule_id].level
    return Finding(postmortem.path, problem.line, problem.column, level, rule_id, problem.message)


SECRET_MARK = "[secret]"
_WORD = re.compile(r"[A-Za-z0-9+/=_.~-]{8,}")
SHORTEST_PIECE = 8  # a message may show a value cut short (schema shows 57 characters)


def _without_secrets(findings: list[Finding], secrets: list[str]) -> list[Finding]:
    """Other rules' messages with each secret, whole or cut short, replaced by a mark.

    The `secret` rule never repeats what it found, but a rule that quotes a value
    (schema, unknown-key, unknown-related…) would: and lint logs end up in CI logs,
    which are a place secrets leak. Hiding a few characters too many is the cheaper
    mistake, in a file that fails lint anyway.
    """
    # each secret whole, and each word of it: a message may quote the value
    # without the keyword the rule matched (`password: …`), or as JSON
    pieces = {piece for secret in secrets for piece in (secret, *_WORD.findall(secret))}
    secrets = sorted(pieces, key=len, reverse=True)  # longer ones first
    return [
        f if f.rule == "secret" else f._replace(message=_hidden(f.message, secrets))
        for f in findings
    ]


def _hidden(message: str, secrets: list[str]) -> str:
    for secret in secrets:
        head = secret[:SHORTEST_PIECE]
        start = message.find(head)
        while start != -1:
            end = start + len(os.path.commonprefix([secret, message[start:]]))
            message = message[:start] + SECRET_MARK + message[end:]
            start = message.find(head, start + len(SECRET_MARK))
    return message


def _without_repeats(findings: list[Finding]) -> list[Finding]:
    """No schema finding where a more precise rule spoke about the same node."""
    taken = {(f.line, f.column) for f in findings if RULES[f.rule].outranks_schema}
    return [f for f in findings if f.rule != "schema" or (f.line, f.column) not in taken]


def _selected(findings: list[Finding], selection: Selection) -> Iterable[Finding]:
    for finding in findings:
        level = selection.level(finding.rule, finding.level)
        if level != OFF and not selection.ignored(finding.path, finding.rule):
            yield finding._replace(level=level)
