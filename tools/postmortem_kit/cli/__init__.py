"""The `postmortem` command: one module per command, each importing what it
needs only when it runs (pre-commit starts `postmortem lint` on every commit)."""

from __future__ import annotations

import io
from collections.abc import Sequence

import click

from postmortem_kit.cli import actions, export, info, lint, new, pages, similar
from postmortem_kit.cli.common import EXIT_CLEAN, EXIT_USAGE
from postmortem_kit.format.findings import printable


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="postmortem-kit")
def cli() -> None:
    """Write, lint and publish postmortems of AI incidents."""


for command in (
    lint.lint,
    new.new,
    info.schema,
    pages.pages,
    actions.actions,
    export.export,
    similar.similar,
    info.template,
    info.rules,
    info.taxonomy,
):
    cli.add_command(command)


def main(argv: Sequence[str] | None = None) -> int:
    try:
        cli.main(args=argv, prog_name="postmortem", standalone_mode=False)
    except click.exceptions.Abort:
        click.echo("Aborted.", err=True)
        return EXIT_USAGE
    except click.ClickException as e:
        shown = io.StringIO()
        e.show(file=shown)  # messages quote file names and values: escape what a terminal runs
        click.echo("\n".join(map(printable, shown.getvalue().split("\n"))), err=True, nl=False)
        return EXIT_USAGE
    except SystemExit as e:
        return int(e.code or 0)
    return EXIT_CLEAN
