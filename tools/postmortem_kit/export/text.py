"""The text every export takes from a postmortem, and the one way it writes
JSON: a section's Markdown, the ids of postmortems the audience may not read
withheld wherever a text names one, and JSON that is safe to paste.
"""

from __future__ import annotations

import re
from typing import Any, TypeVar, cast

from postmortem_kit.format.read import Postmortem
from postmortem_kit.format.vocabulary import ID_DIGITS
from postmortem_kit.site.aggregate import Aggregate

# In place of the id of a postmortem that is not shown, wherever a text names one.
WITHHELD = "[not disclosed]"

Record = TypeVar("Record")


def narrative(postmortem: Postmortem, titles: tuple[str, ...]) -> str:
    """The sections `titles` that the postmortem has, each under its heading."""
    parts = []
    for title in titles:
        text = postmortem.section_text(title)
        if text:
            parts.append(f"## {title}\n\n{text}")
    return "\n\n".join(parts)


# What may stand between the parts of an id and still read as a hyphen: a
# hyphen-minus, every Unicode dash (category Pd; a test keeps the list whole)
# and minus sign, each perhaps escaped for Markdown (`\\-`), and the HTML
# references that Markdown renders as one.
DASHES = (
    "-\u058a\u05be\u1400\u1806\u2010\u2011\u2012\u2013\u2014\u2015\u2e17\u2e1a\u2e3a"
    "\u2e3b\u2e40\u2e5d\u301c\u3030\u30a0\ufe31\ufe32\ufe58\ufe63\uff0d\U00010ead"
    "\u02d7\u2043\u2212\u2796"  # modifier letter minus, hyphen bullet, minus signs
)
_DASH = f"[{re.escape(DASHES)}]"
_SEPARATOR = rf"(?:\\?{_DASH}|&(?:\#0*45|\#x0*2d|hyphen|dash|minus|ndash|mdash);)"
# What follows a withheld id in the same file name or address (`-the-slug.md`,
# `.json`, Markdown escapes too): withheld with it, up to its last letter or digit.
_TAIL = re.compile(rf"(?:(?:\\?[.~%]|\\_|{_SEPARATOR})*\w)*", re.IGNORECASE)


_LAST_RULE: dict[str, HiddenIds] = {}  # the one `HiddenIds.of` made last


class HiddenIds:
    """The one rule for withholding the ids of postmortems outside `aggregate`
    (`withhold_hidden_ids`), made once per export."""

    def __init__(self, aggregate: Aggregate) -> None:
        self.by_id = aggregate.by_id  # what it was made for (`of`)
        self.shown = {pm_id.upper() for pm_id in aggregate.by_id}
        prefixes = {pm_id.split("-")[0] for pm_id in aggregate.by_id}
        self.prefixes = sorted({p.casefold() for p in prefixes}, key=len, reverse=True)
        fewest, most = ID_DIGITS
        alternatives = "|".join(map(re.escape, sorted(prefixes, key=len, reverse=True)))
        self.pattern = re.compile(
            rf"(?P<prefix>{alternatives}){_SEPARATOR}(?P<year>[0-9]{{4}})"
            rf"{_SEPARATOR}(?P<number>[0-9]{{{fewest},{most}}})",
            re.IGNORECASE,
        )

    @classmethod
    def of(cls, aggregate: Aggregate) -> HiddenIds:
        """The rule for `aggregate`, made once however many records ask (the
        disclosure formats withhold record by record)."""
        last = _LAST_RULE.get("rule")
        if last is None or last.by_id is not aggregate.by_id:
            last = _LAST_RULE["rule"] = cls(aggregate)
        return last

    def may_name_one(self, text: str) -> bool:
        """Whether `text` holds a prefix of the ids, in any case: the cheap test
        before `withhold` (which a text failing it leaves as it is)."""
        if not self.prefixes:
            return False
        folded = text.casefold()
        return any(prefix in folded for prefix in self.prefixes)

    def withhold(self, text: str) -> str:
        """`text` with each hidden id, and the rest of the file name or address
        it starts, replaced by `WITHHELD`."""
        if not self.may_name_one(text):
            return text
        parts, done = [], 0
        for match in self.pattern.finditer(text):
            if match.start() < done:  # in what was withheld already
                continue
            pm_id = f"{match['prefix']}-{match['year']}-{match['number']}".upper()
            if pm_id in self.shown:
                continue
            tail = _TAIL.match(text, match.end())
            parts += [text[done : match.start()], WITHHELD]
            done = tail.end() if tail else match.end()
        return "".join([*parts, text[done:]]) if parts else text


def withhold_hidden_ids(record: Record, aggregate: Aggregate | HiddenIds) -> Record:
    """`record` (text, or lists and mappings of it) with every id of a
    postmortem outside `aggregate` replaced by `WITHHELD`: the one rule for
    every export.

    Free text may name a postmortem the audience may not read ("as in
    AIPM-2025-003"): `related` is already filtered, prose is filtered here.
    An id is anything shaped like one (the schema's id pattern) with the
    prefix of the shown ids (a repository's ids share its prefix), as it
    reads once rendered: in any case, its hyphens any dash, escaped for
    Markdown or an HTML reference (`aipm\\-2025&#45;003`). Where it starts a
    file name or an address (`AIPM-2025-003-the-title.md`), the rest of that
    goes too: a slug is its title. Shown ids stay, as written; other
    identifiers (CVE-2024-12345) have another prefix and stay too.
    """
    rule = aggregate if isinstance(aggregate, HiddenIds) else HiddenIds.of(aggregate)

    def withhold(value: Any) -> Any:
        if isinstance(value, str):
            return rule.withhold(value)
        if isinstance(value, dict):
            return {withhold(k): withhold(v) for k, v in value.items()}
        if isinstance(value, list):
            return [withhold(v) for v in value]
        return value

    return cast(Record, withhold(record))
