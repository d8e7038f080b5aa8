"""python-frontmatter with our handler sees what the linter sees, in every file."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import frontmatter
import pytest
from helpers import DATA, PROJECT
from hypothesis import given, settings
from hypothesis import strategies as st
from postmortem_kit.format.collection import find_postmortem_files
from postmortem_kit.format.frontmatter_handler import PostmortemHandler, UnreadablePostmortem
from postmortem_kit.format.read import MAX_BYTES, read_postmortem

HANDLER = PostmortemHandler()
SAMPLES = sorted(PROJECT.glob("postmortems/**/*.md")) + sorted(DATA.glob("*.md"))
FINAL = (DATA / "final.md").read_bytes()

# Files the linter reads, some with problems it reports but reads past.
HOSTILE = {
    "duplicate-keys": b"---\nid: a\nstatus: draft\nimpact: {users_affected: 1}\nstatus: final\n"
    b"impact:\n  users_affected: 2\n  users_affected: 3\n---\nBody.\n",
    "yaml-1.1-booleans": b"---\na: yes\nb: No\nc: on\nd: OFF\ne: 'yes'\nf: True\ng: FALSE\n---\n",
    "dates": b"---\nidentified: 2025-02-11\nresolved: 2025-02-11T09:40:00+02:00\n"
    b"naive: 2025-02-11 09:40:00\nspaced: 2025-02-11 09:40:00 -05:00\n"
    b"leap: 2025-02-11T23:59:60Z\nearly: 0999-12-31\nlist: [2025-01-01, 2025-01-02T10:00:00Z]\n---\n",
    "numbers": b"---\na: .inf\nb: -.Inf\nc: .nan\nd: 1e999\ne: " + b"9" * 5000 + b"\nf: 0x1F\n"
    b"g: 0o17\nh: 1_000\ni: 012\nj: +1\nk: 1e5\nl: 1.\nm: -0\nn: 0b101\no: 1.5\n---\n",
    "nulls-and-tags": b'---\na:\nb: ~\nc: null\nd: NULL\ne: !!str 12\nf: !!int "3"\ng: !!float 1\nh: "true"\n---\n',
    "keys-that-look-typed": b"---\n1: a\ntrue: b\nnull: c\n2025-01-01: d\n~: e\n'quoted': f\n<<: g\n---\n",
    "nested": b"---\nroot_causes:\n  - lens: operations\n    tags: [a, [b, {c: [d, {e: f}]}]]\n"
    b"  - {lens: data, evidence: {logs: [1, 2], note: ~}}\n"
    b"deep: [[[[[[[[[[[[[[[x]]]]]]]]]]]]]]]\n---\n",  # 16 levels: as deep as the reader goes
    "block-scalars": b"---\na: |\n  line one\n  ---\n  line three\nb: >-\n  folded\n  text\nc: |+\n  kept\n\n---\n",
    "crlf": FINAL.replace(b"\n", b"\r\n"),
    "bom": b"\xef\xbb\xbf" + FINAL,
    "bom-and-crlf": b"\xef\xbb\xbf" + FINAL.replace(b"\n", b"\r\n"),
    "trailing-spaces-on-delimiters": b"--- \t\nid: x\n---   \n## Summary\n",
    "thematic-breaks-in-body": b"---\nid: x\n---\nBody.\n\n---\n\n----\n\nMore.\n---\n",
    "document-end-marker": b"---\nid: x\n...\n---\nBody.\n",
    "empty-front-matter": b"---\n---\nBody.\n",
    "comments-only": b"---\n# nothing yet\n---\n",
    "no-body": b"---\nid: x\n---\n",
    "flow-mapping": b"---\n{id: x, tags: [a, b]}\n---\n",
    "unicode": "---\ntitle: Café ☕ 💥\n---\n## Résumé\n\nŒuvre.\n".encode(),
}

# Files the linter cannot read: the handler raises what the linter reports.
REFUSED = {
    "no-front-matter": b"# Title\n\nText.\n",
    "unclosed": b"---\nid: x\n",
    "yaml-syntax": b"---\nid: x\ntitle: a: b\n---\n",
    "alias": b"---\na: &a [x]\nb: *a\n---\n",
    "list": b"---\n- a list\n---\n",
    "scalar": b"---\njust text\n---\n",
    "list-as-key": b"---\n? [a]\n: b\n---\n",
    "too-deep": b"---\na: " + b"[" * 200 + b"]" * 200 + b"\n---\n",
    "two-documents": b"---\nid: x\n...\nid: y\n---\n",
    "nul-byte": b"---\nid: x\n---\nBody\x00\n",
    "oversized": b"---\nid: x\n---\n" + b"a" * (MAX_BYTES + 1 - 14),  # the reader reads no more
}


def write(tmp_path: Path, raw: bytes) -> Path:
    path = tmp_path / "p.md"
    path.write_bytes(raw)
    return path


def assert_read_as_the_linter_reads(path: Path) -> None:
    postmortem = read_postmortem(path)
    assert postmortem.readable, postmortem.problems
    post = frontmatter.load(path, handler=HANDLER)
    # repr, not ==: True == 1 == 1.0, and the order of keys is kept too
    assert repr(post.metadata) == repr(postmortem.data)
    assert post.content == postmortem.body.strip()  # python-frontmatter strips it


@pytest.mark.parametrize("path", SAMPLES, ids=lambda p: p.name)
def test_every_sample_reads_as_the_linter_reads_it(path: Path) -> None:
    assert_read_as_the_linter_reads(path)


@pytest.mark.parametrize("raw", HOSTILE.values(), ids=HOSTILE)
def test_hostile_front_matter_reads_as_the_linter_reads_it(tmp_path: Path, raw: bytes) -> None:
    assert_read_as_the_linter_reads(write(tmp_path, raw))


def test_the_values_are_the_linters_not_pyyamls(tmp_path: Path) -> None:
    post = frontmatter.load(write(tmp_path, HOSTILE["dates"]), handler=HANDLER)
    assert post["resolved"] == "2025-02-11T09:40:00+02:00"
    assert post["list"] == ["2025-01-01", "2025-01-02T10:00:00Z"]
    post = frontmatter.load(write(tmp_path, HOSTILE["duplicate-keys"]), handler=HANDLER)
    assert post["status"] == "final" and post["impact"] == {"users_affected": 3}
    post = frontmatter.load(write(tmp_path, HOSTILE["numbers"]), handler=HANDLER)
    numbers = {key: post[key] for key in "adghi"}
    assert numbers == {"a": ".inf", "d": "1e999", "g": 15, "h": "1_000", "i": 12}
    assert post["e"] == "9" * 5000
    post = frontmatter.load(write(tmp_path, HOSTILE["keys-that-look-typed"]), handler=HANDLER)
    assert list(post.keys()) == ["1", "true", "null", "2025-01-01", "~", "quoted", "<<"]


@pytest.mark.parametrize("raw", REFUSED.values(), ids=REFUSED)
def test_a_file_the_linter_refuses_raises_its_finding(tmp_path: Path, raw: bytes) -> None:
    path = write(tmp_path, raw)
    postmortem = read_postmortem(path)
    assert not postmortem.readable
    with pytest.raises(UnreadablePostmortem) as raised:
        frontmatter.load(path, handler=HANDLER)
    assert raised.value.finding._replace(path=postmortem.path) == postmortem.problems[0]
    assert postmortem.problems[0].message in str(raised.value)


def test_what_python_frontmatter_changes_before_the_handler_sees_it(tmp_path: Path) -> None:
    """The differences the module's docstring owns up to."""
    leading_blank_line = write(tmp_path, b"\n---\nid: x\n---\n")
    assert not read_postmortem(leading_blank_line).readable
    assert frontmatter.load(leading_blank_line, handler=HANDLER).metadata == {"id": "x"}

    # load() may read a lone CR as a line end (1.3 does); loads() of the bytes never does
    lone_carriage_returns = write(tmp_path, b"---\rid: x\r---\r")
    assert not read_postmortem(lone_carriage_returns).readable
    with pytest.raises(UnreadablePostmortem):
        frontmatter.loads(lone_carriage_returns.read_bytes(), handler=HANDLER)

    with pytest.raises(UnicodeDecodeError):
        frontmatter.load(write(tmp_path, b"---\nid: \xff\n---\n"), handler=HANDLER)


