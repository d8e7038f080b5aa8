"""The `postmortem` command."""

from __future__ import annotations

import datetime as dt
import sys
from collections.abc import Sequence
from pathlib import Path

import click

from postmortem_kit.config import Config, ConfigError, find_root, load_config
from postmortem_kit.taxonomy import Taxonomy, TaxonomyError, load_taxonomy

EXIT_CLEAN, EXIT_FINDINGS, EXIT_USAGE = 0, 1, 2


class Repository:
    """The repository the command runs in: its configuration and taxonomy."""

    def __init__(self) -> None:
        from postmortem_kit.rules import RULES

        self.root = find_root(Path.cwd())
        self.config: Config = load_config(self.root, set(RULES))
        self.taxonomy: Taxonomy = load_taxonomy(self.config.taxonomy)


def _repository() -> Repository:
    try:
        return Repository()
    except (ConfigError, TaxonomyError) as e:
        raise click.UsageError(str(e)) from None


def _date(ctx: click.Context, param: click.Parameter, value: str | None) -> dt.date | None:
    if value is None:
        return None
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        raise click.BadParameter(f"'{value}' is not a date like 2026-03-02") from None


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="postmortem-kit")
def cli() -> None:
    """Write, lint and publish postmortems of AI incidents."""


@cli.command()
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
@click.option("--today", callback=_date, metavar="DATE", help="Judge due dates as of DATE.")
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
    from postmortem_kit.history import GitError, changed_files
    from postmortem_kit.lint import lint_repository
    from postmortem_kit.report import REPORTERS

    repository = _repository()
    missing = [p for p in paths if not p.is_file()]
    if missing:
        raise click.BadParameter(f"no such file: {missing[0]}", param_hint="PATHS")
    if base and not changed:
        raise click.UsageError("--base goes with --changed")
    if changed:
        try:
            paths = (*paths, *changed_files(Path.cwd(), repository.config.postmortems_dir, base))
        except GitError as e:
            raise click.UsageError(str(e)) from None
        if not paths:
            click.echo("No postmortem changed.")
            sys.exit(EXIT_CLEAN)
    result = lint_repository(
        repository.config, paths, base=Path.cwd(), today=today, taxonomy=repository.taxonomy
    )
    for note in result.notes:
        click.echo(f"warning: {note}", err=True)
    REPORTERS[output_format](result, sys.stdout)
    failed = result.errors or (strict and result.warnings)
    sys.exit(EXIT_FINDINGS if failed else EXIT_CLEAN)


@cli.command()
@click.option("--title", help="One line: what went wrong, where.")
@click.option("--severity", type=click.Choice(["near-miss", "low", "medium", "high", "critical"]))
@click.option(
    "--type",
    "incident_types",
    multiple=True,
    metavar="SLUG",
    help="An incident type (repeatable); see `postmortem taxonomy`.",
)
@click.option("--reported-by", help="The team or person who reported it.")
@click.option("--identified", callback=_date, metavar="DATE", help="Default: today.")
def new(
    title: str | None,
    severity: str | None,
    incident_types: tuple[str, ...],
    reported_by: str | None,
    identified: dt.date | None,
) -> None:
    """Start a draft postmortem with the next free id.

    Asks for what is not given as an option; in a script, give them all.
    """
    from postmortem_kit.collection import display_path, find_postmortem_files, load_collection
    from postmortem_kit.history import ids_on_all_branches
    from postmortem_kit.new import next_id, render_new, write_new

    repository = _repository()
    types = list(repository.taxonomy.incident_types)
    title = title or _ask("Title (one line: what went wrong, where)", "--title")
    while not 10 <= len(title.strip()) <= 120:
        title = _ask("The title needs 10 to 120 characters. Title", "--title")
    severity = severity or _ask(
        "Severity", "--severity", click.Choice(["near-miss", "low", "medium", "high", "critical"])
    )
    if not incident_types:
        click.echo("Incident types: " + ", ".join(types))
        answer = _ask("Incident types (comma-separated)", "--type")
        incident_types = tuple(t.strip() for t in answer.split(",") if t.strip())
    unknown = [t for t in incident_types if t not in types]
    if unknown:
        raise click.BadParameter(
            f"unknown incident type '{unknown[0]}'; choose from: {', '.join(types)}",
            param_hint="--type",
        )
    reported_by = reported_by or _ask("Reported by (team or person)", "--reported-by")
    identified = identified or dt.date.today()

    config = repository.config
    collection = load_collection(find_postmortem_files(config.postmortems_dir), repository.root)
    # ids of other branches too, so parallel pull requests do not pick the same number
    taken = [*collection.by_id, *ids_on_all_branches(repository.root, config.postmortems_dir)]
    pm_id = next_id(config.id_prefix, identified.year, taken)
    text = render_new(pm_id, title, severity, list(incident_types), reported_by, identified)
    path = write_new(config.postmortems_dir, pm_id, title, text, identified.year)
    click.echo(f"Created {display_path(path, Path.cwd())}")


def _ask(prompt: str, option: str, kind: click.ParamType | None = None) -> str:
    try:
        return click.prompt(prompt, type=kind)
    except (click.Abort, OSError):  # no terminal, or stdin ran out
        raise click.UsageError(f"{option} is needed: give it as an option") from None


