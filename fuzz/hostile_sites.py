"""Sites built from generated files: in-process (`load_site` + `write_pages`)
and, for a few, with `mkdocs build` for real.

A site is a throwaway repository under the system temp folder (outside any git
checkout): the repository's own postmortems, plus generated files as
`postmortems/2026/fuzz-NNNNNN.md`, a pyproject.toml and an mkdocs.yml.
Files lint rejects are meant to be left out with a warning; nothing a file
says may make the build raise or run on and on.
"""

from __future__ import annotations

import datetime as dt
import os
import random
import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import NamedTuple

import markdown
from hostile_inputs import PROJECT, generate, path_of
from hostile_pool import Failure, guarded
from postmortem_kit.repository import load_repository
from postmortem_kit.site.content import SiteContent, load_site, write_pages
from postmortem_kit.site.mkdocs.plugin import EXTENSIONS

PYPROJECT = '[tool.postmortem.rules]\nlate-draft = "off"\n'
MKDOCS_YML = """\
site_name: Incidents
theme:
  name: material
  font: false
plugins:
  - search
  - postmortems
"""
MARKDOWN_EXTENSIONS = ["toc", "tables", "fenced_code", *EXTENSIONS]  # MkDocs' own, the plugin's
REPOSITORY_POSTMORTEMS = {
    p.relative_to(PROJECT).as_posix(): p.read_bytes()
    for p in sorted((PROJECT / "postmortems").rglob("*.md"))
}


class SitePlan(NamedTuple):
    number: int
    kind: str  # accepted: files lint accepted; mixed: accepted and anything else
    indices: tuple[int, ...]  # the generated files it holds
    mkdocs: bool  # also built with `mkdocs build`


