"""Every postmortem of a repository, read once, with lookups by id."""

from __future__ import annotations

import gc
import os
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import NamedTuple

from postmortem_kit.format.read import Postmortem, read_postmortem

NOT_POSTMORTEMS = {"readme.md", "index.md"}


def is_postmortem_file(path: Path) -> bool:
    """Markdown files count, except `_*.md`, README.md and index.md."""
    name = path.name
    return (
        name.lower().endswith(".md")
        and not name.startswith("_")
        and name.lower() not in NOT_POSTMORTEMS
    )


def find_postmortem_files(folder: Path) -> list[Path]:
    if not folder.is_dir():
        return []
    found = [
        Path(parent, name)
        for parent, dirs, names in os.walk(folder)
        for name in names
        if is_postmortem_file(Path(name))
    ]
    return sorted(found)


class Collection(NamedTuple):
    postmortems: tuple[Postmortem, ...]
    by_id: dict[str, list[Postmortem]]

    @classmethod
    def of(cls, postmortems: Iterable[Postmortem]) -> Collection:
        postmortems = tuple(postmortems)
        by_id: dict[str, list[Postmortem]] = {}
        for postmortem in postmortems:
            pm_id = postmortem.data.get("id")
            if isinstance(pm_id, str):
                by_id.setdefault(pm_id, []).append(postmortem)
        return cls(postmortems, by_id)


@contextmanager
def bulk_reading() -> Iterator[None]:
    """Pause the cyclic garbage collector while thousands of files are read.

    Each of its passes rescans every live object, and with every postmortem
    kept alive that costs a third of a large run; reading makes no cycles.
    """
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


def display_path(path: str | Path, base: str | Path) -> str:
    """A path as shown to people: relative to `base` where possible, with '/'.

    Nothing is resolved: a link is shown where it is, not where it leads, and no
    file is looked at. Lint shows the path of every file of a repository, so
    this runs thousands of times: a file under `base`, the usual case, is what
    follows `base` in its absolute path (os.path.relpath says the same, 5x slower).
    """
    full, start = os.path.abspath(path), os.path.abspath(base)
    under = start if start.endswith(os.sep) else start + os.sep
    relative = full[len(under) :] if full.startswith(under) else ""
    if not relative or relative.startswith(os.sep):  # not under it, or '//x' against '/'
        relative = os.path.relpath(full, start)
    if relative.startswith(".."):
        return Path(path).as_posix()
    return relative.replace(os.sep, "/")


def load_collection(files: Iterable[Path], base: Path, root: Path | None = None) -> Collection:
    """Every file, read for what it says (the site, reports), not for where:
    node positions are not kept. The linter reads each file with them.
    Paths are shown relative to `base`; files that resolve outside `root` are refused."""
    with bulk_reading():
        return Collection.of(
            read_postmortem(f, display_path(f, base), positions=False, root=root) for f in files
        )
