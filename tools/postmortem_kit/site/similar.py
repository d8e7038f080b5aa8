"""Each incident page's similar postmortems: ranked once per build, beside the pages.

`postmortem_kit.similarity` ranks every postmortem against the others in one
go; what costs is importing scikit-learn (about a second), not the ranking.
A large build therefore ranks in a forked process while this one renders
the pages, each incident page with a mark where its list goes; `Similar.fill`
then puts the lists in. A small build, a machine with one core or without
`fork`, and `mkdocs serve` (which runs threads) rank here, as the linter
shares out only large runs.

Only the postmortems the audience may see are ranked: a hidden one changes
no score and no reason.
"""

from __future__ import annotations

import multiprocessing as mp
import os
import secrets
import threading
from collections.abc import Callable, Sequence
from multiprocessing.connection import Connection
from multiprocessing.process import BaseProcess

from postmortem_kit import similarity
from postmortem_kit.format.read import Postmortem

LIMIT = 5  # matches on each page
PARALLEL_FROM = 300  # below this, ranking here costs less than a process does

Ranking = dict[str, list[similarity.Match]]


class Similar:
    """The ranking of one build, in this process or under way in another."""

    def __init__(
        self, postmortems: Sequence[Postmortem], parallel_from: int = PARALLEL_FROM
    ) -> None:
        self.mark = f"<!--pm-similar-{secrets.token_hex(8)}-->"
        self._postmortems = postmortems
        self._ranking: Ranking | None = None
        self._ranker: _Ranker | None = None
        if len(postmortems) < max(parallel_from, 1) or not can_fork():
            self._ranking = similarity.rank(postmortems, LIMIT) if postmortems else {}
        else:
            self._ranker = _Ranker(postmortems)

    def of(self, pm_id: str) -> list[similarity.Match]:
        return self.ranking().get(pm_id, [])

    def ranking(self) -> Ranking:
        if self._ranking is None:
            assert self._ranker is not None
            ranking = self._ranker.result()
            # None: the process failed; ranking here reports the error, if any
            self._ranking = (
                similarity.rank(self._postmortems, LIMIT) if ranking is None else ranking
            )
        return self._ranking

    def fill(self, pages: dict[str, str], sections: dict[str, Callable[[], str]]) -> None:
        """Put each page's list where its mark is (the first: the author's text
        comes after, and cannot hold this build's mark anyway); `sections`
        renders each page's list, once the ranking is in."""
        self.ranking()
        for path, section in sections.items():
            pages[path] = pages[path].replace(self.mark, section(), 1)


def can_fork() -> bool:
    """Whether ranking in a forked process can save time, and safely: a second
    core, `fork`, and no other thread (`mkdocs serve` has some), whose locks a
    forked child could inherit held and wait on for ever."""
    return (
        (os.cpu_count() or 1) > 1
        and "fork" in mp.get_all_start_methods()
        and threading.active_count() == 1
    )


class _Ranker:
    """A forked process that ranks the postmortems it inherits (nothing is
    pickled on the way in), and sends the ranking back."""

    def __init__(self, postmortems: Sequence[Postmortem]) -> None:
        fork = mp.get_context("fork")
        self._connection, child = fork.Pipe()
        self._process: BaseProcess = fork.Process(
            target=_rank_in_child, args=(postmortems, child, self._connection), daemon=True
        )
        self._process.start()
        child.close()  # the child's end: when the child is gone, recv() ends too

    def result(self) -> Ranking | None:
        try:
            ranking: Ranking | None = self._connection.recv()
        except (EOFError, OSError):
            ranking = None
        finally:
            self._connection.close()
            self._process.join()
        return ranking


def _rank_in_child(
    postmortems: Sequence[Postmortem], connection: Connection, builds_end: Connection
) -> None:
    """The forked process: rank and send the result back, or None on an error
    (the build then ranks again itself, and reports it)."""
    builds_end.close()  # the build's end, inherited: the build alone holds it
    try:
        ranking: Ranking | None = similarity.rank(postmortems, LIMIT)
    except Exception:
        ranking = None
    try:
        connection.send(ranking)
    finally:
        connection.close()
