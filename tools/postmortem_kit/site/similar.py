"""Each incident page's similar postmortems: ranked once per build, beside the pages.

`postmortem_kit.similarity` ranks every postmortem against the others in one
go; what costs is importing scikit-learn (about a second), not the ranking.
So a build ranks in a forked process while it goes on, and each incident page
carries a placeholder where its list goes, filled last (`Similar.fill`): the
MkDocs plugin fills each page as MkDocs writes it, after every page has been
through Markdown, which leaves the process seconds to finish. A machine with
one core or without `fork`, and `mkdocs serve` (which runs threads), rank here
when the first list is asked for.

Only the postmortems the audience may see are ranked: a hidden one changes
no score and no reason.
"""

from __future__ import annotations

import multiprocessing as mp
import secrets
import signal
from collections.abc import Callable, Sequence
from multiprocessing.connection import Connection
from multiprocessing.process import BaseProcess

from postmortem_kit import similarity
from postmortem_kit.format.read import Postmortem
from postmortem_kit.lint.runner import can_fork

LIMIT = 5  # matches on each page
# How long a build waits for the other process (5,000 postmortems take 2 s)
# before it stops it and ranks itself: a process that hangs must not hang the build.
RANKING_SECONDS = 300

Ranking = dict[str, list[similarity.Match]]


class Similar:
    """The ranking of one build, in this process or under way in another."""

    def __init__(self, postmortems: Sequence[Postmortem], forked: bool | None = None) -> None:
        """Start ranking `postmortems`: in a forked process unless `forked` is
        False or the machine cannot fork safely (then when first asked)."""
        # Our own HTML block, which the plugin keeps from Markdown and the
        # sanitiser (site/mkdocs/html.py); with a token drawn for each build,
        # no author can write it.
        self.placeholder = f'<ul data-pm-similar="{secrets.token_hex(8)}">\n</ul>'
        self._postmortems = postmortems
        self._ranking: Ranking | None = None
        fork = can_fork() if forked is None else forked
        self._ranker = _Ranker(postmortems) if fork and postmortems else None

    def of(self, pm_id: str) -> list[similarity.Match]:
        return self.ranking().get(pm_id, [])

    def ranking(self) -> Ranking:
        if self._ranking is None:
            ranking = self._ranker.result() if self._ranker else None
            # None: the process failed, or there is none; ranking here reports the error, if any
            if ranking is None:
                ranking = similarity.rank(self._postmortems, LIMIT) if self._postmortems else {}
            self._ranking = ranking
        return self._ranking

    def fill(self, text: str, section: Callable[[], str]) -> str:
        """`text` (a page's Markdown or HTML) with its list where the placeholder
        is: the first, as the author's text comes after it (and cannot hold
        this build's token anyway). `section` renders the list, once the
        ranking is in."""
        if self.placeholder not in text:
            return text
        return text.replace(self.placeholder, section(), 1)


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
        """The ranking; None if the process failed or took too long (it is
        stopped then: the build does not wait on it)."""
        ranking: Ranking | None = None
        try:
            if self._connection.poll(RANKING_SECONDS):
                ranking = self._connection.recv()
        except (EOFError, OSError):
            pass
        finally:
            self._connection.close()
            if ranking is None:
                self._process.kill()  # SIGKILL: a stopped or stuck process ends too
            self._process.join()
        return ranking


def _rank_in_child(
    postmortems: Sequence[Postmortem], connection: Connection, builds_end: Connection
) -> None:
    """The forked process: rank and send the result back, or None on an error
    (the build then ranks again itself, and reports it)."""
    builds_end.close()  # the build's end, inherited: the build alone holds it
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C stops the build, which stops this
    try:
        ranking: Ranking | None = similarity.rank(postmortems, LIMIT)
    except Exception:
        ranking = None
    try:
        connection.send(ranking)
    except OSError:  # the build went on without it (it ended, or never asked)
        pass
    finally:
        connection.close()
