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

import re
import zlib
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

SKETCH_SIZE = 16
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
    sketch: tuple[int, ...]  # bottom-k hashes of the title's and factors' words

    @property
    def day(self) -> str:
        """The date part of `identified`: ISO dates compare as strings."""
        return self.identified[:10]

    def to_json(self) -> list[Any]:
        return [
            self.id,
            self.identified,
            list(self.systems),
            list(self.patterns),
            list(self.sketch),
        ]

    @classmethod
    def from_json(cls, path: str, value: object) -> Summary | None:
        """The summary a cache holds, or None if the value is not one (the cache is not trusted)."""
        if not (isinstance(value, list) and len(value) == 5):
            return None
        pm_id, identified, systems, patterns, sketch = value
        if not (
            isinstance(pm_id, str)
            and isinstance(identified, str)
            and _all(systems, str)
            and _all(patterns, str)
            and _all(sketch, int)
        ):
            return None
        return cls(path, pm_id, identified, tuple(systems), tuple(patterns), tuple(sketch))


def _all(value: object, kind: type) -> bool:
    return isinstance(value, list) and all(isinstance(v, kind) for v in value)


def summary_of(postmortem: Postmortem) -> Summary:
    data = postmortem.data
    causes = data.get("root_causes")
    causes = [c for c in causes if isinstance(c, dict)] if isinstance(causes, list) else []
    texts = [data.get("title"), *(c.get("factor") for c in causes)]
    return Summary(
        postmortem.path,
        _text(data.get("id")),
        _text(data.get("identified")),
        _texts(data.get("systems")),
        tuple(dict.fromkeys(p for c in causes if isinstance(p := c.get("pattern"), str))),
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


def sketch(text: str) -> tuple[int, ...]:
    words = {w for w in _WORD.findall(text.casefold()) if w not in _COMMON}
    return tuple(sorted(zlib.crc32(w.encode()) for w in words)[:SKETCH_SIZE])


def resemblance(a: tuple[int, ...], b: tuple[int, ...]) -> float:
    """Estimated share of words two texts have in common, from their sketches:
    of the smallest hashes of both texts together, those both contain."""
    if not a or not b:
        return 0.0
    smallest = sorted(set(a) | set(b))[:SKETCH_SIZE]
    both = set(a) & set(b)
    return sum(h in both for h in smallest) / len(smallest)


class SummaryIndex:
    """The summaries by system and pattern, and by sketch hash, so finding a
    file's similar ones does not compare it with every other file."""

    def __init__(self, summaries: Iterable[Summary]) -> None:
        self.by_system_pattern: dict[tuple[str, str], list[Summary]] = {}
        self.by_hash: dict[int, list[Summary]] = {}
        for summary in summaries:
            for key in {(s, p) for s in summary.systems for p in summary.patterns}:
                self.by_system_pattern.setdefault(key, []).append(summary)
            for h in summary.sketch:
                self.by_hash.setdefault(h, []).append(summary)

    def similar(self, summary: Summary) -> dict[str, tuple[Summary, list[str]]]:
        """Other files sharing a system and a pattern with `summary`, or with
        nearly the same words in title and factors: by path, with the reasons."""
        candidates = {
            other.path: other
            for system in summary.systems
            for pattern in summary.patterns
            for other in self.by_system_pattern.get((system, pattern), ())
        }
        candidates.update((o.path, o) for h in summary.sketch for o in self.by_hash.get(h, ()))
        candidates.pop(summary.path, None)
        found = {}
        for path, other in candidates.items():
            reasons = []
            systems = [s for s in summary.systems if s in other.systems]
            patterns = [p for p in summary.patterns if p in other.patterns]
            if systems and patterns:
                reasons.append(f"{_named('system', systems)} and {_named('pattern', patterns)}")
            share = resemblance(summary.sketch, other.sketch)
            if share >= NEARLY_SAME:
                reasons.append(f"nearly the same words in title and factors ({share:.0%})")
            if reasons:
                found[path] = (other, reasons)
        return found


def _named(kind: str, names: list[str]) -> str:
    quoted = ", ".join(f"'{n}'" for n in names)
    return f"{kind}s {quoted}" if len(names) > 1 else f"{kind} {quoted}"


def _text(value: object) -> str:
    return value if isinstance(value, str) else ""


def _texts(value: object) -> tuple[str, ...]:
    return tuple(v for v in value if isinstance(v, str)) if isinstance(value, list) else ()
