"""What the rules that look across postmortems read of every other file.

Linting one file (the pre-commit case) must not read 2,000 others in full, so
each file is reduced to a `Summary` small enough to be cached by
`collection.read_summaries`: its id, when it was identified, its systems and
root-cause patterns, and a sketch of the words of its title and root-cause
factors. The sketch is a bottom-k MinHash (Broder, 1997): the `SKETCH_SIZE`
smallest hashes of the words, from which the share of words two texts have
in common (their Jaccard index) is estimated without keeping the words.
"""

from __future__ import annotations

import bisect
import heapq
import re
import zlib
from collections import defaultdict
from collections.abc import Iterable
from pathlib import Path
from typing import Any, NamedTuple

from postmortem_kit.format.read import (
    MAX_BYTES,
    Postmortem,
    UnsafeFile,
    id_only,
    parse_postmortem,
    read_id_only,
    read_regular_file,
)
from postmortem_kit.format.vocabulary import MAX_SYSTEMS, SYSTEM_NAME_LENGTH, name_key

SKETCH_SIZE = 16
HASH_DIGITS = 8  # a CRC-32 in hex
MAX_PATTERNS = 10  # of a file's root-cause patterns, those summarised (the taxonomy has 6)
# Texts whose estimated share of common words is at least this are "nearly the
# same": a paraphrase shares far fewer, a copy with a few words changed more.
NEARLY_SAME = 0.6
_WORD = re.compile(r"[^\W\d_]{3,}")
# words too common in postmortems to say anything about which incident it was
_COMMON = frozenset(
    re.findall(
        r"\w+",
        """the and for with was were are not but from that this which when what who
        into onto over under than then there their they them its has had have been
        being our out all any can could did does would should will may might must
        via per also only more most less very such each other some same""",
    )
)


class Summary(NamedTuple):
    path: str
    id: str
    identified: str  # the date as written (YYYY-MM-DD…), "" when unknown
    systems: tuple[str, ...]
    patterns: tuple[str, ...]  # root-cause patterns, once each
    # the bottom-k hashes of the title's and factors' words, smallest first, in
    # one string: a cache of thousands is read on every commit, and one string
    # is read faster than sixteen
    sketch: str

    @property
    def day(self) -> str:
        """The date part of `identified`: ISO dates compare as strings."""
        return self.identified[:10]

    @property
    def hashes(self) -> tuple[str, ...]:
        step = HASH_DIGITS
        return tuple(self.sketch[i : i + step] for i in range(0, len(self.sketch), step))

    def to_json(self) -> list[Any]:
        return [self.id, self.identified, list(self.systems), list(self.patterns), self.sketch]

    @classmethod
    def from_json(cls, path: str, value: object) -> Summary | None:
        """The summary a cache holds, or None if the value is not one (the cache is not trusted)."""
        if not (isinstance(value, list) and len(value) == 5):
            return None
        pm_id, identified, systems, patterns, sketch = value
        if not (
            isinstance(pm_id, str)
            and isinstance(identified, str)
            and _strings(systems)
            and _strings(patterns)
            and isinstance(sketch, str)
            and len(sketch) <= HASH_DIGITS * SKETCH_SIZE
            and len(sketch) % HASH_DIGITS == 0
        ):
            return None
        return cls(path, pm_id, identified, tuple(systems), tuple(patterns), sketch)


def _strings(value: object) -> bool:
    return isinstance(value, list) and all(isinstance(v, str) for v in value)


def summary_of(postmortem: Postmortem) -> Summary:
    data = postmortem.data
    causes = data.get("root_causes")
    causes = [c for c in causes if isinstance(c, dict)] if isinstance(causes, list) else []
    texts = [data.get("title"), *(c.get("factor") for c in causes)]
    systems = dict.fromkeys(  # each system as it is compared: `Chat API` is `chat-api`
        name_key(s) for s in _texts(data.get("systems")) if len(s) <= SYSTEM_NAME_LENGTH
    )
    patterns = dict.fromkeys(p for c in causes if isinstance(p := c.get("pattern"), str))
    # bounded as the schema bounds a valid file: an invalid one is summarised too,
    # and the index holds a key for each pair of system and pattern
    return Summary(
        postmortem.path,
        _text(data.get("id")),
        _text(data.get("identified")),
        tuple(list(systems)[:MAX_SYSTEMS]),
        tuple([p for p in patterns if len(p) <= SYSTEM_NAME_LENGTH][:MAX_PATTERNS]),
        sketch(" ".join(t for t in texts if isinstance(t, str))),
    )


