"""The one-entrance intake in Chromium on a phone (360 × 740), by keyboard where a person
would type: every step, the receipt and the status page with a withdrawal are axe-clean
(WCAG 2.1 AA) and no wider than the phone."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from flask import Flask
from playwright.sync_api import Page

from portal.core.extensions import db
from tests.booking.own_db import booking_app
from tests.browser.conftest import ARTIFACTS, PHONE
from tests.browser.pages import assert_accessible, save_screenshot
from tests.conftest import served

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def web_app(tmp_path_factory) -> Iterator[Flask]:
    app = booking_app(tmp_path_factory, "intake_browser", INTAKE_RATE_LIMIT="")
    yield app
    with app.app_context():
        db.engine.dispose()


@pytest.fixture(scope="module")
def server(web_app) -> Iterator[str]:
    with served(web_app) as url:
        yield url


def check(page: Page, axe, name: str) -> None:
    page.wait_for_load_state("networkidle")
    ARTIFACTS.mkdir(exist_ok=True)
    save_screenshot(page, str(ARTIFACTS / f"intake-{name}.png"))
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"], name
    assert_accessible(page, axe, name)


def choose(page: Page, label: str) -> None:
    """Tick a radio or checkbox by keyboard: focus it, press space."""
    page.get_by_label(label, exact=True).focus()
    page.keyboard.press("Space")


def next_step(page: Page) -> None:
    page.get_by_role("button", name="Next").focus()
    page.keyboard.press("Enter")
    page.wait_for_load_state()


def test_the_whole_intake_on_a_phone(server, browser, axe):
    context = browser.new_context(viewport=PHONE)
    page = context.new_page()
    page.goto(f"{server}/en/one-entrance")
    check(page, axe, "start")
    page.get_by_role("link", name="Start").click()
    check(page, axe, "who")
    next_step(page)  # nothing chosen: the error summary
    check(page, axe, "who-error")
    choose(page, "The person who needs help")
    next_step(page)
    page.get_by_label("The municipality where the person who needs help lives").select_option(
        "egedal")
    check(page, axe, "municipality")
    next_step(page)
    choose(page, "Mental health")
    page.get_by_label("In your own words (optional if you chose above)").fill("I sleep badly.")
    check(page, axe, "situation")
    next_step(page)
    page.get_by_label("What would you like to be different? (optional)").fill("Sleep.")
    check(page, axe, "goals")
    next_step(page)
    choose(page, "Your own doctor")
    check(page, axe, "agencies")
    next_step(page)
    choose(page, "By e-mail")
    page.get_by_label("E-mail address (if by e-mail)").fill("borger@example.dk")
    check(page, axe, "contact")
    next_step(page)
    check(page, axe, "needs")
    next_step(page)
    choose(page, "Within a week")
    check(page, axe, "urgency")
    next_step(page)
    check(page, axe, "consent")
    choose(page, "Yes, I consent")
    next_step(page)
    check(page, axe, "review")
    page.get_by_role("button", name="Send the request").click()
    page.wait_for_load_state()
    check(page, axe, "receipt")
    assert page.locator(".intake-code").is_visible()
    assert page.get_by_role("button", name="Print").is_visible()
    page.get_by_role("link", name="Go to the status page").click()
    page.wait_for_load_state()
    check(page, axe, "status")
    page.get_by_role("button", name="Withdraw consent").first.click()
    page.wait_for_load_state()
    assert page.get_by_text("Your consent is withdrawn").is_visible()
    check(page, axe, "status-withdrawn")
    context.close()
