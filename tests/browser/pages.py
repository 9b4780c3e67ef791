"""What every browser test checks on a page, one way: no WCAG 2.1 A/AA violation
(axe-core), no script error, animations settled before a look; and screenshots for a
human look (test-artifacts/), which never fail a test.

A full-page screenshot of a long page can stall in a busy headless Chromium (CI: two
cores, two test runs); what the test checks is the page, not the picture."""

from __future__ import annotations

import logging

from playwright.sync_api import Error, Page, expect

log = logging.getLogger(__name__)

WCAG_21_AA = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]


def assert_accessible(page: Page, axe, name: str = "") -> None:
    """axe-core (the `axe` fixture) finds no WCAG 2.1 A/AA violation on the page."""
    results = axe.run(page, options={"runOnly": {"type": "tag", "values": WCAG_21_AA},
                                     "resultTypes": ["violations"]})
    assert results.violations_count == 0, f"{name}\n{results.generate_report()}"


def watch_errors(page: Page) -> list[str]:
    """The page's console errors and script errors, as they come."""
    errors: list[str] = []
    page.on("console", lambda m: m.type == "error" and errors.append(m.text))
    page.on("pageerror", lambda e: errors.append(str(e)))
    return errors


def settled(page: Page) -> None:
    """Wait until no animation runs: a message fading in has a lower contrast than it
    will have, and axe would measure the fade instead of the page. (Polled from here:
    the pages' CSP forbids the eval that wait_for_function needs.)"""
    for _ in range(100):
        if page.evaluate("document.getAnimations().every(a => a.playState !== 'running')"):
            return
        page.wait_for_timeout(50)
    raise AssertionError("animations still running after 5 s")


def save_screenshot(page: Page, path: str, full_page: bool = True) -> None:
    try:
        page.screenshot(path=path, full_page=full_page, timeout=10_000)
    except Error as error:  # a TimeoutError is one
        log.warning("no screenshot %s: %s", path, str(error).splitlines()[0])


def available_for_chat(page: Page, base: str, email: str, password: str) -> None:
    """A caseworker signs in on the Livechat page (/personale/chat) and becomes
    available for live chats handed over from the assistant."""
    page.goto(base + "/personale/chat")
    page.get_by_label("E-mailadresse").fill(email)
    page.get_by_label("Adgangskode").fill(password)
    page.get_by_label("Adgangskode").press("Enter")
    expect(page.get_by_role("heading", level=1, name="Livechat")).to_be_visible()
    page.get_by_role("button", name="Vær tilgængelig for chat").click()
    expect(page.get_by_text("Du er tilgængelig for chat:")).to_be_visible()
