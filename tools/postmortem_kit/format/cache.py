"""What the toolkit remembers between runs, in the user's cache folder.

Every entry is checked before it is used and rebuilt when it is missing,
damaged or stale: a cache can only make a run faster, never change its result.
"""

from __future__ import annotations

import contextlib
import json
import os
from pathlib import Path
from typing import Any

from postmortem_kit.format.read import UnsafeFile, read_regular_file

MAX_BYTES = 16 * 2**20  # far above what 100,000 postmortems' ids take


def cache_path(name: str) -> Path | None:
    """`name` in $XDG_CACHE_HOME/postmortem-kit (else ~/.cache); None without a home."""
    base = os.environ.get("XDG_CACHE_HOME", "")
    try:
        folder = Path(base) if os.path.isabs(base) else Path.home() / ".cache"
    except RuntimeError:  # no home directory
        return None
    return folder / "postmortem-kit" / name if folder.is_absolute() else None


def read_json(path: Path) -> Any:
    """The cached value; None when it is missing, damaged or not a plain file
    (a FIFO or a link to /dev/zero put in its place must not hang a commit)."""
    try:
        raw = read_regular_file(path, MAX_BYTES + 1)
        return json.loads(raw) if len(raw) <= MAX_BYTES else None
    except (OSError, UnsafeFile, ValueError, RecursionError):
        return None


def write_json(path: Path, content: object) -> None:
    import tempfile  # only when the cache changes

    with contextlib.suppress(OSError):  # read-only or full: the next run builds it again
        path.parent.mkdir(parents=True, exist_ok=True)
        # written aside, then renamed: a parallel run never reads half a file
        handle, temporary = tempfile.mkstemp(dir=path.parent, suffix=".tmp")
        try:
            with os.fdopen(handle, "w", encoding="utf-8") as out:
                json.dump(content, out, separators=(",", ":"))
            os.replace(temporary, path)
        except OSError:
            os.unlink(temporary)
