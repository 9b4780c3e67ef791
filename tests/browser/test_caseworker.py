"""The caseworker's way in Chromium at phone size, keyboard only: sign in as a demo
caseworker, the inbox (an overdue intake marked in words), the handoff page, accept,
log a contact (the overdue mark goes). axe-core finds no WCAG 2.1 A/AA violation on
any page, nothing is wider than the phone.

Screenshots go to test-artifacts/caseworker-*.png for a human look.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator

import pytest
from flask import Flask
from playwright.sync_api import Page, expect

from portal import demo
from portal.core.extensions import db
from portal.core.models import utcnow
from tests.booking.own_db import booking_app
from tests.browser.conftest import ARTIFACTS, PHONE
from tests.browser.pages import assert_accessible, save_screenshot
from tests.caseworker.helpers import STORY, make_intake
from tests.conftest import served

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def portal(tmp_path_factory) -> Iterator[tuple[Flask, str]]:
    app = booking_app(tmp_path_factory, "caseworker_browser")
    with served(app) as url:
        yield app, url
    with app.app_context():
        db.engine.dispose()


def check(page: Page, axe, name: str) -> None:
    ARTIFACTS.mkdir(exist_ok=True)
    save_screenshot(page, str(ARTIFACTS / f"caseworker-{name}.png"))
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"], name
    assert_accessible(page, axe, name)


def press(page: Page, locator) -> None:
    """Keyboard only: focus the link or button, then Enter."""
    locator.focus()
    page.keyboard.press("Enter")


def test_inbox_handoff_page_accept_and_log_a_contact(portal, browser, axe):
    app, base = portal
    reference = make_intake(app, municipality="egedal", situations=("mental-health",),
                            now=utcnow() - dt.timedelta(days=7), urgency="this-week")
    context = browser.new_context(viewport=PHONE)
    try:
        page = context.new_page()
        errors: list[str] = []
        page.on("pageerror", lambda e: errors.append(str(e)))

        page.goto(base + "/personale/henvendelser")
        expect(page).to_have_url(base + "/personale/log-ind?next=/personale/henvendelser")
        page.get_by_label("E-mailadresse").focus()
        page.keyboard.type("css.egedal@demo.invalid")
        page.keyboard.press("Tab")
        page.keyboard.type(demo.PASSWORD)
        page.keyboard.press("Enter")
        expect(page).to_have_url(base + "/personale/henvendelser")
        expect(page.get_by_role("heading", level=1)).to_contain_text("Henvendelser")
        expect(page.get_by_text("FORSINKET").first).to_be_visible()
        check(page, axe, "inbox")

        press(page, page.get_by_role("link", name=f"Henvendelse {reference}"))
        expect(page.get_by_role("heading", level=1)).to_contain_text(reference)
        expect(page.get_by_text(STORY)).to_be_visible()
        check(page, axe, "handoff-page")

        press(page, page.get_by_role("button", name="Modtag: bliv koordinerende sagsbehandler"))
        expect(page.get_by_text(f"Du er nu koordinerende sagsbehandler for {reference}.")) \
            .to_be_visible()
        expect(page.get_by_role("heading", name="Hvem har set denne henvendelse")).to_be_visible()
        check(page, axe, "accepted")

        # An error first (no method chosen), then the contact.
        press(page, page.get_by_role("button", name="Notér kontakten"))
        expect(page.get_by_role("alert")).to_contain_text("Vælg, hvordan I var i kontakt.")
        check(page, axe, "contact-error")
        page.get_by_role("radio", name="Telefon").focus()
        page.keyboard.press("Space")
        page.keyboard.press("Tab")  # the note
        page.keyboard.type("Ringede og aftalte et møde")
        press(page, page.get_by_role("button", name="Notér kontakten"))
        expect(page.get_by_text("Kontakten er noteret.")).to_be_visible()
        expect(page.get_by_text("FORSINKET")).to_have_count(0)
        expect(page.get_by_text("Ringede og aftalte et møde")).to_be_visible()
        check(page, axe, "contact-logged")
        assert errors == []
    finally:
        context.close()
