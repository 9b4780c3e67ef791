"""The citizen's booking pages in Chromium at phone size (360 × 740): axe-core finds no
WCAG 2.1 A/AA violation on any step, nothing is wider than the phone, and the whole way
is done through the controls a screen reader announces (roles, names and labels). The
pages use no JavaScript of their own (filters are links, every step a plain form:
tests/booking/test_web_*.py drive them without a browser); axe itself needs it.

Screenshots of each step go to test-artifacts/booking-*.png for a human look.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterator

import pytest
from flask import Flask
from playwright.sync_api import Page, expect
from sqlalchemy import delete

from portal.booking import service
from portal.booking.models import ScheduleException
from portal.catalogue import service as catalogue
from portal.core.extensions import db
from portal.core.models import utcnow
from tests.booking.own_db import ALCOHOL, booking_app
from tests.browser.conftest import ARTIFACTS, PHONE
from tests.browser.pages import assert_accessible, save_screenshot
from tests.conftest import served

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def web_app(tmp_path_factory) -> Iterator[Flask]:
    app = booking_app(tmp_path_factory, "web_browser")
    yield app
    with app.app_context():
        db.engine.dispose()


@pytest.fixture(scope="module")
def server(web_app) -> Iterator[str]:
    with served(web_app) as url:
        yield url


@pytest.fixture()
def phone(browser):
    context = browser.new_context(viewport=PHONE)
    yield context
    context.close()


def check(page: Page, axe, name: str) -> None:
    """No WCAG 2.1 AA violation, nothing wider than the phone; a screenshot."""
    page.wait_for_load_state("networkidle")
    ARTIFACTS.mkdir(exist_ok=True)
    save_screenshot(page, str(ARTIFACTS / f"booking-{name}.png"))
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"], name
    assert_accessible(page, axe, name)


@pytest.mark.parametrize("lang", ["da", "en"])
def test_book_move_and_cancel_on_a_phone(server, phone, axe, lang):
    words = {
        "da": {"book": "Se ledige tider og book", "evening": "Aften (fra kl. 17.00)",
               "alias": "Hvad skal behandleren kalde dig? (frivilligt)",
               "email": "E-mail til bookingen og en påmindelse (frivilligt)",
               "submit": "Book tiden", "booked": "Din tid er booket",
               "reference": "Referencenummer", "code": "Kode", "open": "Åbn bookingen",
               "move": "Flyt til en anden tid", "lunch": "Frokost (kl. 11.00–13.30)",
               "yes_move": "Ja, flyt tiden", "cancel": "Aflys tiden",
               "yes_cancel": "Ja, aflys tiden", "cancelled": "Aflyst",
               "offer": f"/tilbud/{ALCOHOL}", "manage": "/booking",
               "email_error": "Skriv e-mailadressen sådan her"},
        "en": {"book": "See free times and book", "evening": "Evening (from 17:00)",
               "alias": "What should the treater call you? (optional)",
               "email": "E-mail for the booking and a reminder (optional)",
               "submit": "Book the time", "booked": "Your time is booked",
               "reference": "Reference", "code": "Code", "open": "Open the booking",
               "move": "Move to another time", "lunch": "Lunch (11:00–13:30)",
               "yes_move": "Yes, move the time", "cancel": "Cancel the time",
               "yes_cancel": "Yes, cancel the time", "cancelled": "Cancelled",
               "offer": f"/en/offers/{ALCOHOL}", "manage": "/en/booking",
               "email_error": "Write the e-mail address like this"},
    }[lang]
    page = phone.new_page()
    page.set_default_timeout(10_000)
    page.goto(server + words["offer"])
    check(page, axe, f"offer-{lang}")
    page.get_by_role("link", name=words["book"]).click()
    check(page, axe, f"times-{lang}")

    page.get_by_role("link", name=words["evening"]).click()
    expect(page.get_by_role("link", name=words["evening"])).to_have_attribute(
        "aria-current", "true")
    check(page, axe, f"times-evening-{lang}")
    page.locator("a.slot-button").first.click()
    check(page, axe, f"form-{lang}")

    page.get_by_label(words["alias"]).fill("Kim")
    page.get_by_label(words["email"]).fill("kim@")
    page.get_by_role("button", name=words["submit"]).click()
    expect(page.locator("#f-email-error")).to_contain_text(words["email_error"])
    expect(page.get_by_label(words["alias"])).to_have_value("Kim")
    check(page, axe, f"form-errors-{lang}")
    page.get_by_label(words["email"]).fill("kim@example.dk")
    page.get_by_role("button", name=words["submit"]).click()

    expect(page.get_by_role("heading", level=1)).to_have_text(words["booked"])
    check(page, axe, f"confirmation-{lang}")
    code = page.locator(".booking-code").inner_text().split()[-1]
    reference = page.locator(".booking-reference").inner_text()
    assert re.fullmatch(r"[0-9A-Z]{4}(-[0-9A-Z]{4}){3}", code)

    # On another phone, with the reference and the code.
    other = phone.browser.new_context(viewport=PHONE).new_page()
    other.set_default_timeout(10_000)
    other.goto(server + words["manage"])
    check(other, axe, f"manage-{lang}")
    other.get_by_label(words["reference"]).fill(reference)
    other.get_by_label(words["code"]).fill("wrong")
    other.get_by_role("button", name=words["open"]).click()
    check(other, axe, f"manage-denied-{lang}")
    other.get_by_label(words["code"]).fill(code)
    other.get_by_role("button", name=words["open"]).click()
    check(other, axe, f"booking-{lang}")

    other.get_by_role("link", name=words["move"]).click()
    other.get_by_role("link", name=words["lunch"]).click()
    check(other, axe, f"move-{lang}")
    other.locator("a.slot-button").first.click()
    check(other, axe, f"move-confirm-{lang}")
    other.get_by_role("button", name=words["yes_move"]).click()
    expect(other.get_by_role("status")).to_be_visible()

    other.get_by_role("link", name=words["cancel"]).click()
    check(other, axe, f"cancel-{lang}")
    other.get_by_role("button", name=words["yes_cancel"]).click()
    expect(other.locator(".booking-summary")).to_contain_text(words["cancelled"])
    check(other, axe, f"cancelled-{lang}")
    other.context.close()


@pytest.mark.parametrize("lang", ["da", "en"])
def test_nothing_free_within_the_promise_ask_for_a_time(web_app, server, phone, axe, lang):
    words = {
        "da": {"book": f"/tilbud/{ALCOHOL}/book", "ask": "Bed om en tid",
               "phone": "Telefonnummer", "send": "Send anmodningen",
               "received": "Vi har modtaget din anmodning",
               "law": "Du har ret til at få tilbudt behandling senest 14 dage efter"},
        "en": {"book": f"/en/offers/{ALCOHOL}/book", "ask": "Ask for a time",
               "phone": "Phone number", "send": "Send the request",
               "received": "We have received your request",
               "law": "You have the right to be offered treatment no later than 14 days"},
    }[lang]
    with web_app.app_context():
        offer = catalogue.get_offer(ALCOHOL)
        start = utcnow() - dt.timedelta(days=1)
        for treater in {r.treater_id for r in service.rules_for(offer.id)}:
            db.session.add(ScheduleException(treater_id=treater, starts_at=start,
                                             ends_at=start + dt.timedelta(days=60),
                                             reason="test: away"))
        db.session.commit()
    try:
        page = phone.new_page()
        page.set_default_timeout(10_000)
        page.goto(server + words["book"])
        expect(page.locator("main")).to_contain_text(words["law"])
        check(page, axe, f"nothing-free-{lang}")
        page.get_by_role("link", name=words["ask"]).click()
        check(page, axe, f"request-{lang}")
        page.get_by_role("button", name=words["send"]).click()   # no way to answer: errors
        check(page, axe, f"request-errors-{lang}")
        page.get_by_label(words["phone"]).fill("20 30 40 50")
        page.get_by_role("button", name=words["send"]).click()
        expect(page.get_by_role("heading", level=1)).to_have_text(words["received"])
        check(page, axe, f"request-received-{lang}")
    finally:
        with web_app.app_context():
            db.session.execute(delete(ScheduleException).where(
                ScheduleException.reason == "test: away"))
            db.session.commit()
