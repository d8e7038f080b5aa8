"""`postmortem export`: the postmortems an audience may read, for other tools."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import click

from postmortem_kit.cli.common import audience_option, repository, today_option
from postmortem_kit.export import FORMATS


def _formats_help() -> str:
    return "; ".join(f"{name}: {what}" for name, what in FORMATS.items())


@click.command()
@click.option(
    "--format", "format_name", type=click.Choice(list(FORMATS)), required=True, help=_formats_help()
)
@click.option(
    "--output",
    type=click.Path(path_type=Path),
    required=True,
    help="Where to write: a folder for csv, avid, atlas and aiid; a file for jsonl and sqlite.",
)
@audience_option
@today_option
def export(format_name: str, output: Path, audience: str | None, today: dt.date | None) -> None:
    """Export the postmortems an audience may read: tables for analysts,
    records for public incident databases."""
    from postmortem_kit.export import ExportError
    from postmortem_kit.export import export as run_export
    from postmortem_kit.format.config import ConfigError
    from postmortem_kit.site.content import SiteError, choose_audience

    repo = repository()
    try:
        result = run_export(
            repo, format_name, output, choose_audience(repo.config.audience, audience), today
        )
    except (ExportError, SiteError, ConfigError) as e:
        raise click.UsageError(str(e)) from None
    for warning in result.warnings:
        click.echo(f"warning: {warning}", err=True)
    click.echo(f"Wrote {len(result.files)} file(s) to {output} ({result.postmortems} postmortems)")