def plan_sites(
    seed: int,
    files: int,
    accepted: list[int],
    *,
    accepted_sites: int,
    mixed_sites: int,
    size: int,
    mkdocs: int,
) -> list[SitePlan]:
    """Sites of `size` files: every accepted file once (up to `accepted_sites`
    sites), then mixed sites of two thirds accepted files and one third any."""
    rng = random.Random(f"{seed}:sites")
    accepted = sorted(accepted)
    chunks = [tuple(accepted[i : i + size]) for i in range(0, len(accepted), size)]
    if len(chunks) > accepted_sites:
        chunks = [chunks[i] for i in sorted(rng.sample(range(len(chunks)), accepted_sites))]
    plans = [SitePlan(n, "accepted", chunk, False) for n, chunk in enumerate(chunks)]
    for _ in range(mixed_sites):
        some_accepted = rng.sample(accepted, min(len(accepted), size * 2 // 3))
        anything = rng.sample(range(files), min(files, size - len(some_accepted)))
        indices = tuple(sorted({*some_accepted, *anything}))
        plans.append(SitePlan(len(plans), "mixed", indices, False))
    with_mkdocs = _spread(rng, plans, mkdocs)
    return [plan._replace(mkdocs=plan.number in with_mkdocs) for plan in plans]


def _spread(rng: random.Random, plans: list[SitePlan], count: int) -> set[int]:
    """`count` sites, half of them accepted-only where there are enough."""
    accepted = [p.number for p in plans if p.kind == "accepted"]
    mixed = [p.number for p in plans if p.kind == "mixed"]
    from_accepted = rng.sample(accepted, min(len(accepted), (count + 1) // 2))
    from_mixed = rng.sample(mixed, min(len(mixed), count - len(from_accepted)))
    return {*from_accepted, *from_mixed}


def site_files(plan: SitePlan, seed: int) -> dict[str, bytes]:
    """The postmortems of a site: the repository's, and the generated ones."""
    generated = {path_of(i): generate(seed, i).raw for i in plan.indices}
    return {**REPOSITORY_POSTMORTEMS, **generated}


def write_repository(folder: Path, files: dict[str, bytes]) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "pyproject.toml").write_text(PYPROJECT)
    (folder / "mkdocs.yml").write_text(MKDOCS_YML)
    (folder / "docs").mkdir(exist_ok=True)
    for relative, raw in files.items():
        target = folder / relative
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(raw)


def build_in_process(folder: Path, today: dt.date) -> int:
    """What `mkdocs build` does with our plugin, short of MkDocs itself: the
    site's content and pages, and the authors' text rendered by Markdown."""
    content = load_site(load_repository(folder), "internal", today=today)
    pages = write_pages(content, folder / "pages")
    render_narratives(content)
    return pages


def render_narratives(content: SiteContent) -> None:
    """Each published postmortem's own text through Python-Markdown, set up as
    MkDocs sets it up for the plugin's pages (a hang there hangs the build)."""
    renderer = markdown.Markdown(extensions=MARKDOWN_EXTENSIONS)
    for incident in content.incidents:
        renderer.reset().convert(incident.postmortem.body)


def build_site(
    number: int,
    files: dict[str, bytes],
    *,
    today: dt.date,
    limit: float,
    mkdocs: float | None,
    under: Path | None = None,
) -> tuple[list[Failure], float]:
    """Build a site from `files` in a temp repository; its failures and seconds.

    `mkdocs`: also run `mkdocs build` with that time limit (None: do not).
    `under`: the folder to make the repository in (default: the temp folder).
    """
    folder = Path(tempfile.mkdtemp(prefix=f"pm-fuzz-site-{number}-", dir=under))
    try:
        write_repository(folder, files)
        run = guarded("site", number, limit, lambda: build_in_process(folder, today))
        failures = [run.failure] if run.failure else []
        seconds = run.seconds
        if mkdocs is not None:
            failure, mkdocs_seconds = mkdocs_build(folder, number, mkdocs)
            failures += [failure] if failure else []
            seconds += mkdocs_seconds
        return failures, seconds
    finally:
        shutil.rmtree(folder, ignore_errors=True)


_FRAME = re.compile(r'File "([^"]+)", line (\d+), in (\S+)')
_ERROR_LINE = re.compile(r"^([A-Za-z_][\w.]*(?:Error|Exception|Exit|Interrupt)\b.*)$", re.MULTILINE)
_ANSI = re.compile(r"\x1b\[[0-9;]*m")


def mkdocs_build(folder: Path, number: int, limit: float) -> tuple[Failure | None, float]:
    """`mkdocs build` as a user runs it; a non-zero exit or a traceback is a failure."""
    env = {**os.environ, "NO_MKDOCS_2_WARNING": "1"}
    env.pop("POSTMORTEM_AUDIENCE", None)
    command = [sys.executable, "-m", "mkdocs", "build", "--quiet", "--site-dir", "site"]
    start = dt.datetime.now()
    try:
        done = subprocess.run(
            command, cwd=folder, env=env, capture_output=True, text=True, timeout=limit
        )
    except subprocess.TimeoutExpired:
        seconds = (dt.datetime.now() - start).total_seconds()
        failure = Failure("mkdocs", "timeout", number, "?", f"over {limit:g} s", "", seconds)
        return failure, seconds
    seconds = (dt.datetime.now() - start).total_seconds()
    output = _ANSI.sub("", done.stderr + done.stdout)
    if done.returncode == 0 and "Traceback" not in output:
        return None, seconds
    where, error = _where(output), _error(output)
    failure = Failure("mkdocs", "traceback", number, where, error, output, seconds)
    return failure, seconds


def _where(output: str) -> str:
    frames = _FRAME.findall(output)
    ours = [f for f in frames if "/postmortem_kit/" in f[0]]
    if not (ours or frames):
        return "?"
    path, line, function = (ours or frames)[-1]
    return f"{os.path.basename(path)}:{line} {function}"


def _error(output: str) -> str:
    errors = _ERROR_LINE.findall(output)
    if errors:
        return errors[-1][:200]
    lines = [line for line in output.splitlines() if line.strip()]
    return (lines[-1] if lines else "no output")[:200]
