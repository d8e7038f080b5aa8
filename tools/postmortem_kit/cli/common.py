"""What the commands share: the repository they run in, exit codes, date options."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import click

from postmortem_kit.format.config import ConfigError
from postmortem_kit.format.vocabulary import VISIBILITIES
from postmortem_kit.repository import Repository, load_repository

EXIT_CLEAN, EXIT_FINDINGS, EXIT_USAGE = 0, 1, 2


def repository() -> Repository:
    """The repository around the working directory; a bad configuration, a rule
    name it gets wrong included, is a usage error whatever the command."""
    from postmortem_kit.lint.selection import Selection

    try:
        repo = load_repository(Path.cwd())
        Selection.of(repo.config)
    except ConfigError as e:
        raise click.UsageError(str(e)) from None
    return repo


def date_option(ctx: click.Context, param: click.Parameter, value: str | None) -> dt.date | None:
    if value is None:
        return None
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        raise click.BadParameter(f"'{value}' is not a date like 2026-03-02") from None


today_option = click.option(
    "--today", callback=date_option, metavar="DATE", help="Judge due dates as of DATE."
)

audience_option = click.option(
    "--audience",
    type=click.Choice(VISIBILITIES),
    help="Who may read it (default: $POSTMORTEM_AUDIENCE, else `audience` in pyproject.toml, "
    "else internal).",
)
