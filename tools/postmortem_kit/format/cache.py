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


def cache_path(name: str) -> Path | None:
    """`name` in $XDG_CACHE_HOME/postmortem-kit (else ~/.cache); None without a home."""
    base = os.environ.get("XDG_CACHE_HOME", "")
    try:
        folder = Path(base) if os.path.isabs(base) else Path.home() / ".cache"
    except RuntimeError:  # no home directory
        return None
    return folder / "postmortem-kit" / name


def read_json(path: Path) -> Any:
    """The cached value; None when it is missing or damaged."""
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
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
