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
import signal
import threading
import time
from collections.abc import Callable, Sequence
from multiprocessing.connection import Connection
from multiprocessing.process import BaseProcess

from postmortem_kit import similarity
from postmortem_kit.format.read import Postmortem

LIMIT = 5  # matches on each page
# How long a build waits for the other process (5,000 postmortems take 2 s)
# before it stops it and ranks itself: a process that hangs must not hang the build.
RANKING_SECONDS = 300

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
        if self._ranker and self._documents:  # else the process is stopped unsent
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
        self._sender: threading.Thread | None = None
        self._sent = threading.Event()

    def send(self, documents: list[similarity.Document]) -> None:
        """Send from a thread: a pipe holds 64 KB, so sending waits until the
        process reads, and a process still importing (or stuck) must not hold
        up the pages."""
        self._sender = threading.Thread(target=self._send, args=(documents,), daemon=True)
        self._sender.start()

    def _send(self, documents: list[similarity.Document]) -> None:
        try:
            self._connection.send(documents)
            self._sent.set()
        except OSError:  # the process is gone: result() says so, and the build ranks
            pass

    def result(self) -> Ranking | None:
        """The ranking; None if the process failed, took too long or was sent
        nothing (it is stopped then: the build does not wait on it)."""
        ranking: Ranking | None = None
        deadline = time.monotonic() + RANKING_SECONDS
        try:
            if (
                self._sender
                and self._sent.wait(RANKING_SECONDS)
                and self._connection.poll(max(deadline - time.monotonic(), 0))
            ):
                ranking = self._connection.recv()
        except (EOFError, OSError):
            pass
        finally:
            if ranking is None:
                self._process.kill()  # SIGKILL: a stopped or stuck process ends too
            self._process.join()
            if self._sender:
                self._sender.join()  # the pipe is broken now, if it was still sending
            self._connection.close()
        return ranking


def _rank_in_child(connection: Connection, builds_end: Connection) -> None:
    """The forked process: rank what the build sends, and send the result back,
    or None on an error (the build then ranks again itself, and reports it).
    A build that stops before it sends closes its end: then this ends too."""
    builds_end.close()  # the build's end, inherited: the build alone holds it
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C stops the build, which stops this
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