@cli.command()
@click.option("--output", type=click.Path(path_type=Path), help="Write to a file instead.")
def schema(output: Path | None) -> None:
    """Print the JSON Schema of the front matter (generated from the taxonomy)."""
    from postmortem_kit.format_schema import build_schema, schema_text

    repository = _repository()
    text = schema_text(build_schema(repository.taxonomy, repository.config.id_prefix))
    if output:
        output.write_text(text, encoding="utf-8")
        click.echo(f"Wrote {output}")
    else:
        click.echo(text, nl=False)


@cli.command()
@click.option("--out", type=click.Path(path_type=Path), required=True, help="Folder to write to.")
@click.option(
    "--audience",
    type=click.Choice(["public", "internal", "restricted"]),
    help="Who may read it (default: $POSTMORTEM_AUDIENCE, else internal).",
)
def pages(out: Path, audience: str | None) -> None:
    """Write the site's pages as Markdown, for a builder other than MkDocs."""
    from postmortem_kit.site import SiteError, choose_audience, load_site, write_pages

    try:
        content = load_site(Path.cwd(), choose_audience(audience))
    except (SiteError, ConfigError, TaxonomyError) as e:
        raise click.UsageError(str(e)) from None
    for warning in content.warnings:
        click.echo(f"warning: {warning}", err=True)
    count = write_pages(content, out)
    click.echo(
        f"Wrote {count} pages and incidents.json to {out} "
        f"({len(content.incidents)} postmortems, audience {content.audience})"
    )


@cli.command()
@click.option("--owner", help="Only this owner's actions (case-insensitive).")
@click.option(
    "--status",
    "statuses",
    multiple=True,
    type=click.Choice(["planned", "in-progress", "done", "dropped"]),
    help="Only actions with this status (repeatable).",
)
@click.option("--overdue", is_flag=True, help="Only actions past due and not done or dropped.")
@click.option("--due-before", callback=_date, metavar="DATE", help="Only actions due before DATE.")
@click.option(
    "--format", "output_format", type=click.Choice(["table", "csv", "json"]), default="table"
)
@click.option("--fail-on-overdue", is_flag=True, help="Exit 1 when any listed action is overdue.")
@click.option("--today", callback=_date, metavar="DATE", help="Judge due dates as of DATE.")
def actions(
    owner: str | None,
    statuses: tuple[str, ...],
    overdue: bool,
    due_before: dt.date | None,
    output_format: str,
    fail_on_overdue: bool,
    today: dt.date | None,
) -> None:
    """List the corrective actions of every postmortem."""
    from postmortem_kit.aggregate import Aggregate
    from postmortem_kit.collection import find_postmortem_files, load_collection
    from postmortem_kit.report import ACTION_REPORTERS

    repository = _repository()
    today = today or dt.date.today()
    files = find_postmortem_files(repository.config.postmortems_dir)
    aggregate = Aggregate.of(
        load_collection(files, Path.cwd()), repository.taxonomy, "restricted", today
    )
    selected = [
        a
        for a in sorted(aggregate.actions, key=lambda a: (a.due or dt.date.max, a.incident.id))
        if (not owner or a.owner.casefold() == owner.casefold())
        and (not statuses or a.status in statuses)
        and (not overdue or a.overdue(today))
        and (not due_before or (a.due is not None and a.due < due_before))
    ]
    ACTION_REPORTERS[output_format](selected, today, sys.stdout)
    late = sum(a.overdue(today) for a in selected)
    sys.exit(EXIT_FINDINGS if fail_on_overdue and late else EXIT_CLEAN)


@cli.command()
def template() -> None:
    """Print the blank postmortem template."""
    from postmortem_kit.new import render_blank

    click.echo(render_blank(), nl=False)


@cli.command()
def rules() -> None:
    """List the lint rules with their default levels."""
    from postmortem_kit.rules import RULES

    for rule in sorted(RULES.values(), key=lambda r: r.id):
        click.echo(f"{rule.id:24} {rule.level:8} {rule.summary}")


@cli.command()
def taxonomy() -> None:
    """List the incident types, root-cause patterns and controls."""
    repository = _repository()
    tax = repository.taxonomy
    click.echo("Incident types:")
    for category in tax.categories.values():
        click.echo(f"  {category.slug}: " + ", ".join(t.slug for t in tax.types_of(category.slug)))
    click.echo("Root-cause patterns and their manifestations:")
    for pattern in tax.patterns.values():
        manifestations = ", ".join(m.slug for m in tax.manifestations_of(pattern.slug))
        click.echo(f"  {pattern.slug}: {manifestations}")
    click.echo("Controls: " + ", ".join(tax.controls))


def main(argv: Sequence[str] | None = None) -> int:
    try:
        cli.main(args=argv, prog_name="postmortem", standalone_mode=False)
    except click.exceptions.Abort:
        click.echo("Aborted.", err=True)
        return EXIT_USAGE
    except click.ClickException as e:
        e.show()
        return EXIT_USAGE
    except SystemExit as e:
        return int(e.code or 0)
    return EXIT_CLEAN


if __name__ == "__main__":
    sys.exit(main())
