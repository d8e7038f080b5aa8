"""Where every export writes, without losing anything: the one place for
the rules of `--output` (docs/exports.md, "Where an export writes").

An export writes where `--output` says only if nothing there is the user's:

- a path that does not exist yet (its missing folders are made);
- for a file (jsonl, sqlite and its Datasette metadata): an empty file, or
  one an earlier export of the same kind wrote, which it replaces;
- for a folder (csv, avid, atlas, aiid): an empty folder, or one an earlier
  export of the same format wrote: it holds the marker file (`MARKER`: the
  format on its first line, then the name of every file that export wrote,
  one a line) and only the files the marker names. Its files that the new
  export does not write again are removed (a postmortem no longer exported
  does not linger). A file the marker does not name is the user's, whatever
  its name (a `CVE-2024-12345.json` looks like a record), and the export
  refuses the folder; a marker that names no files (an older version's)
  makes no file ours.

Anything else is refused with an `ExportError` before a byte is written: a
symbolic link (name the real path), a folder where a file is needed or the
other way round, a file or folder someone else wrote, a path inside the
postmortems folder (`check_outside`: what is there may be published). Each file is written
to a temporary file beside it and then renamed over the old one, so an
export that fails half-way (a full disk, a killed process) leaves the
previous one whole, and a link planted in the folder meanwhile is replaced,
never followed.
"""

from __future__ import annotations

import contextlib
import os
import secrets
from collections.abc import Callable, Collection, Iterator
from pathlib import Path

from postmortem_kit.export import ExportError

# Marks a folder as written by `postmortem export --format <its first line>`,
# and names the files that export wrote, one a line.
MARKER = ".postmortem-export"
MARKER_LIMIT = 16 * 1024 * 1024  # bytes: a larger marker is not ours
TOKEN_BYTES = 6  # of a temporary file's random name

# Whether a file name is one a folder format may write (`check_folder`): a
# name the marker lists is ours only if the format could have written it.
IsOwn = Callable[[str], bool]


def check_outside(output: Path, folder: Path, what: str) -> None:
    """Refuse `output` inside `folder` (`what` names it), links followed:
    whatever is written there may be published with what the folder holds."""
    with _reading(output):  # realpath: a loop of links is no error here
        inside, where = Path(os.path.realpath(output)), Path(os.path.realpath(folder))
    if inside == where or where in inside.parents:
        raise ExportError(
            f"{output} is inside {what} ({folder}), which the site publishes from: a "
            "postmortem linking to an export there would publish it, whatever its "
            "audience. Write the export outside that folder (nothing was written)"
        )


def check_file(output: Path, what: str, is_earlier_export: Callable[[Path], bool]) -> None:
    """Refuse `output` as the file `what` unless it is new, empty or an earlier export."""
    if output.is_symlink():
        raise ExportError(f"{output} is a symbolic link: give the path of the {what} itself")
    if output.is_dir():
        raise ExportError(f"{output} is a folder: --output names the {what}, a file")
    if not output.exists():
        _check_parent(output)
        return
    if not output.is_file():
        raise ExportError(f"{output} is not a regular file: choose another path for the {what}")
    with _reading(output):
        if output.stat().st_size and not is_earlier_export(output):
            raise ExportError(
                f"{output} exists and no earlier export wrote it: remove it or choose "
                "another path (nothing was written)"
            )


def check_folder(output: Path, format_name: str, is_own: IsOwn) -> None:
    """Refuse `output` as the folder of a `format_name` export unless it is new,
    empty, or holds only what an earlier such export wrote: the marker, naming
    `format_name`, and plain files that the marker lists and `is_own` accepts
    (and the temporary files of an interrupted run)."""
    if output.is_symlink():
        raise ExportError(f"{output} is a symbolic link: give the path of the folder itself")
    if not output.exists():
        _check_parent(output)
        return
    if not output.is_dir():
        raise ExportError(f"{output} is not a folder: --output for {format_name} names a folder")
    with _reading(output):
        entries = sorted(output.iterdir())
        if not entries:
            return
        names = _own_names(output, format_name, is_own)
        ours = names is not None
        stray = [
            e.name
            for e in entries
            if not (_ours(e.name, names) and _plain_file(e)) and not _left_behind(e, names)
        ]
    if not ours or stray:
        what = f"holds {stray[0]}" if ours else "is not empty"
        listed = f" (its marker, {MARKER}, lists what it wrote)" if ours else ""
        raise ExportError(
            f"{output} {what}, which `postmortem export --format {format_name}` did not "
            f"write{listed}: choose a new or empty folder (nothing was written)"
        )


