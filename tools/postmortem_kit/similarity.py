"""Similar postmortems: for each one, the others ranked, each with its reasons.

A score in [0, 1] adds up five parts, each a cosine between two postmortems:

- the text of the title, summary, root-cause factors and lessons learned
  (TF-IDF: sublinear term frequency, English stop words left out);
- the systems, the incident types, the root-cause patterns and the
  manifestations, each a set of words weighted by how rare it is among the
  postmortems given (a system few incidents touch says more than a common one).

Every part is a row-normalised sparse matrix scaled by the square root of its
weight; side by side they make one matrix whose product with its own transpose
is the whole score matrix, computed a block of rows at a time so that memory
stays bounded. Only the postmortems given are ever read, so what an audience
cannot see changes nothing, IDF included.

`related` (in either direction) pins a match: it comes first, whatever its
score. `not_similar` (in either direction) rejects one: it never appears.

numpy, scipy and scikit-learn are imported when a ranking is asked for:
importing this module stays cheap (`postmortem lint` runs on every commit).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any, NamedTuple

from postmortem_kit.format.collection import bulk_reading
from postmortem_kit.format.read import Postmortem
from postmortem_kit.format.vocabulary import name_key

# scipy and scikit-learn ship no types: their matrices are Any here
Sparse = Any
Array = Any  # a numpy array

# The parts of a score and their weights; they add up to 1.
TEXT_WEIGHT = 0.50
FACETS: tuple[tuple[str, str, str, float], ...] = (
    # name, reason (singular), reason (plural), weight
    ("systems", "same system", "same systems", 0.20),
    ("incident_types", "same incident type", "same incident types", 0.10),
    ("patterns", "same root-cause pattern", "same root-cause patterns", 0.10),
    ("manifestations", "same manifestation", "same manifestations", 0.10),
)
PINNED_REASON = "linked in related"
MIN_SCORE = 0.01  # an unpinned match scoring less is no match
MIN_TEXT_REASON = 0.05  # text closer than this is not worth a reason
BLOCK_ROWS = 500  # rows of the score matrix computed at once (500 x 5,000 floats: 20 MB)
COMMON_SHARE = 0.1  # a column more than this share of postmortems have is kept dense
SCALE = 1000  # scores are kept in thousandths


class Match(NamedTuple):
    id: str
    title: str
    score: float  # in [0, 1], rounded to 3 decimals
    reasons: tuple[str, ...]  # human sentences: "same system: chat-api", "similar text (0.62)"


class _Entry(NamedTuple):
    """What the ranking reads of one postmortem."""

    id: str
    title: str
    text: str
    facets: tuple[dict[str, str], ...]  # per facet: normalised key -> spelling, sorted by key
    related: frozenset[str]
    not_similar: frozenset[str]


def rank(postmortems: Sequence[Postmortem], limit: int = 5) -> dict[str, list[Match]]:
    """For every postmortem with an id: its best `limit` matches among the given ones, best first.

    Pinned matches (`related`, either way) come first, then the others by
    score; ties go to the smaller id. A postmortem never matches itself, nor
    one that `not_similar` names (either way), nor anything not given.
    """
    if limit < 1:
        raise ValueError(f"limit must be at least 1, not {limit}")
    with bulk_reading():  # thousands of small objects, no cycles: no collector passes
        entries = _entries(postmortems)
        return _rank_entries(entries, limit, rows=range(len(entries))) if entries else {}


def similar_to(postmortems: Sequence[Postmortem], target_id: str, limit: int = 5) -> list[Match]:
    """The best `limit` matches of the postmortem `target_id` among the given ones.

    The same scores as `rank` (IDF comes from all the postmortems given), one
    row of them computed. Raises KeyError when no given postmortem has that id.
    """
    if limit < 1:
        raise ValueError(f"limit must be at least 1, not {limit}")
    with bulk_reading():
        entries = _entries(postmortems)
        row = next((i for i, e in enumerate(entries) if e.id == target_id), None)
        if row is None:
            raise KeyError(target_id)
        return _rank_entries(entries, limit, rows=range(row, row + 1))[target_id]


# --- what is compared ------------------------------------------------------------


def _entries(postmortems: Iterable[Postmortem]) -> list[_Entry]:
    """One entry per id, sorted by id: the result never depends on the order given."""
    by_id: dict[str, Postmortem] = {}
    for pm in sorted(postmortems, key=lambda p: (str(p.data.get("id")), p.path)):
        pm_id = pm.data.get("id")
        if isinstance(pm_id, str) and pm_id and pm_id not in by_id:
            by_id[pm_id] = pm  # a duplicate id (lint's error) keeps its first file
    return [_entry(pm_id, pm) for pm_id, pm in by_id.items()]


def _entry(pm_id: str, pm: Postmortem) -> _Entry:
    data = pm.data
    title = data.get("title")
    title = title if isinstance(title, str) else ""
    causes = [c for c in _list(data.get("root_causes")) if isinstance(c, dict)]
    factors = [c.get("factor") for c in causes]
    summary = pm.section_text("Summary")
    lessons_section = pm.section("Lessons learned")
    lessons = lessons_section.items if lessons_section else ()
    text = "\n".join([title, summary, *(f for f in factors if isinstance(f, str)), *lessons])
    facets = (
        _keyed(_list(data.get("systems"))),
        _keyed(_list(data.get("incident_types"))),
        _keyed(c.get("pattern") for c in causes),
        _keyed(c.get("manifestation") for c in causes),
    )
    return _Entry(
        pm_id,
        title,
        text,
        facets,
        frozenset(_strings(data.get("related"))),
        frozenset(_strings(data.get("not_similar"))),
    )


def _list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else []


def _strings(value: Any) -> list[str]:
    return [v for v in _list(value) if isinstance(v, str)]


def _keyed(values: Iterable[Any]) -> dict[str, str]:
    """Normalised key -> spelling: `Chat API` and `chat-api` are one system."""
    keyed: dict[str, str] = {}
    for value in values:
        if isinstance(value, str) and value.strip():
            keyed.setdefault(name_key(value), value.strip())
    return dict(sorted(keyed.items()))  # in the order of their keys


# --- scores ------------------------------------------------------------------------


class _Scores:
    """The score matrix, a block of rows at a time.

    Columns that many postmortems share (common words, common patterns) make
    a sparse product as slow as a dense one, so they are kept dense and
    multiplied by BLAS; the others stay sparse. Columns only one postmortem
    has add nothing to any pair and are dropped. Everything is float64 so that
    rounding to thousandths comes out the same whichever way a pair is computed.
    """

    def __init__(self, entries: list[_Entry]) -> None:
        import numpy as np

        whole, self.text = _matrix(entries)
        n = len(entries)
        df = np.bincount(whole.indices, minlength=whole.shape[1])
        common = df > max(n * COMMON_SHARE, 1)
        self.dense = whole[:, np.flatnonzero(common)].toarray()
        self.sparse = whole[:, np.flatnonzero(~common & (df >= 2))].tocsr()
        self.sparse_t = self.sparse.T.tocsr()

    def rows(self, start: int, stop: int) -> Array:
        block = self.dense[start:stop] @ self.dense.T
        rare = (self.sparse[start:stop] @ self.sparse_t).tocoo()
        block[rare.row, rare.col] += rare.data  # each place once: no need for np.add.at
        return block


def _matrix(entries: list[_Entry]) -> tuple[Sparse, Sparse]:
    """Every part side by side, each scaled by the square root of its weight; and the text part."""
    import numpy as np
    from scipy import sparse  # type: ignore[import-untyped]
    from sklearn.feature_extraction.text import TfidfVectorizer  # type: ignore[import-untyped]

    try:
        vectorizer = TfidfVectorizer(sublinear_tf=True, stop_words="english", dtype=np.float64)
        text = vectorizer.fit_transform([e.text for e in entries]).tocsr()  # rows of length 1
    except ValueError:  # no word at all: empty texts, or only stop words
        text = sparse.csr_matrix((len(entries), 1), dtype=np.float64)
    parts = [text * TEXT_WEIGHT**0.5]
    for index, (_, _, _, weight) in enumerate(FACETS):
        data, indices, indptr, columns = _one_hot([e.facets[index] for e in entries])
        facet = sparse.csr_matrix((data, indices, indptr), shape=(len(entries), columns))
        parts.append(facet * weight**0.5)
    return sparse.hstack(parts, format="csr", dtype=np.float64), text


def _one_hot(rows: list[dict[str, str]]) -> tuple[Array, Array, Array, int]:
    """A CSR matrix's arrays: a row per postmortem, a column per value, each
    weighted by its IDF, rows of length 1 (or empty)."""
    import numpy as np

    columns = {key: i for i, key in enumerate(sorted({key for row in rows for key in row}))}
    lengths = np.array([len(row) for row in rows], dtype=np.int64)
    indptr = np.concatenate([[0], np.cumsum(lengths)])
    indices = np.array([columns[key] for row in rows for key in row], dtype=np.int64)
    df = np.bincount(indices, minlength=len(columns))
    idf = np.log((1 + len(rows)) / (1 + df)) + 1  # smooth, as scikit-learn's TF-IDF
    data = idf[indices]
    row_of = np.repeat(np.arange(len(rows)), lengths)
    data /= np.sqrt(np.bincount(row_of, weights=data**2, minlength=len(rows)))[row_of]
    return data, indices, indptr, max(len(columns), 1)


def _rank_entries(entries: list[_Entry], limit: int, rows: range) -> dict[str, list[Match]]:
    import numpy as np

    n = len(entries)
    index = {e.id: i for i, e in enumerate(entries)}
    pinned = _links(entries, index, "related")
    rejected = _links(entries, index, "not_similar")
    scores = _Scores(entries)
    k = min(limit, n - 1)
    ranked: dict[str, list[Match]] = {}
    for start in range(rows.start, rows.stop, BLOCK_ROWS):
        stop = min(start + BLOCK_ROWS, rows.stop)
        for i in range(start, stop):
            ranked[entries[i].id] = []
        if k <= 0:
            continue
        keys = _keys(scores.rows(start, stop), start, pinned, rejected)
        chosen = np.argpartition(keys, n - k, axis=1)[:, n - k :]  # the k largest, unordered
        best = np.take_along_axis(keys, chosen, axis=1)
        order = np.argsort(-best, axis=1)  # keys differ within a row: any sort gives one order
        chosen = np.take_along_axis(chosen, order, axis=1)
        best = np.take_along_axis(best, order, axis=1)
        rows_found, places = np.nonzero(best >= 0)
        left = (rows_found + start).tolist()
        right = chosen[rows_found, places].tolist()
        found = best[rows_found, places].astype(np.int64) // (n + 1) % (SCALE + 1) / SCALE
        text_scores = _pair_scores(scores.text, left, right)
        for i, j, score, text_score in zip(left, right, found.tolist(), text_scores, strict=True):
            reasons = _reasons(entries[i], entries[j], text_score, (i, j) in pinned)
            ranked[entries[i].id].append(Match(entries[j].id, entries[j].title, score, reasons))
    return ranked


def _links(entries: list[_Entry], index: dict[str, int], key: str) -> set[tuple[int, int]]:
    """Pairs of rows linked by `key` (related, not_similar) in either direction."""
    links = set()
    for i, entry in enumerate(entries):
        for other in getattr(entry, key):
            j = index.get(other)
            if j is not None and j != i:
                links |= {(i, j), (j, i)}
    return links


def _keys(
    block: Array, start: int, pinned: set[tuple[int, int]], rejected: set[tuple[int, int]]
) -> Array:
    """A number per pair that sorts matches: pinned first, then by score, then by id.

    (pinned * (SCALE + 1) + score in thousandths) * (n + 1) + (n - column): all
    different within a row, so the order never depends on how the top k were
    partitioned (floats hold these integers exactly); -1 for what is never listed.
    """
    import numpy as np

    rows, n = block.shape
    block *= SCALE
    np.rint(block, out=block)
    np.clip(block, 0, SCALE, out=block)
    block[block < round(MIN_SCORE * SCALE)] = -np.inf
    for i, j in pinned:
        if start <= i < start + rows:
            block[i - start, j] = max(block[i - start, j], 0) + SCALE + 1
    block *= n + 1
    block += np.arange(n, 0, -1, dtype=block.dtype)
    block[np.arange(rows), np.arange(start, start + rows)] = -1  # never itself
    for i, j in rejected:
        if start <= i < start + rows:
            block[i - start, j] = -1
    block[block < 0] = -1
    return block


def _pair_scores(text: Sparse, left: list[int], right: list[int]) -> list[float]:
    """The text cosine of each pair of rows."""
    if not left:
        return []
    import numpy as np

    products = text[np.array(left)].multiply(text[np.array(right)])
    return [float(v) for v in np.asarray(products.sum(axis=1)).ravel()]


def _reasons(entry: _Entry, other: _Entry, text_score: float, pinned: bool) -> tuple[str, ...]:
    reasons = [PINNED_REASON] if pinned else []
    for index, (_, singular, plural, _) in enumerate(FACETS):
        mine, theirs = entry.facets[index], other.facets[index]
        shared = [spelling for key, spelling in mine.items() if key in theirs]
        if shared:
            reasons.append(f"{singular if len(shared) == 1 else plural}: {', '.join(shared)}")
    if text_score >= MIN_TEXT_REASON:
        reasons.append(f"similar text ({text_score:.2f})")
    return tuple(reasons)
