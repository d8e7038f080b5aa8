"""No script from content runs on the built site.

Every value an author writes is untrusted (FORMAT.md: "the site shows it,
sanitised, and never runs it"). This module builds one site from hostile
postmortems and opens every page it built in headless Chromium:

- the front-matter payloads are derived from the JSON Schema: every string
  field that accepts free text, or a payload shaped like a URL
  (`build_schema(load_taxonomy())`, walked through objects and arrays), gets
  payloads that the field's own schema accepts, so a field added to the format
  is attacked without an edit here; the postmortems stay schema-valid;
- the narrative (the Markdown body) carries raw HTML, `javascript:` and
  `data:` links, hostile headings and list items, and the same payloads
  quoted in code spans and a fenced block, which must stay visible verbatim.

The site publishes only what lint passes, and lint refuses raw HTML: the
test repository turns off the content rules that would keep the corpus out,
so that what is tested is what the site itself does with hostile text.

Each payload carries a unique token (`xss17`) that it passes to `alert`, to
`window.__pwned` or to `document.title` when it runs, so a failure names the
payload, its field or section, and the page. The tests fail when a payload
runs (a dialog, a write to `window.__pwned` or `document.title`, a request off
127.0.0.1), on load or on interaction (hover, focus, click, submit; typing in
the search box); when active markup survives in the DOM (a `<script>` or
event handler carrying a token, any `<script>` or `javascript:`/`data:` URL
in the article); or when a quoted payload is not shown as written.
"""

from __future__ import annotations

import contextlib
import copy
import functools
import http.server
import json
import os
import re
import subprocess
import sys
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
import yaml
from helpers import (
    CHROMIUM,
    CHROMIUM_ARGS,
    FINAL,
    MKDOCS_YML,
    QuietHandler,
    git,
    require_chromium,
)
from jsonschema import Draft202012Validator
from playwright.sync_api import Dialog, Page, Route, sync_playwright
from playwright.sync_api import Error as PlaywrightError
from postmortem_kit.format.read import parse_postmortem
from postmortem_kit.format.schema import SchemaValidator, build_schema
from postmortem_kit.format.taxonomy import load_taxonomy
from postmortem_kit.lint.rules.body import SECTIONS_IN_FINAL

pytestmark = pytest.mark.browser

require_chromium()

LOCAL_HOST = "127.0.0.1"
EVIL = "http://evil.example"  # never reached: requests off 127.0.0.1 are recorded and aborted

# --- the payloads ---------------------------------------------------------------
# `{t}` is replaced by the payload's token. A payload that runs shows its token in
# a dialog, in window.__pwned or in document.title.

FIELD_VARIANTS: list[tuple[str, str]] = [
    ("script", "<script>alert('{t}')</script>"),
    ("close-title", "</title><script>alert('{t}')</script>"),
    ("img-onerror", "<img src=x onerror=alert('{t}')>"),
    ("attribute-breakout", "\"><svg onload=alert('{t}')>"),
    ("quote-breakout-pwned", "'><img src=x onerror=\"window.__pwned='{t}'\">"),
    ("script-pwned", "<script>window.__pwned='{t}'</script>"),
    ("script-title", "<script>document.title='PWNED {t}'</script>"),
    ("markdown-link", "[click](javascript:alert(/{t}/.source))"),
    ("html-link", "<a href=\"javascript:alert('{t}')\">a</a>"),
    ("details-ontoggle", "<details open ontoggle=alert('{t}')>"),
    ("iframe-srcdoc", "<iframe srcdoc=\"<script>parent.alert('{t}')</script>\">"),
    # a blank line ends a raw HTML block: what follows would be Markdown again
    (
        "blank-line-markdown",
        "Before.\n\n[click](javascript:alert(/{t}/.source))\n\n<script>alert('{t}')</script>",
    ),
    # shaped like a URL, for fields that only take URLs (and free text takes them too)
    ("url-breakout", "https://x.example/\"><svg/onload=alert('{t}')>"),
    ("url-quote-breakout", "https://x.example/'><img/src=x/onerror=alert('{t}')>"),
]

