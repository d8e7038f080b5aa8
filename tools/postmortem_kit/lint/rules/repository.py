"""Rules that look across every postmortem of the repository."""

from __future__ import annotations

from collections.abc import Iterable

from postmortem_kit.format.read import Postmortem
from postmortem_kit.lint.rules.base import Context, Problem, at_least, did_you_mean, rule

MAX_SUGGESTIONS = 10


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
    """A `related` id that no postmortem has, or the postmortem's own."""
    related = postmortem.get("related")
    if not isinstance(related, list):
        return
    own_id = postmortem.get("id")
    suggestions = MAX_SUGGESTIONS  # each compares with every id: a long list would take minutes
    for i, other in enumerate(related):
        if not isinstance(other, str):
            continue
        where = postmortem.position(("related", i))
        if other == own_id:
            yield Problem.at(where, f"related[{i}]: '{other}' is this postmortem's own id")
        elif other not in context.collection.by_id:
            close = did_you_mean(other, context.collection.by_id) if suggestions > 0 else None
            suggestions -= 1
            hint = f" (did you mean '{close}'?)" if close else ""
            yield Problem.at(where, f"related[{i}]: no postmortem has the id '{other}'{hint}")


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