def mark_folder(output: Path, format_name: str, is_own: IsOwn, names: Collection[str]) -> Path:
    """Make the folder (`check_folder` has accepted it) and mark it as written
    by `format_name`, about to write `names` (each of which `is_own` accepts).
    What the earlier export left that this one does not write again goes: the
    files its marker lists that are not in `names`, and the temporary files of
    an interrupted run. The marker then lists `names`, before they are
    written, so a run interrupted in between leaves only files it lists."""
    with _writing(output):
        output.mkdir(parents=True, exist_ok=True)
        earlier = _own_names(output, format_name, is_own) or frozenset()
        stale = earlier - set(names)
        for entry in output.iterdir():
            if (entry.name in stale and _plain_file(entry)) or _left_behind(entry, earlier):
                entry.unlink()
    return replace_text(output / MARKER, "".join(f"{n}\n" for n in [format_name, *sorted(names)]))


def replace_file(target: Path, write: Callable[[Path], object]) -> Path:
    """Call `write` on a new temporary file beside `target`, then rename it to `target`."""
    with _writing(target):
        target.parent.mkdir(parents=True, exist_ok=True)
        temporary = target.with_name(f".{target.name}.{secrets.token_hex(TOKEN_BYTES)}.tmp")
        temporary.open("x").close()  # a new file of our own, never through a link
        try:
            write(temporary)
            os.replace(temporary, target)
        finally:
            temporary.unlink(missing_ok=True)
    return target


def replace_text(target: Path, text: str) -> Path:
    """`replace_file` with `text`, in UTF-8, lines ending as they do in `text`."""
    return replace_file(target, lambda path: path.write_text(text, encoding="utf-8", newline=""))


def _check_parent(output: Path) -> None:
    """The nearest existing folder above `output` must be a folder."""
    parent = output.parent
    while not parent.exists() and parent != parent.parent:
        parent = parent.parent
    if parent.exists() and not parent.is_dir():
        raise ExportError(f"{parent} is not a folder: cannot write {output}")


def _ours(name: str, names: frozenset[str] | None) -> bool:
    return name == MARKER or (names is not None and name in names)


def _left_behind(entry: Path, names: frozenset[str] | None) -> bool:
    """A temporary file of `replace_file` for a file of ours (the marker or one
    it lists), left by an interrupted export."""
    name, _, rest = entry.name[1:].rpartition(".tmp")[0].rpartition(".")
    return (
        entry.name.startswith(".")
        and entry.name.endswith(".tmp")
        and _ours(name, names)
        and len(rest) == 2 * TOKEN_BYTES
        and all(c in "0123456789abcdef" for c in rest)
        and _plain_file(entry)
    )


def _plain_file(entry: Path) -> bool:
    return entry.is_file() and not entry.is_symlink()


def _own_names(output: Path, format_name: str, is_own: IsOwn) -> frozenset[str] | None:
    """The files of the folder `output` that an earlier `format_name` export
    wrote, as its marker lists them (only names `is_own` accepts); None when
    the folder has no marker of that format. A marker that lists no names
    (an older version's) makes no file ours."""
    marker = output / MARKER
    if not _plain_file(marker):
        return None
    try:
        if marker.stat().st_size > MARKER_LIMIT:
            return None
        first, *names = marker.read_text(encoding="utf-8").split("\n")
    except (OSError, UnicodeDecodeError):
        return None
    if first.strip() != format_name:
        return None
    return frozenset(n for n in names if n and n != MARKER and is_own(n))


@contextlib.contextmanager
def _reading(path: Path) -> Iterator[None]:
    try:
        yield
    except OSError as e:
        raise ExportError(f"cannot read {e.filename or path}: {e.strerror or e}") from None


@contextlib.contextmanager
def _writing(path: Path) -> Iterator[None]:
    try:
        yield
    except OSError as e:
        raise ExportError(f"cannot write {e.filename or path}: {e.strerror or e}") from None