def test_a_file_ending_at_the_closing_delimiter(tmp_path: Path) -> None:
    assert_read_as_the_linter_reads(write(tmp_path, b"---\nid: x\n---"))
    postmortem = read_postmortem(write(tmp_path, b"---\nid: x\n---"), "x.md")
    assert (postmortem.body, postmortem.front_matter_text) == ("", "---\nid: x\n---")


def test_detect_finds_the_opening_line_the_linter_wants() -> None:
    for text in ["---\nid: x\n---\n", "\ufeff---\r\nid: x\r\n", "--- \t\n---\n"]:
        assert HANDLER.detect(text), text
    for text in ["# Title\n", " ---\n", "----\n", "\n---\n"]:
        assert not HANDLER.detect(text), text


SCALARS = (
    st.none()
    | st.booleans()
    | st.integers(-(10**30), 10**30)
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text()
)
KEYS = st.text().filter(lambda key: key not in ("content", "handler"))  # Post's own arguments
VALUES = SCALARS | st.lists(SCALARS, max_size=3) | st.dictionaries(KEYS, SCALARS, max_size=3)


@settings(max_examples=300, deadline=None)
@given(st.dictionaries(KEYS, VALUES, max_size=5))
def test_dumps_writes_what_loads_reads_back(metadata: dict[str, Any]) -> None:
    text = frontmatter.dumps(frontmatter.Post("Body.", **metadata), handler=HANDLER)
    post = frontmatter.loads(text, handler=HANDLER)
    assert repr(post.metadata) == repr(metadata)
    assert post.content == "Body."