# The narrative: each is written as a paragraph of its own and inside a sentence.
NARRATIVE_VARIANTS: list[tuple[str, str]] = [
    ("script", "<script>alert('{t}')</script>"),
    ("script-pwned", "<script>window.__pwned='{t}'</script>"),
    ("script-title", "<script>document.title='PWNED {t}'</script>"),
    ("img-onerror", "<img src=x onerror=alert('{t}')>"),
    ("img-onerror-quoted", '<img src="x" onerror="alert(\'{t}\')">'),
    ("img-onerror-pwned", "<img src=x onerror=\"window.__pwned='{t}'\">"),
    ("svg-onload", "<svg onload=alert('{t}')>"),
    ("svg-onload-quoted", "<svg onload=\"alert('{t}')\"></svg>"),
    ("svg-link", '<svg><a xlink:href="javascript:alert(\'{t}\')"><text y="20">s</text></a></svg>'),
    ("iframe-srcdoc", "<iframe srcdoc=\"<script>parent.alert('{t}')</script>\"></iframe>"),
    ("iframe-javascript", "<iframe src=\"javascript:parent.alert('{t}')\"></iframe>"),
    ("details-ontoggle", "<details open ontoggle=alert('{t}')><summary>s</summary></details>"),
    # in Markdown's link syntax a quote starts a title: the token goes in a regex
    ("markdown-link", "[click](javascript:alert(/{t}/.source))"),
    ("markdown-link-mixed-case", "[click](JaVaScRiPt:alert(/{t}/.source))"),
    ("markdown-reference", "[click][ref-{t}]\n\n[ref-{t}]: javascript:alert(/{t}/.source)"),
    ("markdown-autolink", "<javascript:alert(/{t}/.source)>"),
    ("markdown-image", "![x](javascript:alert(/{t}/.source))"),
    ("markdown-data-link", "[d](data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==#{t})"),
    ("html-link", "<a href=\"javascript:alert('{t}')\">a</a>"),
    ("html-link-entity", "<a href=\"jav&#x09;ascript:alert('{t}')\">a</a>"),
    ("data-link", "<a href=\"data:text/html,<script>alert('{t}')</script>\">d</a>"),
    ("object-data", "<object data=\"javascript:alert('{t}')\"></object>"),
    ("embed-src", "<embed src=\"javascript:alert('{t}')\">"),
    ("style-import", f"<style>@import url({EVIL}/{{t}}.css);</style>"),
    ("form-action", "<form action=\"javascript:alert('{t}')\"><input type=submit value=go></form>"),
    ("input-autofocus", "<input autofocus onfocus=alert('{t}')>"),
    ("input-autofocus-quoted", "<input autofocus onfocus=\"alert('{t}')\">"),
    ("button-formaction", "<button formaction=\"javascript:alert('{t}')\">b</button>"),
    (
        "math-link",
        "<math><mi xlink:href=\"javascript:alert('{t}')\" href=\"javascript:alert('{t}')\">m</mi></math>",
    ),
    (
        "math-mxss",
        "<math><mtext><table><mglyph><style><img src=x onerror=alert('{t}')></style></mglyph></table></mtext></math>",
    ),
    # deep enough that the theme's ../../assets/ still resolve under the token
    ("base-href", f'<base href="{EVIL}/{{t}}/a/b/c/">'),
    ("meta-refresh", f'<meta http-equiv="refresh" content="0; url={EVIL}/{{t}}">'),
]
HEADING_VARIANTS: list[tuple[str, str]] = [
    ("heading-img", "## <img src=x onerror=alert('{t}')>"),
    ("heading-script", "## Appendix <script>alert('{t}')</script>"),
]
LESSON_VARIANTS: list[tuple[str, str]] = [
    ("lesson-img", "<img src=x onerror=alert('{t}')> and a lesson."),
    ("lesson-link", "[click](javascript:alert(/{t}/.source)) and a lesson."),
    ("lesson-script", "<script>alert('{t}')</script> and a lesson."),
    ("lesson-html-link", "<a href=\"javascript:alert('{t}')\">a</a> and a lesson."),
]
# Quoted payloads: shown verbatim as text, never run.
QUOTED_VARIANTS: list[tuple[str, str]] = [
    ("quoted-script", "<script>alert('{t}')</script>"),
    ("quoted-img", "<img src=x onerror=alert('{t}')>"),
    ("quoted-link", "<a href=\"javascript:alert('{t}')\">a</a>"),
]
# The sections a final postmortem has; Lessons learned gets its own payloads.
NARRATIVE_SECTIONS = [title for title in SECTIONS_IN_FINAL if title != "Lessons learned"]
FREE_TEXT_PROBE = "Free text, with <b>markup</b> & [brackets]"
# Search words that begin tokens of the payloads (search splits words at spaces
# and hyphens): the results render the payloads' text.
SEARCH_WORDS = ["onerror", "AIPM"]
HOSTILE_POSTMORTEMS = len(FIELD_VARIANTS)  # every field meets every variant it accepts
# Rules on the file format: the corpus must pass them, they are never turned off.
FORMAT_RULES = {
    "schema",
    "unknown-key",
    "yaml-syntax",
    "yaml-boolean",
    "duplicate-key",
    "missing-front-matter",
    "unreadable-file",
    "ambiguous-time",
}


