"""Timing for the benchmarks: best of N runs of a command, each its own process."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Collection, Mapping
from pathlib import Path


def best_of(
    command: list[str],
    cwd: Path,
    runs: int = 3,
    env: Mapping[str, str] | None = None,
    ok: Collection[int] = (0,),
) -> float:
    """The fastest of `runs` runs, in seconds; stop the benchmark if one fails."""
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        done = subprocess.run(command, cwd=cwd, env=env, capture_output=True, text=True)
        times.append(time.perf_counter() - start)
        if done.returncode not in ok:
            sys.exit(f"{' '.join(command[:4])} failed in {cwd}:\n{done.stderr[-3000:]}")
    return min(times)


def mkdocs_build_rounds(*folders: Path, rounds: int = 3) -> list[list[float]]:
    """Times of `mkdocs build` in each folder, every postmortem visible.

    In each round every folder builds once, one right after the other, so the
    builds of a round see the machine in the same state: compare within rounds.
    """
    env = {**os.environ, "NO_MKDOCS_2_WARNING": "1", "POSTMORTEM_AUDIENCE": "restricted"}
    command = [sys.executable, "-m", "mkdocs", "build", "-q"]
    return [[best_of(command, folder, 1, env) for folder in folders] for _ in range(rounds)]


def mkdocs_build_seconds(folder: Path, runs: int = 3) -> float:
    """Best time of `mkdocs build` in `folder`."""
    return min(times[0] for times in mkdocs_build_rounds(folder, rounds=runs))


def git(repo: Path, *args: str, when: str | None = None) -> None:
    """Run git in `repo` as a bench author, dated `when` if given."""
    env = {
        **os.environ,
        "GIT_AUTHOR_NAME": "Bench",
        "GIT_AUTHOR_EMAIL": "bench@example.com",
        "GIT_COMMITTER_NAME": "Bench",
        "GIT_COMMITTER_EMAIL": "bench@example.com",
    }
    if when:
        env |= {"GIT_AUTHOR_DATE": when, "GIT_COMMITTER_DATE": when}
    subprocess.run(["git", *args], cwd=repo, env=env, check=True, capture_output=True)
