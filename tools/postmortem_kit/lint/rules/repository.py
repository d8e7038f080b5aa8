"""Rules that look across every postmortem of the repository."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable

from postmortem_kit.format.config import Config
from postmortem_kit.format.findings import did_you_mean
from postmortem_kit.format.read import Postmortem
from postmortem_kit.format.summary import Summary, summary_of
from postmortem_kit.format.vocabulary import REFERENCE_KEYS
from postmortem_kit.lint.rules.base import Context, Problem, at_least, rule

MAX_SUGGESTIONS = 10
MAX_SIMILAR_REPORTED = 5


@rule("duplicate-id", "error")
def check_duplicate_id(postmortem: Postmortem, context: Context) -> Iterable[Problem]:
    """Two files with one id, anywhere in the repository."""
    pm_id = postmortem.get("id")
    if not isinstance(pm_id, str):
        return
    others = [p.path for p in context.collection.by_id.get(pm_id, []) if p.path != postmortem.path]
    if others:
        yield Problem.at(
            postmortem.position(("id",)),
            f"id '{pm_id}' is also used by {', '.join(others)}: give one of them the next "
            "free id (`postmortem new` allocates one)",
        )


@rule("unknown-related", "error")
def check_unknown_related(postmortem: Postmortem, context: Context) -> Iterable[Problem]:
    """An id in `related` or `not_similar` that no postmortem has, or the postmortem's own."""
    own_id = postmortem.get("id")
    suggestions = MAX_SUGGESTIONS  # each compares with every id: a long list would take minutes
    for key in REFERENCE_KEYS:
        ids = postmortem.get(key)
        for i, other in enumerate(ids if isinstance(ids, list) else []):
            if not isinstance(other, str):
                continue
            where = postmortem.position((key, i))
            if other == own_id:
                yield Problem.at(where, f"{key}[{i}]: '{other}' is this postmortem's own id")
            elif other not in context.collection.by_id:
                hint = did_you_mean(other, context.collection.by_id) if suggestions > 0 else ""
                suggestions -= 1
                yield Problem.at(where, f"{key}[{i}]: no postmortem has the id '{other}'{hint}")


@rule("prior-without-related", "error")
def check_prior_without_related(postmortem: Postmortem, context: Context) -> Iterable[Problem]:
    """From `review`: `triage.prior_similar: true` with no `related` ids."""
    if (
        at_least(postmortem, "review")
        and postmortem.get("triage", "prior_similar") is True
        and not postmortem.get("related")
    ):
        yield Problem.at(
            postmortem.position(("triage", "prior_similar")),
            "triage.prior_similar is true but 'related' is empty: list the ids of the "
            "earlier similar postmortems under related",
        )


@rule("unlinked-similar", "warning")
def check_unlinked_similar(postmortem: Postmortem, context: Context) -> Iterable[Problem]:
    """From `review`: an earlier postmortem, identified within `similar-within-days`
    (default 365) before this one, shares a system and a root-cause pattern, or has
    nearly the same words in its title and root-cause factors, and neither `related`
    nor `not_similar` names it; or `triage.prior_similar` is false while there is one.
    """
    if not at_least(postmortem, "review"):
        return
    own = summary_of(postmortem)
    rejected, related = _ids(postmortem.get("not_similar")), _ids(postmortem.get("related"))
    similar = _earlier_similar(own, context, rejected, MAX_SIMILAR_REPORTED + len(related))
    unnamed = [(summary, reasons) for summary, reasons in similar if summary.id not in related]
    for summary, reasons in unnamed[:MAX_SIMILAR_REPORTED]:
        yield Problem.at(
            postmortem.position(("related",)),
            f"{summary.id} (identified {summary.day}) shares {'; '.join(reasons)}: "
            "add it to related if it is the same problem, or to not_similar if not",
        )
    if similar and postmortem.get("triage", "prior_similar") is False:
        summary = similar[0][0]
        yield Problem.at(
            postmortem.position(("triage", "prior_similar")),
            f"triage.prior_similar is false, but {summary.id} (identified {summary.day}) is "
            f"similar: set it to true, or add {summary.id} to not_similar",
        )


def _earlier_similar(
    own: Summary, context: Context, ignore: set[str], limit: int
) -> list[tuple[Summary, list[str]]]:
    """Postmortems identified before `own`, within the window: most recent first."""
    since = _window_start(own.day, context.config)
    if since is None:
        return []
    return context.collection.summary_index.earlier_similar(own, since, limit, ignore)


def compared_with(
    summaries: Iterable[Summary], linted: Iterable[Summary], config: Config
) -> list[Summary]:
    """Of `summaries`, those unlinked-similar may compare a linted file with:
    identified within the window before one of them. Linting one file indexes
    these alone, a third of a repository with a year's window over three."""
    starts = {s.day: start for s in linted if (start := _window_start(s.day, config))}
    if not starts:
        return []
    since, until = min(starts.values()), max(starts)
    return [s for s in summaries if since <= s.day <= until]


def _window_start(day: str, config: Config) -> str | None:
    """The first day of the window before `day` (None when it is not a date)."""
    try:
        start = dt.date.fromisoformat(day) - dt.timedelta(days=config.similar_within_days)
    except ValueError:  # no date, or not one: the schema says so
        return None
    except OverflowError:  # the window reaches before year 1
        start = dt.date.min
    return start.isoformat()


def _ids(value: object) -> set[str]:
    return {v for v in value if isinstance(v, str)} if isinstance(value, list) else set()
