"""Linting one file reads every other file's id through a cache; the cache may
make a run faster, never change what it finds."""

from __future__ import annotations

import json
import os
import time
from pathlib import Path

import pytest
from postmortem_kit.format import collection
from postmortem_kit.format.collection import read_summaries

OLD = time.time_ns() - 10 * 10**9


@pytest.fixture
def settled(monkeypatch: pytest.MonkeyPatch) -> None:
    """Files written by a test count as settled at once (their change time is now,
    and no test can set it back): those the test does not change are remembered."""
    monkeypatch.setattr(collection, "_SETTLED_NS", -(10**12))


def write(path: Path, pm_id: str, when: int = OLD) -> Path:
    path.write_text(f"---\nid: {pm_id}\ntitle: x\n---\n", encoding="utf-8")
    os.utime(path, ns=(when, when))
    return path


def ids(files: list[Path], tmp_path: Path, cache: Path) -> list[str]:
    return [summary.id for summary in read_summaries(map(str, files), tmp_path, cache)]


def test_ids_come_from_the_cache_until_a_file_changes(tmp_path: Path, settled: None) -> None:
    cache = tmp_path / "cache" / "ids.json"
    a, b = write(tmp_path / "a.md", "AIPM-2025-001"), write(tmp_path / "b.md", "AIPM-2025-002")
    assert ids([a, b], tmp_path, cache) == ["AIPM-2025-001", "AIPM-2025-002"]
    assert len(json.loads(cache.read_text())) == 2

    # the cache is what answers: a stale entry with the file's state is believed...
    remembered = json.loads(cache.read_text())
    remembered[str(a)][-1][0] = "AIPM-2025-999"
    cache.write_text(json.dumps(remembered))
    assert ids([a, b], tmp_path, cache)[0] == "AIPM-2025-999"
    # ...but never for a file being linted
    fresh = [s.id for s in read_summaries([str(a), str(b)], tmp_path, cache, fresh=[a])]
    assert fresh == ["AIPM-2025-001", "AIPM-2025-002"]
    remembered[str(a)][-1][0] = "AIPM-2025-999"
    cache.write_text(json.dumps(remembered))
    # ...and only until the file changes, even to the same size with the old
    # modification time put back (as `touch -d`, `cp -p` or a restore do)
    time.sleep(0.05)  # past the file system's clock tick, as the settled time ensures
    write(a, "AIPM-2025-003", when=OLD)
    assert ids([a, b], tmp_path, cache) == ["AIPM-2025-003", "AIPM-2025-002"]


def test_a_file_without_an_id_is_read_every_time(tmp_path: Path, settled: None) -> None:
    """An unreadable file reads as having no id: it must not stay so once readable."""
    cache = tmp_path / "ids.json"
    a = tmp_path / "a.md"
    a.write_text("---\ntitle: no id yet\n---\n")
    os.utime(a, ns=(OLD, OLD))
    assert ids([a], tmp_path, cache) == [""]
    assert not cache.exists() or json.loads(cache.read_text()) == {}


def test_a_cache_that_is_not_a_file_is_ignored(tmp_path: Path) -> None:
    a = write(tmp_path / "a.md", "AIPM-2025-001")
    fifo = tmp_path / "fifo.json"
    os.mkfifo(fifo)
    assert ids([a], tmp_path, fifo) == ["AIPM-2025-001"]  # no hang
    nested = tmp_path / "nested.json"
    nested.write_text("[" * 200_000)
    assert ids([a], tmp_path, nested) == ["AIPM-2025-001"]  # no RecursionError


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
