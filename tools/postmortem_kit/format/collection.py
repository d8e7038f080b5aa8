"""Every postmortem of a repository, read once, with lookups by id."""

from __future__ import annotations

import gc
import os
import time
import zlib
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from functools import cached_property
from pathlib import Path
from typing import Any

from postmortem_kit.format.cache import cache_path, read_json, write_json
from postmortem_kit.format.read import Postmortem, id_only, read_id_only, read_postmortem
from postmortem_kit.format.summary import Summary, SummaryIndex, read_summary, summary_of

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
    return [Path(path) for path in postmortem_file_names(folder)]


def postmortem_file_names(folder: Path) -> list[str]:
    """The absolute paths of the postmortem files under `folder`, in the order
    Paths sort (part by part). Strings, not Paths: linting one file lists
    thousands, and making a Path of each costs more than the listing.

    As os.walk: links to folders are not followed, folders that cannot be
    read are skipped, and anything else (a link, a FIFO) is listed for lint
    to report. Each folder's entries in order of name, a subfolder's files
    where its name falls, is the order Paths sort in, with no sort of it all.
    """
    found: list[str] = []
    pending = [_entries(os.path.abspath(folder))]
    while pending:  # depth first, with a stack: a hostile tree may be deeper than recursion
        for entry in pending[-1]:
            if _is_folder(entry):
                if not entry.is_symlink():
                    pending.append(_entries(entry.path))
                    break
            elif is_postmortem_file(entry.name):
                found.append(entry.path)
        else:
            pending.pop()
    return found


def _is_folder(entry: os.DirEntry[str]) -> bool:
    try:
        return entry.is_dir()
    except OSError:
        return False


def _entries(folder: str) -> Iterator[os.DirEntry[str]]:
    try:
        with os.scandir(folder) as entries:
            return iter(sorted(entries, key=lambda entry: entry.name))
    except OSError:
        return iter(())


class Collection:
    """Postmortems with lookups by id, and the summaries that rules looking
    across them compare a file with (given, when the postmortems are only
    stand-ins for files not read in full; else made from the postmortems when
    first asked)."""

    def __init__(
        self, postmortems: Iterable[Postmortem], summaries: Iterable[Summary] | None = None
    ) -> None:
        self.postmortems = tuple(postmortems)
        self.by_id: dict[str, list[Postmortem]] = {}
        for postmortem in self.postmortems:
            pm_id = postmortem.data.get("id")
            if isinstance(pm_id, str):
                self.by_id.setdefault(pm_id, []).append(postmortem)
        if summaries is not None:
            self.summaries = tuple(summaries)

    @cached_property
    def summaries(self) -> tuple[Summary, ...]:
        return tuple(summary_of(p) for p in self.postmortems)

    @cached_property
    def summary_index(self) -> SummaryIndex:
        return SummaryIndex(self.summaries)


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


def summaries_cache(folder: Path) -> Path | None:
    """Where `read_summaries` remembers the files of a postmortems folder."""
    return cache_path(f"summaries-{zlib.crc32(str(folder.absolute()).encode()):08x}.json")


def read_summaries(
    files: Iterable[str], base: Path, cache: Path | None, fresh: Iterable[Path] = ()
) -> list[Summary]:
    """`read_summary` of every file (absolute paths), remembered in `cache`:
    linting one file needs every other file's id and summary, and reading 2,000
    files costs more than the rest of a pre-commit run. A summary is used again
    only while the file's device, inode, size, and modification and change
    times are all as they were (a user can set the modification time back, not
    the change time). Of `fresh` files (those being linted) the id is always
    read again, and the summary too if the id differs; files without an id are
    always read.
    """
    known = read_json(cache) if cache else None
    entries: dict[str, list[Any]] = known if isinstance(known, dict) else {}
    remembered: dict[str, list[Any]] = {}
    always = {os.path.abspath(path) for path in fresh}
    now = time.time_ns()
    summaries = []
    under = os.path.join(os.path.abspath(base), "")
    for key in files:
        # display_path's answer, without its abspath calls: this runs for every file
        display = key[len(under) :].replace(os.sep, "/")
        if not key.startswith(under):
            display = display_path(key, base)
        try:
            stat = os.stat(key)
        except OSError:
            summaries.append(read_summary(Path(key), display))
            continue
        state = [stat.st_dev, stat.st_ino, stat.st_size, stat.st_mtime_ns, stat.st_ctime_ns]
        entry: Any = entries.get(key)
        summary = _remembered(entry, state, display)
        if summary and key in always and _id_of(key, display) != summary.id:
            summary = None
        if summary is None:
            summary = read_summary(Path(key), display)
            entry = [*state, summary.to_json()]
        summaries.append(summary)
        if summary.id and now - max(stat.st_mtime_ns, stat.st_ctime_ns) > _SETTLED_NS:
            remembered[key] = entry  # as read when unchanged: comparing it costs nothing
    if cache and remembered != entries:
        write_json(cache, remembered)
    return summaries


def _id_of(path: str, display: str) -> object:
    return read_id_only(Path(path), display).data.get("id")


def _remembered(entry: object, state: list[int], display: str) -> Summary | None:
    if isinstance(entry, list) and len(entry) == len(state) + 1 and entry[:-1] == state:
        return Summary.from_json(display, entry[-1])
    return None


def stand_ins(summaries: Iterable[Summary], compared: Iterable[Summary]) -> Collection:
    """A collection of files known by their summaries: each postmortem a
    stand-in that holds only its id; the summaries of those in `compared` are
    what rules looking across postmortems compare a file with."""
    return Collection((id_only(s.path, s.id) for s in summaries), compared)


def load_collection(files: Iterable[Path], base: Path, root: Path | None = None) -> Collection:
    """Every file, read for what it says (the site, reports), not for where:
    node positions are not kept. The linter reads each file with them.
    Paths are shown relative to `base`; files that resolve outside `root` are refused."""
    with bulk_reading():
        return Collection(
            read_postmortem(f, display_path(f, base), positions=False, root=root) for f in files
        )
