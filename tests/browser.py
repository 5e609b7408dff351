"""Shared fixtures for tests in a real browser: the test app on a live server, and Chromium.

`live_server` serves the `app` fixture's app (the same test database) with werkzeug in a
thread on 127.0.0.1 and a free port. `browser` launches Debian's Chromium through
Playwright; `browser_page` is a page in a fresh context (own cookies) of that browser.
Chromium is required: without /usr/bin/chromium the tests fail (CI installs it), they are
not skipped. Mark such tests `@pytest.mark.browser`.

Keep the test's own database sessions closed (leave `app.app_context()` blocks) while the
browser works: on SQLite an open write transaction would make the server wait.
"""

from __future__ import annotations

import re
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import pytest
from flask import Flask
from werkzeug.serving import make_server

if TYPE_CHECKING:
    from playwright.sync_api import Browser, Page

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
]
DEFAULT_TIMEOUT_MS = 15_000


@dataclass(frozen=True)
class LiveServer:
    """The test app served over HTTP; `url` has no trailing slash."""

    url: str
    app: Flask

    def __call__(self, path: str) -> str:
        """The absolute address of a path on the server."""
        return f"{self.url}{path}"


@pytest.fixture
def live_server(app: Flask) -> Iterator[LiveServer]:
    """Serve the test app (same database as the test) until the test ends."""
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, name="live-server", daemon=True)
    thread.start()
    try:
        yield LiveServer(f"http://127.0.0.1:{server.server_port}", app)
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=10)


@pytest.fixture
def browser() -> Iterator[Browser]:
    """Headless Chromium (Debian's package), closed after the test."""
    if not CHROMIUM.exists():
        pytest.fail(
            f"Chromium is not installed at {CHROMIUM}: browser tests need Debian's chromium "
            "package (apt-get install chromium); they are not skipped on purpose.",
            pytrace=False,
        )
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(
            executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS
        )
        try:
            yield launched
        finally:
            launched.close()


@pytest.fixture
def browser_page(browser: Browser) -> Iterator[Page]:
    """A page in a fresh browser context (its own cookies), Swedish locale."""
    context = browser.new_context(locale="sv-SE")
    context.set_default_timeout(DEFAULT_TIMEOUT_MS)
    try:
        yield context.new_page()
    finally:
        context.close()


def axe_report(page: Page) -> str | None:
    """Run axe-core on the page: None when there are no violations, else the report."""
    from axe_playwright_python.sync_playwright import Axe

    results = Axe().run(page)
    if results.violations_count == 0:
        return None
    return str(results.generate_report())


def expect_error_title(page: Page) -> None:
    """The page (once loaded: a click may still be navigating) has a title starting "Fel:"."""
    from playwright.sync_api import expect

    expect(page).to_have_title(re.compile(r"^Fel:"))