@dataclass(frozen=True)
class Payload:
    token: str
    postmortem: str  # its id
    where: str  # field path, or body section
    variant: str
    text: str
    quoted: bool = False

    def describe(self) -> str:
        return f"{self.postmortem} {self.where} [{self.variant}] {self.text!r}"


@dataclass
class Corpus:
    files: dict[str, str] = field(default_factory=dict)  # repository path -> text
    payloads: dict[str, Payload] = field(default_factory=dict)  # token -> payload
    fields: list[str] = field(default_factory=list)  # the schema's fields that hold payloads

    def add(self, postmortem: str, where: str, variant: str, template: str, **kw: Any) -> Payload:
        token = f"xss{len(self.payloads) + 1}"
        payload = Payload(token, postmortem, where, variant, template.replace("{t}", token), **kw)
        self.payloads[token] = payload
        return payload

    def describe(self, token: str) -> str:
        payload = self.payloads.get(token)
        return payload.describe() if payload else f"(unknown token {token})"


# --- the corpus from the schema ---------------------------------------------------

SchemaPath = tuple[str, ...]  # keys, with "[]" for the items of an array


def string_leaves(
    schema: dict[str, Any], path: SchemaPath = ()
) -> Iterator[tuple[SchemaPath, dict[str, Any]]]:
    """Every leaf of the schema's properties, through objects and arrays."""
    if "properties" in schema:
        for key, sub in schema["properties"].items():
            yield from string_leaves(sub, (*path, key))
    elif schema.get("type") == "array" and isinstance(schema.get("items"), dict):
        yield from string_leaves(schema["items"], (*path, "[]"))
    elif path:
        yield path, schema


def accepts(leaf: dict[str, Any], value: str) -> bool:
    return Draft202012Validator(leaf).is_valid(value)


def payload_fields(schema: dict[str, Any]) -> list[tuple[SchemaPath, dict[str, Any]]]:
    """The fields a payload can go in: free text, or any string field that
    accepts one of the payloads (URL fields take the URL-shaped ones)."""
    samples = [FREE_TEXT_PROBE] + [
        template.replace("{t}", "xss0") for _, template in FIELD_VARIANTS
    ]
    return [
        (path, leaf)
        for path, leaf in string_leaves(schema)
        if any(accepts(leaf, sample) for sample in samples)
    ]


def show_path(path: SchemaPath) -> str:
    return ".".join(path).replace(".[]", "[]")


def base_front_matter() -> tuple[dict[str, Any], str]:
    """final.md's front matter (dates kept as strings) and its body."""
    parsed = parse_postmortem(FINAL.encode(), "final.md")
    assert parsed.readable, parsed.problems
    return parsed.data, parsed.body


class FieldFiller:
    """Puts a payload, accepted by the field's schema, in every instance of a field."""

    def __init__(self, corpus: Corpus, postmortem: str) -> None:
        self.corpus = corpus
        self.postmortem = postmortem

    def pick(self, leaf: dict[str, Any], turn: int, where: str) -> str:
        for offset in range(len(FIELD_VARIANTS)):
            variant, template = FIELD_VARIANTS[(turn + offset) % len(FIELD_VARIANTS)]
            if accepts(leaf, template.replace("{t}", "xss0")):
                return self.corpus.add(self.postmortem, where, variant, template).text
        raise AssertionError(f"no payload fits {where}")

    def fill(
        self,
        node: dict[str, Any],
        path: SchemaPath,
        leaf: dict[str, Any],
        turn: int,
        where: str = "",
    ) -> None:
        key, rest = path[0], path[1:]
        here = f"{where}.{key}" if where else key
        if not rest:
            node[key] = self.pick(leaf, turn, here)
        elif rest == ("[]",):  # a list of strings: two payloads
            node[key] = [self.pick(leaf, turn + i, f"{here}[{i}]") for i in range(2)]
        elif rest[0] == "[]":
            items = node.get(key) or [{}]
            node[key] = items
            for i, item in enumerate(items):
                self.fill(item, rest[1:], leaf, turn + i, f"{here}[{i}]")
        else:
            self.fill(node.setdefault(key, {}), rest, leaf, turn, here)


