"""A reader in a real browser: search for a postmortem, read it, browse on.

Headless Chromium (Debian's package, which .ci/run installs) driven by
Playwright, against the built site served on localhost. Screenshots are saved
in the test's tmp dir.
"""

from __future__ import annotations

import functools
import http.server
import os
import re
import subprocess
import sys
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from helpers import CHROMIUM, CHROMIUM_ARGS, PROJECT, QuietHandler, require_chromium

pytestmark = pytest.mark.browser

require_chromium()

from playwright.sync_api import Page, expect, sync_playwright  # noqa: E402


@pytest.fixture(scope="module")
def site_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    site = tmp_path_factory.mktemp("site")
    subprocess.run(
        [sys.executable, "-m", "mkdocs", "build", "--strict", "--site-dir", str(site)],
        cwd=PROJECT,
        check=True,
        capture_output=True,
        env={**os.environ, "NO_MKDOCS_2_WARNING": "1", "POSTMORTEM_AUDIENCE": "internal"},
    )
    handler = functools.partial(QuietHandler, directory=str(site))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_address[1]}/"
    server.shutdown()


@pytest.fixture
def page(site_url: str) -> Iterator[Page]:
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield browser.new_page(viewport={"width": 1280, "height": 900})
        browser.close()


def test_search_for_an_id_then_browse_to_its_incident_type(
    page: Page, site_url: str, tmp_path: Path
) -> None:
    requested: list[str] = []
    page.on("request", lambda request: requested.append(request.url))
    page.goto(site_url)
    page.screenshot(path=tmp_path / "1-home.png", full_page=True)

    page.click("input.md-search__input")
    page.locator("input.md-search__input").press_sequentially("AIPM-2025-002", delay=20)
    first = page.locator(".md-search-result__item > a").first
    # results update as each key is typed: wait for those of the whole id
    expect(first).to_have_attribute("href", re.compile(r"/incidents/AIPM-2025-002/"))
    page.screenshot(path=tmp_path / "2-search.png")
    first.click()

    page.wait_for_url("**/incidents/AIPM-2025-002/**")
    heading = "AIPM-2025-002: E-mail assistant followed instructions hidden in an incoming message"
    assert page.locator("h1").inner_text() == heading
    page.screenshot(path=tmp_path / "3-incident.png", full_page=True)

    page.locator(".pm-card a", has_text="Prompt injection").click()
    page.wait_for_url("**/types/prompt-injection/")
    assert page.locator("h1").inner_text() == "Prompt injection"
    assert page.locator("table a", has_text="AIPM-2025-002").count() == 1
    page.screenshot(path=tmp_path / "4-type.png", full_page=True)

    assert all(url.startswith(site_url) for url in requested), "the site fetched from elsewhere"


def test_search_finds_a_postmortem_by_action_owner_and_body_words(
    page: Page, site_url: str
) -> None:
    page.goto(site_url)
    for query, expected in [("Vendor management", "AIPM-2025-005"), ("base64", "AIPM-2025-002")]:
        page.click("input.md-search__input")
        search = page.locator("input.md-search__input")
        search.fill("")
        search.press_sequentially(query, delay=20)
        first = page.locator(".md-search-result__item > a").first
        expect(first).to_have_attribute("href", re.compile(f"/incidents/{expected}/"))
        page.keyboard.press("Escape")
