"""Linting one file reads every other file's id through a cache; the cache may
make a run faster, never change what it finds."""

from __future__ import annotations

import json
import os
import time
from pathlib import Path

from postmortem_kit.format.collection import read_ids

OLD = time.time_ns() - 10 * 10**9  # long settled: such files are remembered


def write(path: Path, pm_id: str, when: int = OLD) -> Path:
    path.write_text(f"---\nid: {pm_id}\ntitle: x\n---\n", encoding="utf-8")
    os.utime(path, ns=(when, when))
    return path


def ids(files: list[Path], tmp_path: Path, cache: Path) -> list[str]:
    return [pm.data.get("id", "") for pm in read_ids(files, tmp_path, cache)]


def test_ids_come_from_the_cache_until_a_file_changes(tmp_path: Path) -> None:
    cache = tmp_path / "cache" / "ids.json"
    a, b = write(tmp_path / "a.md", "AIPM-2025-001"), write(tmp_path / "b.md", "AIPM-2025-002")
    assert ids([a, b], tmp_path, cache) == ["AIPM-2025-001", "AIPM-2025-002"]
    assert len(json.loads(cache.read_text())) == 2

    # the cache is what answers: a stale entry with the file's state is believed...
    remembered = json.loads(cache.read_text())
    remembered[str(a)][4] = "AIPM-2025-999"
    cache.write_text(json.dumps(remembered))
    assert ids([a, b], tmp_path, cache)[0] == "AIPM-2025-999"
    # ...until the file changes, even to the same size
    write(a, "AIPM-2025-003", when=OLD + 1)
    assert ids([a, b], tmp_path, cache) == ["AIPM-2025-003", "AIPM-2025-002"]


def test_a_file_changed_just_now_is_not_remembered(tmp_path: Path) -> None:
    """Two changes within one tick of the file system's clock keep size and time:
    a file that recent is read again on the next run."""
    cache = tmp_path / "ids.json"
    a = write(tmp_path / "a.md", "AIPM-2025-001", when=time.time_ns())
    assert ids([a], tmp_path, cache) == ["AIPM-2025-001"]
    assert not cache.exists() or json.loads(cache.read_text()) == {}


def test_a_damaged_or_missing_cache_is_rebuilt(tmp_path: Path) -> None:
    a = write(tmp_path / "a.md", "AIPM-2025-001")
    cache = tmp_path / "ids.json"
    for damage in ["{", "[]", '{"x": 1}', json.dumps({str(a): [1, 2]}), json.dumps({str(a): None})]:
        cache.write_text(damage)
        assert ids([a], tmp_path, cache) == ["AIPM-2025-001"]
    assert ids([a], tmp_path, None) == ["AIPM-2025-001"]
    assert ids([tmp_path / "gone.md"], tmp_path, cache) == [""]