def hostile_front_matter(
    corpus: Corpus, number: int, fields: list[tuple[SchemaPath, dict[str, Any]]]
) -> dict[str, Any]:
    data, _ = base_front_matter()
    data = copy.deepcopy(data)
    pm_id = postmortem_id(number)
    data["id"] = pm_id
    data.pop("visibility", None)  # internal
    filler = FieldFiller(corpus, pm_id)
    for field_number, (path, leaf) in enumerate(fields):
        filler.fill(data, path, leaf, number + field_number)
    return data


def postmortem_id(number: int) -> str:
    return f"AIPM-2025-{number + 101:03d}"


def narrative_body(corpus: Corpus, pm_id: str) -> str:
    """A body with every narrative payload, as block and inline, in the usual
    sections; hostile headings; hostile lessons; quoted payloads."""
    blocks: dict[str, list[str]] = {section: [] for section in NARRATIVE_SECTIONS}
    for n, (variant, template) in enumerate(NARRATIVE_VARIANTS):
        section = NARRATIVE_SECTIONS[n % len(NARRATIVE_SECTIONS)]
        alone = corpus.add(pm_id, f"body: {section} (paragraph)", variant, template)
        inline = corpus.add(pm_id, f"body: {section} (inline)", variant, in_a_sentence(template))
        blocks[section] += [alone.text, inline.text]
    quoted = [
        corpus.add(pm_id, "body: Appendix (code span)", v, t, quoted=True)
        for v, t in QUOTED_VARIANTS
    ]
    fenced = [
        corpus.add(pm_id, "body: Appendix (fenced block)", v, t, quoted=True)
        for v, t in QUOTED_VARIANTS
    ]
    headings = [corpus.add(pm_id, "body: heading", v, t) for v, t in HEADING_VARIANTS]
    lessons = [
        corpus.add(pm_id, "body: Lessons learned item", v, t) for v, t in LESSON_VARIANTS[:3]
    ]
    parts = []
    for section, payloads in blocks.items():
        parts.append(f"## {section}\n\nPlain words about the incident.\n\n" + "\n\n".join(payloads))
    parts.append("## Lessons learned\n\n" + "\n".join(f"- {lesson.text}" for lesson in lessons))
    appendix = "The payloads as quoted in the report: " + ", ".join(f"`{q.text}`" for q in quoted)
    appendix += ".\n\n```html\n" + "\n".join(f.text for f in fenced) + "\n```"
    parts.append("## Appendix\n\n" + appendix)
    parts += [f"{heading.text}\n\nText under a hostile heading." for heading in headings]
    return "\n\n".join(parts) + "\n"


def in_a_sentence(template: str) -> str:
    """The payload inside a sentence (its first line: a reference definition stays a line)."""
    first, newline, rest = template.partition("\n")
    return f"A sentence with {first} in it.{newline}{rest}"


def with_hostile_lessons(corpus: Corpus, pm_id: str, body: str, number: int) -> str:
    """final.md's body, its lessons replaced by two hostile ones (the lessons page lists them)."""
    start = body.index("## Lessons learned")
    end = body.index("\n## ", start + 1)
    lessons = []
    for i in range(2):
        variant, template = LESSON_VARIANTS[(number + i) % len(LESSON_VARIANTS)]
        lessons.append(corpus.add(pm_id, "body: Lessons learned item", variant, template).text)
    items = "\n".join(f"- {lesson}" for lesson in lessons)
    return body[:start] + f"## Lessons learned\n\n{items}\n" + body[end:]


def as_file(data: dict[str, Any], body: str) -> str:
    front = yaml.safe_dump(data, sort_keys=False, allow_unicode=True, width=10_000)
    return f"---\n{front}---\n\n{body.lstrip()}"


def hostile_corpus() -> Corpus:
    schema = build_schema(load_taxonomy())
    fields = payload_fields(schema)
    corpus = Corpus(fields=[show_path(path) for path, _ in fields])
    _, final_body = base_front_matter()
    for number in range(HOSTILE_POSTMORTEMS):
        data = hostile_front_matter(corpus, number, fields)
        pm_id = data["id"]
        if number == 0:
            body = narrative_body(corpus, pm_id)
        else:
            body = with_hostile_lessons(corpus, pm_id, final_body, number)
        corpus.files[f"postmortems/2025/{pm_id}-hostile.md"] = as_file(data, body)
    return corpus


