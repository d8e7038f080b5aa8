"""`postmortem actions`: the corrective actions of every postmortem, filtered."""

from __future__ import annotations

import datetime as dt
import sys
from pathlib import Path

import click

from postmortem_kit.cli.common import (
    EXIT_CLEAN,
    EXIT_FINDINGS,
    date_option,
    repository,
    today_option,
)
from postmortem_kit.format.vocabulary import ACTION_STATUSES, VISIBILITIES

EVERY_POSTMORTEM = VISIBILITIES[-1]  # the widest audience: actions are for the team


@click.command()
@click.option("--owner", help="Only this owner's actions (case-insensitive).")
@click.option(
    "--status",
    "statuses",
    multiple=True,
    type=click.Choice(ACTION_STATUSES),
    help="Only actions with this status (repeatable).",
)
@click.option("--overdue", is_flag=True, help="Only actions past due and not done or dropped.")
@click.option(
    "--due-before", callback=date_option, metavar="DATE", help="Only actions due before DATE."
)
@click.option(
    "--format", "output_format", type=click.Choice(["table", "csv", "json"]), default="table"
)
@click.option("--fail-on-overdue", is_flag=True, help="Exit 1 when any listed action is overdue.")
@today_option
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

    repo = repository()
    today = today or dt.date.today()
    files = find_postmortem_files(repo.postmortems_dir)
    collection = load_collection(files, Path.cwd(), repo.root)
    aggregate = Aggregate.of(collection, repo.taxonomy, EVERY_POSTMORTEM, today)
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
