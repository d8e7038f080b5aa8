"""The hostile-input fuzzer, short: the linter and the site never crash or hang.

The same code as `make fuzz` (fuzz/hostile.py, 100,000 files), on 1,500 files
of a fixed seed: every file lint accepts goes into a site (about nine sites of
30), plus two mixed sites, so that it runs in about ten seconds. A failure
prints each distinct crash (exception, innermost frame of postmortem_kit) and
the file or site number; `python fuzz/hostile.py --files 1500 --seed 20261130`
saves each under fuzz/out/crashes/, and `--seed 20261130 --show N` writes file
N and lints it again.
"""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path
from types import ModuleType

import pytest

FUZZER = Path(__file__).resolve().parent.parent / "fuzz" / "hostile.py"
SEED = 20261130


def load_fuzzer() -> ModuleType:
    spec = importlib.util.spec_from_file_location("hostile", FUZZER)
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    sys.modules["hostile"] = module
    spec.loader.exec_module(module)
    return module


@pytest.mark.slow
def test_hostile_files_never_crash_or_hang_lint_or_the_site(tmp_path: Path) -> None:
    hostile = load_fuzzer()
    options = hostile.Options(
        files=1500,
        seed=SEED,
        accepted_sites=10,
        mixed_sites=2,
        site_size=30,
        mkdocs=0,
        shrink_seconds=0,
        out=tmp_path,
        quiet=True,
    )
    tally = hostile.run(options)
    report = tally.report(options)
    assert tally.files == 1500 and tally.sites >= 2, report
    assert tally.accepted > 0, report  # the sites had files to publish
    if tally.failed:
        pytest.fail(report, pytrace=False)


def test_generation_is_deterministic() -> None:
    inputs = load_fuzzer().generate
    assert [inputs(SEED, i) for i in range(50)] == [inputs(SEED, i) for i in range(50)]