# --- building and serving ------------------------------------------------------


@dataclass
class BuiltSite:
    site: Path
    log: str
    returncode: int
    lint_errors: dict[str, int]  # rule -> errors lint reports on the corpus
    silenced: list[str]  # the rules turned off so that the site publishes the corpus


class QuietServer(http.server.ThreadingHTTPServer):
    def handle_error(self, *args: object) -> None:
        pass  # the browser moved on before a response was written


def write_repository(repo: Path, corpus: Corpus, rules_off: list[str]) -> None:
    if not (repo / ".git").exists():
        git(repo, "init", "-q", "-b", "main")
    (repo / "docs").mkdir(exist_ok=True)
    (repo / "mkdocs.yml").write_text(MKDOCS_YML)
    levels = "".join(f'"{rule}" = "off"\n' for rule in ["late-draft", *rules_off])
    (repo / "pyproject.toml").write_text(f"[tool.postmortem.rules]\n{levels}")
    for relative, text in corpus.files.items():
        target = repo / relative
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(text, encoding="utf-8")


def lint_errors(repo: Path) -> dict[str, int]:
    """The rules that `postmortem lint` reports errors for, with how many."""
    done = subprocess.run(
        [sys.executable, "-m", "postmortem_kit.cli", "lint", "--format", "json"],
        cwd=repo,
        capture_output=True,
        text=True,
    )
    assert done.returncode in (0, 1), done.stdout + done.stderr
    counts: dict[str, int] = {}
    for finding in json.loads(done.stdout)["findings"]:
        if finding["level"] == "error":
            counts[finding["rule"]] = counts.get(finding["rule"], 0) + 1
    return counts


def build_site(repo: Path, corpus: Corpus) -> BuiltSite:
    """Build the corpus's site. The site publishes only what lint passes, and
    lint refuses raw HTML: that gate is a first layer, and is turned off here
    (every content rule that reports an error), so that what is tested is
    what the site itself does with hostile text. Format rules stay on."""
    write_repository(repo, corpus, [])
    errors = lint_errors(repo)
    silenced = sorted(set(errors) - FORMAT_RULES)
    write_repository(repo, corpus, silenced)
    env = {**os.environ, "NO_MKDOCS_2_WARNING": "1", "POSTMORTEM_AUDIENCE": "internal"}
    # not --strict: test_the_build_warns_about_nothing says it apart from the XSS tests
    done = subprocess.run(
        [sys.executable, "-m", "mkdocs", "build"],
        cwd=repo,
        env=env,
        capture_output=True,
        text=True,
    )
    return BuiltSite(repo / "site", done.stdout + done.stderr, done.returncode, errors, silenced)


@functools.cache
def _schema_validator() -> SchemaValidator:
    return SchemaValidator(build_schema(load_taxonomy()))


def schema_errors(text: str, path: str) -> list[str]:
    parsed = parse_postmortem(text.encode(), path)
    if not parsed.readable:
        return [problem.message for problem in parsed.problems]
    return [
        f"{'/'.join(map(str, error.absolute_path))}: {error.message}"
        for error in _schema_validator().iter_errors(parsed.data)
    ]


def page_urls(site: Path, base: str) -> list[str]:
    """Every built HTML page (404.html included), as the browser asks for it."""
    urls = []
    for path in sorted(site.rglob("*.html")):
        relative = path.relative_to(site).as_posix()
        urls.append(base + relative.removesuffix("index.html"))
    return urls


# --- the browser ------------------------------------------------------------------

