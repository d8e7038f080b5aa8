"""`postmortem similar`: the postmortems most like one, with why."""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING

import click

from postmortem_kit.cli.common import audience_option, repository
from postmortem_kit.format.findings import printable
from postmortem_kit.format.vocabulary import VISIBILITIES

if TYPE_CHECKING:
    from postmortem_kit.format.read import Postmortem
    from postmortem_kit.repository import Repository
    from postmortem_kit.similarity import Match

JSON_VERSION = 1


@click.command()
@click.argument("postmortem", metavar="ID|PATH")
@click.option(
    "--limit",
    type=click.IntRange(min=1),
    default=5,
    show_default=True,
    help="How many matches at most.",
)
@click.option("--format", "output_format", type=click.Choice(["table", "json"]), default="table")
@audience_option
def similar(postmortem: str, limit: int, output_format: str, audience: str | None) -> None:
    """List the published postmortems most similar to one, with the reasons.

    ID|PATH is a postmortem's id or its file. Only the postmortems the audience
    may read are compared, the way the site compares them.
    """
    from postmortem_kit.format.config import ConfigError
    from postmortem_kit.similarity import similar_to
    from postmortem_kit.site.content import SiteError, choose_audience, load_published

    repo = repository()
    try:
        audience = choose_audience(repo.config.audience, audience)
        published = load_published(repo, audience, with_history=False)
    except (SiteError, ConfigError) as e:
        raise click.UsageError(str(e)) from None
    shown = [incident.postmortem for incident in published.aggregate.incidents]
    target = _find(postmortem, repo, shown, published.left_out, audience)
    matches = similar_to(shown, target, limit)
    if output_format == "json":
        click.echo(json.dumps(_record(target, matches), ensure_ascii=False, indent=2))
    else:
        click.echo(_table(target, matches, len(shown), audience), nl=False)


def _find(
    wanted: str,
    repo: Repository,
    shown: list[Postmortem],
    left_out: list[Postmortem],
    audience: str,
) -> str:
    """The id of the published postmortem `wanted` names (an id or a path)."""
    from postmortem_kit.site.aggregate import is_visible

    by_path = _display_path(wanted, repo.root)
    for pm in shown:
        if pm.data.get("id") == wanted or pm.path == by_path:
            return str(pm.data["id"])
    for pm in left_out:
        if pm.data.get("id") == wanted or pm.path == by_path:
            if not is_visible(pm, audience):
                visibility = pm.data.get("visibility", "internal")
                raise click.ClickException(
                    f"{pm.path} is {visibility}: audience {audience} does not see it, "
                    f"so it is compared with nothing; try --audience {VISIBILITIES[-1]}"
                )
            raise click.ClickException(
                f"{pm.path} is not published: it does not pass lint, so it is compared "
                f"with nothing; `postmortem lint {pm.path}` says why"
            )
    for pm in left_out:  # unreadable: its file name may still say its id
        if not pm.data and pm.path.rsplit("/", 1)[-1].startswith(f"{wanted}-"):
            raise click.ClickException(
                f"{pm.path} is not published: it cannot be read; `postmortem lint {pm.path}` "
                "says why"
            )
    if by_path is not None and not (repo.root / by_path).is_file():
        raise click.UsageError(f"no such file: {wanted}")
    raise click.UsageError(
        f"'{wanted}' is neither the id nor the file of a postmortem in this repository"
    )


def _display_path(wanted: str, root: Path) -> str | None:
    """`wanted` as postmortems show their paths (from the root, with /), when it
    looks like a path; None when it looks like an id."""
    if not (wanted.endswith(".md") or "/" in wanted or "\\" in wanted):
        return None
    path = Path(wanted).absolute()
    try:
        return path.resolve().relative_to(root.resolve()).as_posix()
    except ValueError:  # outside the repository
        return Path(wanted).as_posix()


def _record(target: str, matches: list[Match]) -> dict[str, object]:
    return {
        "version": JSON_VERSION,
        "postmortem": target,
        "similar": [
            {"id": m.id, "title": m.title, "score": m.score, "reasons": list(m.reasons)}
            for m in matches
        ],
    }


def _table(target: str, matches: list[Match], compared: int, audience: str) -> str:
    if not matches:
        return (
            f"Nothing similar to {target} among the {compared - 1} other postmortems "
            f"published for audience {audience}.\n"
        )
    id_width = max(len("id"), *(len(m.id) for m in matches))
    rank_width = len(str(len(matches)))
    head = f"{'#':>{rank_width}}  {'id':<{id_width}}  score  title"
    lines = [f"Similar to {target} (audience {audience}):", "", head]
    indent = " " * (rank_width + id_width + 11)
    for rank, m in enumerate(matches, start=1):
        lines.append(f"{rank:>{rank_width}}  {m.id:<{id_width}}  {m.score:.3f}  {m.title}")
        lines += [f"{indent}- {reason}" for reason in m.reasons]
    return "\n".join(printable(line) for line in lines) + "\n"
