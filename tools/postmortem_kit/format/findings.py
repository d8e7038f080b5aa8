"""A finding: one problem at one place in one file."""

from __future__ import annotations

from typing import NamedTuple

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