# What survived: active markup that carries a token, anywhere in the document
# (head and navigation included); a <script> of any kind in the article; a
# javascript:, data: or vbscript: URL in the article, or carrying a token elsewhere.
SCAN_JS = r"""
() => {
  const TOKEN = /xss\d+/g;
  const DANGEROUS_URL = /^(javascript|data|vbscript):/i;
  const URL_ATTRIBUTES = ['href', 'xlink:href', 'src', 'action', 'formaction', 'data', 'poster', 'background'];
  const ACTIVE = ['script', 'iframe', 'frame', 'object', 'embed', 'base', 'meta', 'link', 'style', 'form'];
  const found = [];
  const tokens = text => text.match(TOKEN) || [];
  const note = (text, what) => {
    const ts = tokens(text);
    for (const t of ts.length ? ts : ['-']) found.push([t, what]);
  };
  for (const el of document.querySelectorAll('*')) {
    const tag = el.localName;
    const where = el.closest('article') ? 'article' : el.closest('head') ? 'head' : 'page';
    if (ACTIVE.includes(tag) && (tokens(el.outerHTML).length || (tag === 'script' && where === 'article'))) {
      note(el.outerHTML, `<${tag}> element in the ${where}`);
    }
    for (const attribute of el.attributes) {
      const name = attribute.name.toLowerCase();
      const value = attribute.value;
      if (name.startsWith('on') && tokens(value).length) {
        note(value, `${name} handler on <${tag}> in the ${where}`);
      } else if (name === 'srcdoc') {
        note(value, `srcdoc on <${tag}> in the ${where}`);
      } else if (URL_ATTRIBUTES.includes(name)) {
        const url = value.replace(/[\u0000-\u0020]/g, '');
        if (DANGEROUS_URL.test(url) && (where === 'article' || tokens(value).length)) {
          note(value, `${name}="${url.split(':')[0].toLowerCase()}:..." on <${tag}> in the ${where}`);
        }
      }
    }
  }
  return found;
}
"""

# Before any page script: window.__pwned and document.title keep a log of what
# sets them, so that payloads that overwrite each other are all seen.
RECORDER_JS = r"""
(() => {
  const log = [];
  Object.defineProperty(window, '__pwnedLog', {value: log});
  Object.defineProperty(window, '__pwned', {
    configurable: true,
    get() { return log.length ? log[log.length - 1][1] : undefined; },
    set(value) { log.push(['window.__pwned', String(value)]); },
  });
  const title = Object.getOwnPropertyDescriptor(Document.prototype, 'title');
  Object.defineProperty(Document.prototype, 'title', {
    configurable: true,
    get() { return title.get.call(this); },
    set(value) { log.push(['document.title', String(value)]); title.set.call(this, value); },
  });
})();
"""
SIGNALS_JS = """
() => {
  const log = window.__pwnedLog ? window.__pwnedLog.splice(0) : [];
  if (window.__pwned !== undefined && !log.length) log.push(['window.__pwned', String(window.__pwned)]);
  return log;
}
"""

# What runs only on interaction: hover, focus and click it, submit forms.
TRIGGER_JS = r"""
async () => {
  const TOKEN = /xss\d+/;
  const DANGEROUS_URL = /^(javascript|data|vbscript):/i;
  for (const el of [...document.querySelectorAll('*')]) {
    for (const attribute of [...el.attributes]) {
      const name = attribute.name.toLowerCase();
      if (name.startsWith('on') && TOKEN.test(attribute.value)) el.dispatchEvent(new Event(name.slice(2)));
    }
  }
  for (const link of [...document.querySelectorAll('[href], [xlink\\:href]')]) {
    const href = (link.getAttribute('href') || link.getAttribute('xlink:href') || '').replace(/[\u0000-\u0020]/g, '');
    if (!DANGEROUS_URL.test(href)) continue;
    if (link.focus) link.focus();
    link.dispatchEvent(new MouseEvent('mouseover', {bubbles: true}));
    link.dispatchEvent(new MouseEvent('click', {bubbles: true, cancelable: true}));
  }
  for (const form of [...document.querySelectorAll('article form')]) {
    try { form.requestSubmit(); } catch (e) {}
  }
  for (const control of [...document.querySelectorAll('article input, article button')]) {
    control.focus();
    control.click();
  }
  await new Promise(resolve => setTimeout(resolve, 50));
}
"""
# The text of the article's code spans and blocks that a reader sees.
VISIBLE_CODE_JS = """
() => [...document.querySelectorAll('article code')]
  .filter(code => code.checkVisibility())
  .map(code => code.innerText)
"""
SETTLE_JS = "() => new Promise(resolve => setTimeout(resolve, 30))"
# Requests to anywhere but the site: recorded and aborted (matched in the browser's
# driver, so the site's own requests never wait for Python).
OFF_HOST = re.compile(r"^(?!https?://127\.0\.0\.1[:/])(https?|wss?|ftp)://")


@dataclass
class Finding:
    page: str
    token: str  # the payload's token, or "-"
    what: str


@dataclass
class Crawl:
    pages: list[str] = field(default_factory=list)
    ran: list[Finding] = field(default_factory=list)
    survived: list[Finding] = field(default_factory=list)
    code_texts: dict[str, list[str]] = field(default_factory=dict, repr=False)
    search_results: dict[str, str] = field(default_factory=dict)  # word -> what search said


