"""The `postmortem` command."""

from __future__ import annotations

import datetime as dt
import sys
from collections.abc import Callable, Sequence
from pathlib import Path

import click

from postmortem_kit.format.config import Config, ConfigError, find_root, load_config
from postmortem_kit.format.taxonomy import Taxonomy, TaxonomyError, load_taxonomy
from postmortem_kit.format.vocabulary import ACTION_STATUSES, SEVERITIES, TITLE_LENGTH, VISIBILITIES

EXIT_CLEAN, EXIT_FINDINGS, EXIT_USAGE = 0, 1, 2


class Repository:
    """The repository the command runs in: its configuration and taxonomy."""

    def __init__(self) -> None:
        from postmortem_kit.lint.rules import RULES

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


def _identified_day(
    ctx: click.Context, param: click.Parameter, value: str | None
) -> dt.date | None:
    """A date in the range lint accepts for when an incident was identified."""
    from postmortem_kit.format.dates import EARLIEST_DAY, latest_event_day

    day = _date(ctx, param, value)
    latest = latest_event_day(dt.date.today())
    if day is not None and not EARLIEST_DAY <= day <= latest:
        raise click.UsageError(
            f"--identified must be from {EARLIEST_DAY} to {latest} (tomorrow), not {day}: "
            "give the day the incident was identified",
            ctx,
        )
    return day


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
    from postmortem_kit.git.history import GitError, changed_files
    from postmortem_kit.lint.report import REPORTERS
    from postmortem_kit.lint.runner import lint_repository

    repository = _repository()
    # a link or a special file is linted (and reported as unsafe-file), not refused here
    missing = [p for p in paths if not (p.exists() or p.is_symlink()) or p.is_dir()]
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
@click.option(
    "--title",
    help="One line: what went wrong, where ({} to {} characters).".format(*TITLE_LENGTH),
)
@click.option("--severity", type=click.Choice(SEVERITIES))
@click.option(
    "--type",
    "incident_types",
    multiple=True,
    metavar="SLUG",
    help="An incident type (repeatable); see `postmortem taxonomy`.",
)
@click.option("--reported-by", help="The team or person who reported it.")
@click.option("--identified", callback=_identified_day, metavar="DATE", help="Default: today.")
def new(
    title: str | None,
    severity: str | None,
    incident_types: tuple[str, ...],
    reported_by: str | None,
    identified: dt.date | None,
) -> None:
    """Start a draft postmortem with the next free id.

    Asks for what is not given as an option; in a script, give them all.
    Whitespace in the title and reported-by runs together into single spaces.
    """
    from postmortem_kit.format.collection import display_path
    from postmortem_kit.format.draft import (
        ids_in_folder,
        next_id,
        render_new,
        reported_by_problem,
        title_problem,
    )
    from postmortem_kit.git.history import ids_on_all_branches

    repository = _repository()
    types = list(repository.taxonomy.incident_types)
    # refuse a bad option before asking anything
    title = _given_line(title, "--title", title_problem)
    reported_by = _given_line(reported_by, "--reported-by", reported_by_problem)
    _check_types(incident_types, types)
    if title is None:
        title = _ask_line(
            "Title (one line: what went wrong, where)", "--title", "The title", title_problem
        )
    severity = severity or _ask("Severity", "--severity", click.Choice(SEVERITIES))
    if not incident_types:
        click.echo("Incident types: " + ", ".join(types))
        answer = _ask("Incident types (comma-separated)", "--type")
        incident_types = tuple(t.strip() for t in answer.split(",") if t.strip())
        _check_types(incident_types, types)
    if reported_by is None:
        reported_by = _ask_line(
            "Reported by (team or person)", "--reported-by", "The reporter", reported_by_problem
        )
    identified = identified or dt.date.today()

    config = repository.config
    # every id the working tree holds, file names included (a draft whose YAML
    # is broken still holds its number), and the ids of other branches, so
    # that parallel pull requests do not pick the same number
    taken = [
        *ids_in_folder(config.postmortems_dir),
        *ids_on_all_branches(repository.root, config.postmortems_dir),
    ]
    pm_id = next_id(config.id_prefix, identified.year, taken)
    text = render_new(pm_id, title, severity, list(incident_types), reported_by, identified)
    path = _write_draft(config.postmortems_dir, pm_id, title, text, identified.year)
    click.echo(f"Created {display_path(path, Path.cwd())}")


