"""Where every export writes, without losing anything: the one place for
the rules of `--output` (docs/exports.md, "Where an export writes").

An export writes where `--output` says only if nothing there is the user's:

- a path that does not exist yet (its missing folders are made);
- for a file (jsonl, sqlite and its Datasette metadata): an empty file, or
  one an earlier export of the same kind wrote, which it replaces;
- for a folder (csv, avid, atlas, aiid): an empty folder, or one an earlier
  export of the same format wrote: it holds the marker file (`MARKER`,
  naming the format) and only files that format writes. Its files that the
  new export does not write again are removed (a postmortem no longer
  exported does not linger).

Anything else is refused with an `ExportError` before a byte is written: a
symbolic link (name the real path), a folder where a file is needed or the
other way round, a file or folder someone else wrote. Each file is written
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

# Marks a folder as written by `postmortem export --format <its content>`.
MARKER = ".postmortem-export"
TOKEN_BYTES = 6  # of a temporary file's random name

# Whether a file name is one a folder format writes (`check_folder`).
IsOwn = Callable[[str], bool]


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
    `format_name`, and plain files whose names `is_own` accepts."""
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
        marker = output / MARKER
        ours = _plain_file(marker) and _marked(marker) == format_name
        stray = [
            e.name
            for e in entries
            if not (_ours(e.name, is_own) and _plain_file(e)) and not _left_behind(e, is_own)
        ]
    if not ours or stray:
        what = f"holds {stray[0]}" if ours else "is not empty"
        raise ExportError(
            f"{output} {what}, which `postmortem export --format {format_name}` did not "
            "write: choose a new or empty folder (nothing was written)"
        )


def mark_folder(output: Path, format_name: str, is_own: IsOwn, names: Collection[str]) -> Path:
    """Make the folder (`check_folder` has accepted it) and mark it as written
    by `format_name`, about to write `names`. What an earlier export left that
    this one does not write again goes: its files not in `names`, and the
    temporary files of an interrupted run."""
    with _writing(output):
        output.mkdir(parents=True, exist_ok=True)
        for entry in output.iterdir():
            earlier = entry.name not in names and is_own(entry.name) and _plain_file(entry)
            if earlier or _left_behind(entry, is_own):
                entry.unlink()
    return replace_text(output / MARKER, f"{format_name}\n")


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


def _ours(name: str, is_own: IsOwn) -> bool:
    return name == MARKER or is_own(name)


def _left_behind(entry: Path, is_own: IsOwn) -> bool:
    """A temporary file of `replace_file` for a file of ours, left by an interrupted export."""
    name, _, rest = entry.name[1:].rpartition(".tmp")[0].rpartition(".")
    return (
        entry.name.startswith(".")
        and entry.name.endswith(".tmp")
        and _ours(name, is_own)
        and len(rest) == 2 * TOKEN_BYTES
        and all(c in "0123456789abcdef" for c in rest)
        and _plain_file(entry)
    )


def _plain_file(entry: Path) -> bool:
    return entry.is_file() and not entry.is_symlink()


def _marked(marker: Path) -> str:
    try:
        return marker.read_text(encoding="utf-8")[:100].strip()
    except (OSError, UnicodeDecodeError):
        return ""


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
