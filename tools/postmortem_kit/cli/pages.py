"""`postmortem pages`: the site's pages as Markdown, for a builder other than MkDocs."""

from __future__ import annotations

from pathlib import Path

import click

from postmortem_kit.cli.common import audience_option, repository
from postmortem_kit.export.downloads import DOWNLOADS


@click.command()
@click.option("--out", type=click.Path(path_type=Path), required=True, help="Folder to write to.")
@audience_option
@click.option(
    "--download",
    "downloads",
    type=click.Choice(list(DOWNLOADS)),
    multiple=True,
    help="Also write incidents.csv (csv) or incidents.db (sqlite), as the plugin's "
    "`downloads` option does. Repeat for both.",
)
def pages(out: Path, audience: str | None, downloads: tuple[str, ...]) -> None:
    """Write the site's pages as Markdown, for a builder other than MkDocs."""
    from postmortem_kit.export.downloads import download_files
    from postmortem_kit.format.config import ConfigError
    from postmortem_kit.site.content import SiteError, choose_audience, load_site, write_pages

    repo = repository()
    try:
        content = load_site(repo, choose_audience(repo.config.audience, audience))
    except (SiteError, ConfigError) as e:
        raise click.UsageError(str(e)) from None
    for warning in content.warnings:
        click.echo(f"warning: {warning}", err=True)
    count = write_pages(content, out)
    for name, data in download_files(content.aggregate, downloads).items():
        (out / name).write_bytes(data)
    click.echo(
        f"Wrote {count} pages and incidents.json to {out} "
        f"({len(content.incidents)} postmortems, audience {content.audience})"
    )
