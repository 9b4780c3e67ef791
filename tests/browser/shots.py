"""Screenshots for a human look (test-artifacts/): never an assertion, so never a failure.

A full-page screenshot of a long page can stall in a busy headless Chromium (CI: two
cores, two test runs); what the test checks is the page, not the picture."""

from __future__ import annotations

import logging

from playwright.sync_api import Error, Page

log = logging.getLogger(__name__)


def save_screenshot(page: Page, path: str, full_page: bool = True) -> None:
    try:
        page.screenshot(path=path, full_page=full_page, timeout=10_000)
    except Error as error:  # a TimeoutError is one
        log.warning("no screenshot %s: %s", path, str(error).splitlines()[0])
