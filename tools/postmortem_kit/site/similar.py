"""Each incident page's similar postmortems: ranked once per build, beside the pages.

`postmortem_kit.similarity` ranks every postmortem against the others in one
go; what costs is importing scikit-learn (about a second), not the ranking.
So a build starts a forked process before it reads the postmortems, which
imports scikit-learn while the build reads them; once the build knows what the
audience may see, it sends that process what the ranking reads of those
postmortems, and renders the pages, each incident page with a mark where its
list goes, while the process ranks; `Similar.fill` then puts the lists in. A
machine with one core or without `fork`, and `mkdocs serve` (which runs
threads), rank here.

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

Ranking = dict[str, list[similarity.Match]]


class Similar:
    """The ranking of one build, in this process or in another."""

    def __init__(self, forked: bool | None = None) -> None:
        """Start the process that will rank (unless `forked` is False or the
        machine cannot fork safely): before the postmortems are read."""
        self.mark = f"<!--pm-similar-{secrets.token_hex(8)}-->"
        self._documents: list[similarity.Document] = []
        self._ranking: Ranking | None = None
        self._ranker = _Ranker() if (can_fork() if forked is None else forked) else None

    def rank(self, postmortems: Sequence[Postmortem]) -> None:
        """Rank these postmortems (in the other process: this returns at once)."""
        self._documents = similarity.documents(postmortems)
        if self._ranker:
            self._ranker.send(self._documents)

    def of(self, pm_id: str) -> list[similarity.Match]:
        return self.ranking().get(pm_id, [])

    def ranking(self) -> Ranking:
        if self._ranking is None:
            ranking = self._ranker.result() if self._ranker else None
            # None: the process failed, or there is none; ranking here reports the error, if any
            if ranking is None:
                ranking = similarity.rank_documents(self._documents, LIMIT)
            self._ranking = ranking
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
    """A forked process that imports what ranking needs, then ranks the
    documents it is sent and sends the ranking back. Forked early, it shares
    little of the build's memory: the build goes on without copying pages the
    process holds."""

    def __init__(self) -> None:
        fork = mp.get_context("fork")
        self._connection, child = fork.Pipe()
        self._process: BaseProcess = fork.Process(
            target=_rank_in_child, args=(child, self._connection), daemon=True
        )
        self._process.start()
        child.close()  # the child's end: when the child is gone, recv() ends too
        self._sent = False

    def send(self, documents: list[similarity.Document]) -> None:
        try:
            self._connection.send(documents)
            self._sent = True
        except OSError:  # the process is gone: result() says so, and the build ranks
            pass

    def result(self) -> Ranking | None:
        """The ranking; None if the process failed or was sent nothing (it then ends)."""
        try:
            ranking: Ranking | None = self._connection.recv() if self._sent else None
        except (EOFError, OSError):
            ranking = None
        finally:
            self._connection.close()
            self._process.join()
        return ranking


def _rank_in_child(connection: Connection, builds_end: Connection) -> None:
    """The forked process: rank what the build sends, and send the result back,
    or None on an error (the build then ranks again itself, and reports it).
    A build that stops before it sends closes its end: then this ends too."""
    builds_end.close()  # the build's end, inherited: the build alone holds it
    try:
        similarity.load_libraries()  # while the build reads the postmortems
        documents = connection.recv()
    except (EOFError, OSError):
        return
    except Exception:
        documents = None
    try:
        ranking = similarity.rank_documents(documents, LIMIT) if documents is not None else None
    except Exception:
        ranking = None
    try:
        connection.send(ranking)
    finally:
        connection.close()