class Browser:
    """One Chromium page that records what runs, and what leaves 127.0.0.1."""

    def __init__(self, page: Page, crawl: Crawl) -> None:
        self.page = page
        self.crawl = crawl
        self.current = "(start)"
        page.on("dialog", self._on_dialog)
        page.add_init_script(RECORDER_JS)
        page.route(OFF_HOST, self._off_host)

    def _on_dialog(self, dialog: Dialog) -> None:
        what = f"{dialog.type}({dialog.message!r})"
        self.crawl.ran.append(Finding(self.current, _token(dialog.message), what))
        dialog.dismiss()

    def _off_host(self, route: Route) -> None:
        url = route.request.url
        self.crawl.ran.append(
            Finding(self.current, _token(url), f"request off {LOCAL_HOST}: {url}")
        )
        route.abort("aborted")  # no error page: the page stays for the checks

    def visit(self, url: str, label: str) -> None:
        self.current = label
        try:
            self.page.goto(url, wait_until="load")
            self.page.evaluate(SETTLE_JS)
            self.scan(label)
            self.page.evaluate(TRIGGER_JS)
            self.record_signals(label, "on interaction")
            self.crawl.code_texts[label] = self.page.evaluate(VISIBLE_CODE_JS)
        except PlaywrightError as e:  # e.g. the page navigated itself away
            what = f"page could not be checked: {e.message.splitlines()[0]}"
            self.crawl.survived.append(Finding(label, "-", what))

    def scan(self, label: str) -> None:
        for token, what in self.page.evaluate(SCAN_JS):
            self.crawl.survived.append(Finding(label, token, what))
        self.record_signals(label, "on load")

    def record_signals(self, label: str, when: str) -> None:
        for target, value in self.page.evaluate(SIGNALS_JS):
            what = f"{target} = {value!r} ({when})"
            self.crawl.ran.append(Finding(label, _token(value), what))

    def search(self, home: str, word: str) -> None:
        """Type `word` in the search box; scan the results as they are shown."""
        label = f"search results for {word!r}"
        self.page.goto(home, wait_until="load")
        self.current = label
        self.page.click("input.md-search__input")
        self.page.locator("input.md-search__input").press_sequentially(word, delay=10)
        meta = self.page.locator(".md-search-result__meta")
        # before the results, it says "Initializing search" or "Type to start searching"
        with contextlib.suppress(PlaywrightError):
            meta.filter(has_text=re.compile(r"matching document")).wait_for(timeout=5_000)
        self.page.evaluate(SETTLE_JS)
        self.crawl.search_results[word] = meta.inner_text()
        self.scan(label)
        self.page.evaluate(TRIGGER_JS)
        self.record_signals(label, "on interaction")


def _token(text: str) -> str:
    found = re.search(r"xss\d+", text)
    return found.group(0) if found else "-"


# --- fixtures -------------------------------------------------------------------


@pytest.fixture(scope="module")
def corpus() -> Corpus:
    return hostile_corpus()


@pytest.fixture(scope="module")
def built(corpus: Corpus, tmp_path_factory: pytest.TempPathFactory) -> BuiltSite:
    return build_site(tmp_path_factory.mktemp("hostile-repo"), corpus)