# says why a text would fail lint, or returns None
TextCheck = Callable[[str], str | None]


def _given_line(value: str | None, option: str, problem: TextCheck) -> str | None:
    """An option's text on one line, or None when it was not given; refused,
    naming the option, where lint would refuse the draft."""
    from postmortem_kit.format.draft import one_line

    if value is None:
        return None
    text = one_line(value)
    why = problem(text)
    if why:
        raise click.UsageError(f"{option} {why}")
    return text


def _ask_line(prompt: str, option: str, label: str, problem: TextCheck) -> str:
    """An answer on one line; a bad answer is explained and asked again."""
    from postmortem_kit.format.draft import one_line

    def check(answer: str) -> str:
        text = one_line(answer)
        why = problem(text)
        if why:
            raise click.BadParameter(f"{label} {why}")  # click shows it and asks again
        return text

    return _ask(prompt, option, value_proc=check)


def _check_types(incident_types: Sequence[str], types: list[str]) -> None:
    unknown = [t for t in incident_types if t not in types]
    if unknown:
        raise click.BadParameter(
            f"unknown incident type '{unknown[0]}'; choose from: {', '.join(types)}",
            param_hint="--type",
        )


def _write_draft(folder: Path, pm_id: str, title: str, text: str, year: int) -> Path:
    from postmortem_kit.format.collection import display_path
    from postmortem_kit.format.draft import write_new

    try:
        return write_new(folder, pm_id, title, text, year)
    except OSError as e:
        # the ids taken already include every file name, so this is a race with
        # another `new`, or something in the way of the year's folder
        where = display_path(Path(e.filename or folder), Path.cwd())
        if isinstance(e, FileExistsError):
            raise click.ClickException(
                f"{where} already exists and `new` never overwrites a file: "
                "move it away, or run `postmortem new` again to take the next free id"
            ) from None
        raise click.ClickException(f"cannot write {where}: {e.strerror}") from None


def _ask(
    prompt: str,
    option: str,
    kind: click.ParamType | None = None,
    value_proc: Callable[[str], str] | None = None,
) -> str:
    try:
        return click.prompt(prompt, type=kind, value_proc=value_proc)
    except (click.Abort, OSError):  # no terminal, or stdin ran out
        raise click.UsageError(f"{option} is needed: give it as an option") from None


@cli.command()
@click.option("--output", type=click.Path(path_type=Path), help="Write to a file instead.")
def schema(output: Path | None) -> None:
    """Print the JSON Schema of the front matter (generated from the taxonomy)."""
    from postmortem_kit.format.schema import build_schema, schema_text

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
    type=click.Choice(VISIBILITIES),
    help="Who may read it (default: $POSTMORTEM_AUDIENCE, else internal).",
)
def pages(out: Path, audience: str | None) -> None:
    """Write the site's pages as Markdown, for a builder other than MkDocs."""
    from postmortem_kit.site.content import SiteError, choose_audience, load_site, write_pages

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
    type=click.Choice(ACTION_STATUSES),
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
    from postmortem_kit.format.collection import find_postmortem_files, load_collection
    from postmortem_kit.site.action_reports import ACTION_REPORTERS
    from postmortem_kit.site.aggregate import Aggregate

    repository = _repository()
    today = today or dt.date.today()
    files = find_postmortem_files(repository.config.postmortems_dir)
    aggregate = Aggregate.of(
        load_collection(files, Path.cwd(), repository.root),
        repository.taxonomy,
        "restricted",
        today,
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
    from postmortem_kit.format.draft import render_blank

    click.echo(render_blank(), nl=False)


@cli.command()
def rules() -> None:
    """List the lint rules with their default levels."""
    from postmortem_kit.lint.rules import RULES

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
