"""Each incident page's similar postmortems: ranked once per build, beside the pages.

`postmortem_kit.similarity` ranks every postmortem against the others in one
go; what costs is importing scikit-learn (about a second), not the ranking.
A large build therefore ranks in a forked process while this one renders
the pages, each incident page with a mark where its list goes; `Similar.fill`
then puts the lists in. A small build, a machine with one core or without
`fork`, and `mkdocs serve` (which runs threads) rank here, as the linter
shares out only large runs.

`warm_up()`, called as a build starts, forks that process at once: it then
imports the libraries while the build reads and lints, and only waits for
the postmortems to rank.

Only the postmortems the audience may see are ranked: a hidden one changes
no score and no reason.
"""

from __future__ import annotations

import contextlib
import multiprocessing as mp
import os
import secrets
import threading
from collections.abc import Callable, Sequence
from multiprocessing.connection import Connection
from multiprocessing.process import BaseProcess

from postmortem_kit import similarity
from postmortem_kit.format.read import Postmortem, parse_postmortem

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
        warm = _take_warm()
        if len(postmortems) < max(parallel_from, 1) or (warm is None and not can_fork()):
            if warm:
                warm.close()
            self._ranking = similarity.rank(postmortems, LIMIT) if postmortems else {}
        elif warm:
            warm.send(postmortems)
            self._ranker = warm
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


_warm: _Ranker | None = None  # started by warm_up, taken by the next large Similar


def warm_up() -> None:
    """Fork the ranking process now, before the postmortems are known, so that
    it imports its libraries while the build reads and lints them. Nothing
    happens where `can_fork` says no; a build that ends small ranks here and
    lets it go.

    For a builder to call as a build starts (the MkDocs plugin's `on_config`):
    of a 1,000-postmortem build, the import is over a second."""
    global _warm
    if _warm is None and can_fork():
        _warm = _Ranker(None)


def _take_warm() -> _Ranker | None:
    global _warm
    ranker, _warm = _warm, None
    return ranker


class _Ranker:
    """A forked process that ranks postmortems: given as it starts (it has them
    already, nothing is pickled), or sent later."""

    def __init__(self, postmortems: Sequence[Postmortem] | None) -> None:
        fork = mp.get_context("fork")
        self._connection, child = fork.Pipe()
        self._process: BaseProcess = fork.Process(
            target=_rank_in_child, args=(postmortems, child, self._connection), daemon=True
        )
        self._process.start()
        child.close()  # the child's end: when the child is gone, recv() ends too

    def send(self, postmortems: Sequence[Postmortem]) -> None:
        with contextlib.suppress(OSError):  # the process is gone: result() says so
            self._connection.send(list(postmortems))

    def close(self) -> None:
        """Let the process go without a ranking (it ends as its recv() does)."""
        self._connection.close()
        self._process.join()

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
    postmortems: Sequence[Postmortem] | None, connection: Connection, builds_end: Connection
) -> None:
    """The forked process: rank and send the result back, or None on an error
    (the build then ranks again itself, and reports it)."""
    builds_end.close()  # else recv() here would wait for ever once the build closes its end
    try:
        if postmortems is None:
            _import_libraries()
            postmortems = connection.recv()
        ranking: Ranking | None = similarity.rank(postmortems, LIMIT)
    except EOFError:  # the build ended without asking
        return
    except Exception:
        ranking = None
    try:
        connection.send(ranking)
    finally:
        connection.close()


def _import_libraries() -> None:
    """Whatever the ranking imports, imported by ranking two tiny postmortems."""
    tiny = [
        parse_postmortem(f"---\nid: WARM-{n}\ntitle: warm up\n---\n".encode(), f"{n}.md")
        for n in (1, 2)
    ]
    similarity.rank(tiny, LIMIT)