@pytest.fixture(scope="module")
def crawl(built: BuiltSite) -> Iterator[Crawl]:
    assert built.returncode == 0, built.log
    handler = functools.partial(QuietHandler, directory=str(built.site))
    server = QuietServer((LOCAL_HOST, 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    base = f"http://{LOCAL_HOST}:{server.server_address[1]}/"
    result = Crawl()
    try:
        with sync_playwright() as playwright:
            chromium = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
            browser = Browser(chromium.new_page(viewport={"width": 1280, "height": 900}), result)
            for url in page_urls(built.site, base):
                label = url.removeprefix(base) or "/"
                result.pages.append(label)
                browser.visit(url, label)
            for word in SEARCH_WORDS:
                browser.search(base, word)
            chromium.close()
    finally:
        server.shutdown()
    yield result


def report(findings: list[Finding], corpus: Corpus) -> str:
    """Per payload: where it was written, what it did, on which pages."""
    by_token: dict[str, dict[str, list[str]]] = {}
    for finding in findings:
        by_token.setdefault(finding.token, {}).setdefault(finding.what, []).append(finding.page)
    lines = [f"{len(by_token)} payloads:"]
    for token in sorted(by_token, key=_token_order):
        origin = corpus.describe(token) if token != "-" else "(no token)"
        lines.append(f"{token}: {origin}")
        for what, pages in by_token[token].items():
            lines.append(f"    {what}: {', '.join(dict.fromkeys(pages))}")
    return "\n".join(lines)


def _token_order(token: str) -> int:
    return int(token[3:]) if token.startswith("xss") else 0


# --- tests ------------------------------------------------------------------------
# `built` makes a git repository (marked git); `crawl` opens every page in Chromium,
# some 20 s (marked slow too).


def test_the_corpus_reaches_every_free_text_field_and_stays_valid(corpus: Corpus) -> None:
    expected = {
        "title",
        "reported_by",
        "systems[]",
        "timeline.detection_method",
        "root_causes[].factor",
        "root_causes[].evidence",
        "actions[].description",
        "actions[].owner",
        "actions[].acceptance",
        "controls[].control",
        "controls[].metric",
        "follow_up.attendees[]",
        "monitoring.owner",
        "monitoring.review",
        "authors[].name",
        "authors[].role",
        "approvals[].name",
        "impact.data_exposed[]",
        "tags[]",
        "references.links[].title",
        "references.links[].url",
        "actions[].tracker",
    }
    assert expected <= set(corpus.fields), expected - set(corpus.fields)
    assert not {"id", "status", "severity", "identified", "due", "approvals[].role"} & set(
        corpus.fields
    )
    read_back: set[str] = set()
    for path, text in corpus.files.items():
        assert schema_errors(text, path) == [], path
        parsed = parse_postmortem(text.encode(), path)
        read_back |= set(strings_in(parsed.data))
        read_back.add(parsed.body)
    # every payload reads back as written: YAML kept it whole, dates stayed strings
    for payload in corpus.payloads.values():
        if payload.where.startswith("body:"):
            assert any(payload.text in text for text in read_back), payload.describe()
        else:
            assert payload.text in read_back, payload.describe()


def strings_in(value: Any) -> Iterator[str]:
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for item in value.values():
            yield from strings_in(item)
    elif isinstance(value, list):
        for item in value:
            yield from strings_in(item)


@pytest.mark.git
def test_every_hostile_postmortem_is_published(built: BuiltSite, corpus: Corpus) -> None:
    assert not set(built.lint_errors) & FORMAT_RULES, built.lint_errors
    assert built.returncode == 0, built.log
    assert "left out" not in built.log and "does not follow" not in built.log, built.log
    for path in corpus.files:
        pm_id = Path(path).name.removesuffix("-hostile.md")
        assert (built.site / "incidents" / pm_id / "index.html").is_file(), pm_id
    systems = [p for p in (built.site / "systems").iterdir() if p.is_dir()]
    assert len(systems) >= HOSTILE_POSTMORTEMS  # the hostile system names have pages


@pytest.mark.git
def test_the_build_warns_about_nothing(built: BuiltSite) -> None:
    """What `mkdocs build --strict` would say: hostile text is no reason to warn."""
    warnings = [line for line in built.log.splitlines() if line.startswith("WARNING")]
    assert not warnings, "\n".join(warnings)


@pytest.mark.git
@pytest.mark.slow
def test_every_page_was_opened_and_search_showed_results(crawl: Crawl, built: BuiltSite) -> None:
    assert len(crawl.pages) == len(list(built.site.rglob("*.html")))
    assert "404.html" in crawl.pages and "systems/" in crawl.pages
    for word, said in crawl.search_results.items():
        assert re.match(r"\d+ matching document", said), (word, said)


@pytest.mark.git
@pytest.mark.slow
def test_no_script_from_content_runs(crawl: Crawl, corpus: Corpus) -> None:
    ran = crawl.ran
    assert not ran, report(ran, corpus)


@pytest.mark.git
@pytest.mark.slow
def test_no_active_markup_survives(crawl: Crawl, corpus: Corpus) -> None:
    survived = crawl.survived
    assert not survived, report(survived, corpus)


@pytest.mark.git
@pytest.mark.slow
def test_quoted_payloads_stay_visible_verbatim(crawl: Crawl, corpus: Corpus) -> None:
    quoted = [p for p in corpus.payloads.values() if p.quoted]
    page = f"incidents/{quoted[0].postmortem}/"
    shown = "\n".join(crawl.code_texts.get(page, []))
    missing = [p.describe() for p in quoted if p.text not in shown]
    assert not missing, "not shown verbatim in code:\n" + "\n".join(missing)
