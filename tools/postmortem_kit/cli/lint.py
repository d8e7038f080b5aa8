"""`postmortem lint`: the command pre-commit runs on every commit, so it
imports only what linting the given files needs."""

from __future__ import annotations

import datetime as dt
import sys
from pathlib import Path

import click

from postmortem_kit.cli.common import EXIT_CLEAN, EXIT_FINDINGS, repository, today_option


@click.command()
@click.argument("paths", nargs=-1, type=click.Path(path_type=Path))
@click.option(
    "--format",
    "output_format",
    type=click.Choice(["text", "json", "github"]),
    default="text",
    help="text for people, json for tools, github for workflow annotations.",
)
@click.option("--strict", is_flag=True, help="Fail on warnings too.")
@click.option("--changed", is_flag=True, help="Only postmortems that differ from --base.")
@click.option(
    "--base",
    metavar="REF",
    help="With --changed: compare with REF (default: the default branch's merge base).",
)
@today_option
def lint(
    paths: tuple[Path, ...],
    output_format: str,
    strict: bool,
    changed: bool,
    base: str | None,
    today: dt.date | None,
) -> None:
    """Check postmortems against the format.

    With no PATHS, every postmortem of the repository. With PATHS or
    --changed, only those files are reported on, but ids and related links are
    still checked against the whole repository.
    """
    from postmortem_kit.lint.report import REPORTERS
    from postmortem_kit.lint.runner import lint_repository

    repo = repository()
    # a link or a special file is linted (and reported as unsafe-file), not refused here
    missing = [p for p in paths if not (p.exists() or p.is_symlink()) or p.is_dir()]
    if missing:
        raise click.BadParameter(f"no such file: {missing[0]}", param_hint="PATHS")
    if base and not changed:
        raise click.UsageError("--base goes with --changed")
    if changed:
        paths = (*paths, *_changed(repo.postmortems_dir, base))
        if not paths:
            click.echo("No postmortem changed.")
            sys.exit(EXIT_CLEAN)
    result = lint_repository(repo, paths, base=Path.cwd(), today=today)
    for note in result.notes:
        click.echo(f"warning: {note}", err=True)
    REPORTERS[output_format](result, sys.stdout)
    failed = result.errors or (strict and result.warnings)
    sys.exit(EXIT_FINDINGS if failed else EXIT_CLEAN)


def _changed(folder: Path, base: str | None) -> list[Path]:
    from postmortem_kit.git.changes import changed_files
    from postmortem_kit.git.command import GitError

    try:
        return changed_files(Path.cwd(), folder, base)
    except GitError as e:
        raise click.UsageError(str(e)) from None
