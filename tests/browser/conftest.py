"""A real browser for the tests in this folder: Debian's chromium driven by Playwright's sync API.

One browser for this folder's tests; each test gets a fresh context (no cookies or storage
carried over) and page. The page may only reach this machine: anything else is refused at
once instead of waiting on the closed network. On teardown the page's
last state is saved as ``artifacts/screenshots/<test>-final.png`` and its console as
``<test>-console.txt``.
"""

from __future__ import annotations

from typing import Iterator, List
from urllib.parse import urlsplit

import pytest
from playwright.sync_api import Browser, Page, Route, sync_playwright

from tests.browser.chromium import CHROMIUM, LAUNCH_ARGS, ensure_chromium
from tests.browser.screenshots import forget, register, snap

LOCAL_HOSTS = {"127.0.0.1", "localhost"}


@pytest.fixture(scope="package")
def browser() -> Iterator[Browser]:
    """One chromium for the tests of this folder, closed when they are done.

    Not session-wide: while Playwright's sync API is up, its event loop counts as running in
    the main thread, and every later test that calls ``asyncio.run`` would fail.
    """
    missing = ensure_chromium()
    if missing:
        pytest.skip(f"browser tests need Debian's chromium: {missing}")
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=LAUNCH_ARGS)
        try:
            yield browser
        finally:
            browser.close()


@pytest.fixture
def page(browser: Browser, request: pytest.FixtureRequest) -> Iterator[Page]:
    context = browser.new_context(viewport={"width": 1280, "height": 860})
    context.route("**/*", local_only)
    page = context.new_page()
    console: List[str] = []
    page.on("console", lambda message: console.append(f"{message.type}: {message.text}"))
    page.on("pageerror", lambda error: console.append(f"pageerror: {error}"))
    register(page, request.node.name)
    try:
        yield page
    finally:
        try:
            path = snap(page, "final")
            path.with_name(path.name.replace("-final.png", "-console.txt")).write_text("\n".join(console) + "\n")
        finally:
            forget(page)
            context.close()


def local_only(route: Route) -> None:
    """Let the page reach this machine only."""
    if urlsplit(route.request.url).hostname in LOCAL_HOSTS:
        route.continue_()
    else:
        route.abort("blockedbyclient")

