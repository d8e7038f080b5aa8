"""`postmortem new`: a draft with the next free id, asking for what is missing."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Sequence
from pathlib import Path

import click

from postmortem_kit.cli.common import date_option, repository
from postmortem_kit.format.vocabulary import SEVERITIES, TITLE_LENGTH


def _identified_day(
    ctx: click.Context, param: click.Parameter, value: str | None
) -> dt.date | None:
    """A date in the range lint accepts for when an incident was identified."""
    from postmortem_kit.format.dates import EARLIEST_DAY, latest_event_day

    day = date_option(ctx, param, value)
    latest = latest_event_day(dt.date.today())
    if day is not None and not EARLIEST_DAY <= day <= latest:
        raise click.UsageError(
            f"--identified must be from {EARLIEST_DAY} to {latest} (tomorrow), not {day}: "
            "give the day the incident was identified",
            ctx,
        )
    return day


@click.command()
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
    from postmortem_kit.git.changes import ids_on_all_branches

    repo = repository()
    types = list(repo.taxonomy.incident_types)
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

    folder = repo.postmortems_dir
    # every id the working tree holds, file names included (a draft whose YAML
    # is broken still holds its number), and the ids of other branches, so
    # that parallel pull requests do not pick the same number
    taken = [*ids_in_folder(folder), *ids_on_all_branches(repo.root, folder)]
    pm_id = next_id(repo.config.id_prefix, identified.year, taken)
    text = render_new(pm_id, title, severity, list(incident_types), reported_by, identified)
    path = _write_draft(folder, pm_id, title, text, identified.year)
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
    kind: click.ParamType[str, str] | None = None,
    value_proc: Callable[[str], str] | None = None,
) -> str:
    try:
        return click.prompt(prompt, type=kind, value_proc=value_proc)
    except (click.Abort, OSError):  # no terminal, or stdin ran out
        raise click.UsageError(f"{option} is needed: give it as an option") from None