def test_dumps_quotes_what_yaml_1_1_would_leave_plain_and_writes_no_aliases() -> None:
    shared = ["x"]
    metadata = {"a": "1e5", "b": "0o17", "c": "09", "d": "yes", "e": shared, "f": shared}
    text = HANDLER.export(metadata)
    assert text.splitlines()[:4] == ["a: '1e5'", "b: '0o17'", "c: '09'", "d: 'yes'"]
    assert "&" not in text and "*" not in text
    assert HANDLER.load(text) == metadata


# The README's script, as a user would run it.
README_SCRIPT = """\
import frontmatter, pathlib
from postmortem_kit.format.frontmatter_handler import PostmortemHandler
for path in sorted(pathlib.Path("postmortems").rglob("[!_]*.md")):
    for a in frontmatter.load(path, handler=PostmortemHandler()).get("actions", []):
        if a.get("status") not in ("done", "dropped"): print(path.name, a.get("id"), a.get("status"), a.get("due"))
"""


def test_the_readme_script_lists_the_open_actions(tmp_path: Path) -> None:
    shutil.copytree(PROJECT / "postmortems", tmp_path / "postmortems")
    open_in_samples = sorted(
        f"{path.name} {action['id']} {action['status']} {action['due']}"
        for path in find_postmortem_files(tmp_path / "postmortems")
        for action in read_postmortem(path).data.get("actions", [])
        if action.get("status") in ("planned", "in-progress")
    )
    assert open_in_samples  # the gallery has open actions to list
    typo = tmp_path / "postmortems/2026/AIPM-2026-099-typo.md"
    typo.write_text(
        "---\nid: AIPM-2026-099\nactions:\n  - {id: A1, status: planed, due: 2026-09-30}\n"
        "  - {id: A2, status: done, due: 2026-01-31}\n---\n",
        encoding="utf-8",
    )
    done = subprocess.run(
        [sys.executable, "-c", README_SCRIPT],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 0, done.stderr
    # a misspelt status is still open, as on the site: a typo never hides an action
    expected = [*open_in_samples, "AIPM-2026-099-typo.md A1 planed 2026-09-30"]
    assert sorted(done.stdout.splitlines()) == sorted(expected)
