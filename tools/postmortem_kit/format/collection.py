"""Every postmortem of a repository, read once, with lookups by id."""

from __future__ import annotations

import gc
import os
import time
import zlib
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, NamedTuple, TypeGuard

from postmortem_kit.format.cache import cache_path, read_json, write_json
from postmortem_kit.format.read import Postmortem, id_only, read_id_only, read_postmortem

NOT_POSTMORTEMS = {"readme.md", "index.md"}


def is_postmortem_file(path: Path | str) -> bool:
    """Markdown files count, except `_*.md`, README.md and index.md."""
    name = os.path.basename(path)
    return (
        name.lower().endswith(".md")
        and not name.startswith("_")
        and name.lower() not in NOT_POSTMORTEMS
    )


def find_postmortem_files(folder: Path) -> list[Path]:
    if not folder.is_dir():
        return []
    found = [
        os.path.join(parent, name)
        for parent, dirs, names in os.walk(folder)
        for name in names
        if is_postmortem_file(name)
    ]
    # in the order Paths sort (part by part), without making 1,000s of Paths to sort
    return [Path(path) for path in sorted(found, key=lambda path: path.split(os.sep))]


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


# Files changed this recently are read again next time: a second change within
# the file system's clock tick would leave the size and time as they were.
_SETTLED_NS = 2_000_000_000


def ids_cache(folder: Path) -> Path | None:
    """Where `read_ids` remembers the ids of a postmortems folder."""
    return cache_path(f"ids-{zlib.crc32(str(folder.absolute()).encode()):08x}.json")


def read_ids(
    files: Iterable[Path], base: Path, cache: Path | None, fresh: Iterable[Path] = ()
) -> list[Postmortem]:
    """`read_id_only` of every file, remembered in `cache`: linting one file
    needs every other file's id, and reading 2,000 files costs more than the
    rest of a pre-commit run. An id is used again only while the file's device,
    inode, size, and modification and change times are all as they were (a
    user can set the modification time back, not the change time); `fresh`
    files (those being linted) and files without an id are always read.
    """
    known = read_json(cache) if cache else None
    entries: dict[str, list[Any]] = known if isinstance(known, dict) else {}
    remembered: dict[str, list[Any]] = {}
    always = {os.path.abspath(path) for path in fresh}
    now = time.time_ns()
    postmortems = []
    for path in files:
        display, key = display_path(path, base), os.path.abspath(path)
        try:
            stat = os.stat(path)
        except OSError:
            postmortems.append(read_id_only(path, display))
            continue
        state = [stat.st_dev, stat.st_ino, stat.st_size, stat.st_mtime_ns, stat.st_ctime_ns]
        entry = entries.get(key)
        if key not in always and _is_current(entry, state):
            postmortem = id_only(display, entry[-1])
        else:
            postmortem = read_id_only(path, display)
        postmortems.append(postmortem)
        pm_id = postmortem.data.get("id", "")
        if pm_id and now - max(stat.st_mtime_ns, stat.st_ctime_ns) > _SETTLED_NS:
            remembered[key] = [*state, pm_id]
    if cache and remembered != entries:
        write_json(cache, remembered)
    return postmortems


def _is_current(entry: object, state: list[int]) -> TypeGuard[list[Any]]:
    return (
        isinstance(entry, list)
        and len(entry) == len(state) + 1
        and entry[:-1] == state
        and isinstance(entry[-1], str)
    )


def load_collection(files: Iterable[Path], base: Path, root: Path | None = None) -> Collection:
    """Every file, read for what it says (the site, reports), not for where:
    node positions are not kept. The linter reads each file with them.
    Paths are shown relative to `base`; files that resolve outside `root` are refused."""
    with bulk_reading():
        return Collection.of(
            read_postmortem(f, display_path(f, base), positions=False, root=root) for f in files
        )
