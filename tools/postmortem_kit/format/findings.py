"""A finding: one problem at one place in one file."""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Any, NamedTuple

ERROR = "error"
WARNING = "warning"


class Finding(NamedTuple):
    path: str
    line: int
    column: int
    level: str
    rule: str
    message: str

    @property
    def sort_key(self) -> tuple[str, int, int, str]:
        return (self.path, self.line, self.column, self.rule)


# Characters a terminal or a log viewer acts on instead of showing: control
# characters (escape sequences, carriage returns), line separators and the
# bidirectional overrides that make text read other than it is (CVE-2021-42574).
_UNPRINTABLE = re.compile("[\x00-\x1f\x7f-\x9f\u061c\u200e\u200f\u2028-\u202e\u2066-\u2069]")


def printable(text: str) -> str:
    """`text` with what a terminal would act on shown as escapes (`\\x1b`, `\\u202e`):
    messages quote what authors wrote."""
    return _UNPRINTABLE.sub(lambda m: m.group().encode("unicode_escape").decode(), text)


def did_you_mean(value: Any, options: Iterable[Any]) -> str:
    """` (did you mean 'x'?)` for the option closest to a short mistyped value, or "".

    Long values are never compared: difflib takes quadratic time on them, and
    nobody mistypes an id or a slug as a page of text.
    """
    if not isinstance(value, str) or len(value) > 64:
        return ""
    import difflib  # only for a mistake

    close = difflib.get_close_matches(value, [str(o) for o in options], n=1, cutoff=0.6)
    return f" (did you mean '{close[0]}'?)" if close else ""