def read_summary(path: Path, display: str) -> Summary:
    """The file's summary from its front matter alone; a file that cannot be
    read for it still gives its id when a line `id: …` can be found."""
    try:
        raw = read_regular_file(path, MAX_BYTES + 1)
    except (OSError, UnsafeFile):
        return summary_of(id_only(display, ""))
    postmortem = parse_postmortem(raw, display, positions=False, body=False)
    if not postmortem.readable:
        postmortem = read_id_only(path, display)
    return summary_of(postmortem)


def sketch(text: str) -> str:
    """The smallest hashes of the text's distinct words, as hex of one width (so
    they sort as the numbers do), one after the other."""
    words = {w for w in _WORD.findall(text.casefold()) if w not in _COMMON}
    hashes = sorted(zlib.crc32(w.encode()) for w in words)[:SKETCH_SIZE]
    return "".join(f"{h:0{HASH_DIGITS}x}" for h in hashes)


def resemblance(a: tuple[str, ...], b: tuple[str, ...]) -> float:
    """Estimated share of words two texts have in common, from their sketches:
    of the smallest hashes of both texts together, those both contain."""
    if not a or not b:
        return 0.0
    smallest = sorted(set(a).union(b))[:SKETCH_SIZE]
    return len(set(a).intersection(b, smallest)) / len(smallest)


# How many earlier files that share only a sketch hash with a file, and turn
# out not to be similar, a lookup reads before it stops: a word in most files
# (and in their sketches) must not make every lookup read every file.
LOOKED_AT = 256


class SummaryIndex:
    """The summaries by system and pattern, and by sketch hash, each list in
    the order they were identified, so finding a file's most recent similar
    predecessors reads a few of them, never every other file."""

    def __init__(self, summaries: Iterable[Summary]) -> None:
        self._lists: defaultdict[object, list[Summary]] = defaultdict(list)
        dated = sorted((s for s in summaries if s.id and s.day), key=_order)
        for summary in dated:  # in order: each list is made sorted
            pairs = {(s, p) for s in summary.systems for p in summary.patterns}
            for key in (*pairs, *summary.hashes):
                self._lists[key].append(summary)

    def earlier_similar(
        self, summary: Summary, since: str, limit: int, ignore: set[str]
    ) -> list[tuple[Summary, list[str]]]:
        """The `limit` most recent files identified from `since` up to before
        `summary` that share a system and a pattern with it, or nearly the same
        words in title and factors, leaving out the ids in `ignore`: with reasons."""
        keys = [*((s, p) for s in summary.systems for p in summary.patterns), *summary.hashes]
        newest_first = heapq.merge(
            *(reversed(self._between(key, since, summary)) for key in keys),
            key=_order,
            reverse=True,
        )
        found: list[tuple[Summary, list[str]]] = []
        seen, misses = set(), 0
        for other in newest_first:
            if len(found) == limit or misses == LOOKED_AT:
                break
            if other.path in seen or other.id in ignore or other.id == summary.id:
                continue
            seen.add(other.path)
            reasons = _reasons(summary, other)
            if reasons:
                found.append((other, reasons))
            else:
                misses += 1
        return found

    def _between(self, key: object, since: str, summary: Summary) -> list[Summary]:
        found = self._lists.get(key, [])  # get: a lookup adds no key
        first = bisect.bisect_left(found, (since, ""), key=_order)
        return found[first : bisect.bisect_left(found, _order(summary), key=_order)]


def _order(summary: Summary) -> tuple[str, str]:
    return summary.day, summary.id


def _reasons(summary: Summary, other: Summary) -> list[str]:
    reasons = []
    systems = [s for s in summary.systems if s in other.systems]
    patterns = [p for p in summary.patterns if p in other.patterns]
    if systems and patterns:
        reasons.append(f"{_named('system', systems)} and {_named('pattern', patterns)}")
    own, theirs = summary.hashes, other.hashes
    shared = len(set(own).intersection(theirs))
    if shared >= NEARLY_SAME * max(len(own), len(theirs)):  # else it cannot be
        share = resemblance(own, theirs)
        if share >= NEARLY_SAME:
            reasons.append(f"nearly the same words in title and factors ({share:.0%})")
    return reasons


def _named(kind: str, names: list[str]) -> str:
    quoted = ", ".join(f"'{n}'" for n in names)
    return f"{kind}s {quoted}" if len(names) > 1 else f"{kind} {quoted}"


def _text(value: object) -> str:
    return value if isinstance(value, str) else ""


def _texts(value: object) -> tuple[str, ...]:
    return tuple(v for v in value if isinstance(v, str)) if isinstance(value, list) else ()
