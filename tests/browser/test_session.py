"""A whole chat session in Chromium: the treater and the citizen in two browser contexts
at phone size (360 × 740). The treater signs in and opens the session from the day
list; the citizen opens it with the code; they write to each other with the keyboard
only, and each message reaches the other side within a second (server-sent events).
axe-core finds no WCAG 2.1 A/AA violation on any page of the way, nothing is wider than
the phone, and no page logs an error (a CSP violation would). Then the same without
JavaScript: the form sends, the link shows new messages.

Screenshots go to test-artifacts/session-*.png for a human look.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator

import pytest
from flask import Flask
from playwright.sync_api import Page, expect

from portal.core.extensions import db
from portal.core.models import utcnow
from tests.booking.own_db import booking_app
from tests.browser.conftest import ARTIFACTS, PHONE
from tests.browser.pages import assert_accessible, save_screenshot, watch_errors
from tests.conftest import served
from tests.staff.helpers import PASSWORD, make_booking, new_member

pytestmark = pytest.mark.browser
WITHIN_A_SECOND = 1000  # ms: "a message reaches the other side within a second"


@pytest.fixture(scope="module")
def portal(tmp_path_factory) -> Iterator[tuple[Flask, str]]:
    """The portal on a database of its own, served by the threaded development server
    (as `make run` serves it: each stream has its own thread)."""
    app = booking_app(tmp_path_factory, "session_browser")
    with served(app) as url:
        yield app, url
    with app.app_context():
        db.engine.dispose()


def check(page: Page, axe, name: str) -> None:
    """No WCAG 2.1 AA violation, nothing wider than the phone; a screenshot."""
    ARTIFACTS.mkdir(exist_ok=True)
    save_screenshot(page, str(ARTIFACTS / f"session-{name}.png"))
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"], name
    assert_accessible(page, axe, name)


def sign_in(page: Page, base: str, email: str, axe) -> None:
    page.goto(base + "/personale/dag")
    expect(page).to_have_url(base + "/personale/log-ind?next=/personale/dag")
    check(page, axe, "sign-in")
    page.get_by_label("E-mailadresse").fill(email)
    page.get_by_label("Adgangskode").fill(PASSWORD)
    page.get_by_label("Adgangskode").press("Enter")
    expect(page).to_have_url(base + "/personale/dag")


def focused_id(page: Page) -> str:
    return page.evaluate("document.activeElement && document.activeElement.id")


def test_a_whole_chat_session_between_citizen_and_treater(portal, browser, axe):
    app, base = portal
    treater_id, email = new_member(app)
    reference, code, _room = make_booking(app, treater_id, alias="Kim")
    later, later_code, _ = make_booking(app, treater_id, utcnow() + dt.timedelta(hours=3),
                                     alias="Lin")
    treater_context = browser.new_context(viewport=PHONE)
    citizen_context = browser.new_context(viewport=PHONE)
    try:
        treater, citizen = treater_context.new_page(), citizen_context.new_page()
        errors = watch_errors(treater) + watch_errors(citizen)
        treater_errors, citizen_errors = watch_errors(treater), watch_errors(citizen)

        # The treater signs in and finds the session in the day list.
        sign_in(treater, base, email, axe)
        expect(treater.get_by_text("Kim", exact=True)).to_be_visible()
        check(treater, axe, "treater-day")
        treater.get_by_role("link", name="Åbn samtalen").first.click()
        expect(treater.get_by_role("heading", level=1, name="Samtale")).to_be_visible()
        expect(treater.get_by_role("log")).to_have_attribute("aria-live", "polite")
        check(treater, axe, "treater-session")

        # The citizen opens the session with the code (typed as people type it).
        citizen.goto(base + f"/samtale/{reference}")
        check(citizen, axe, "citizen-code")
        citizen.get_by_label("Kode").fill(code.lower().replace("-", " "))
        citizen.get_by_label("Kode").press("Enter")
        expect(citizen.get_by_role("heading", level=2, name="Chat")).to_be_visible()
        check(citizen, axe, "citizen-chat")

        # The citizen writes with the keyboard: Tab to the box, type, Enter sends.
        box = citizen.get_by_label("Besked til din behandler")
        box.focus()
        citizen.keyboard.type("Hej, er du der?")
        citizen.keyboard.press("Enter")
        expect(treater.get_by_role("log").get_by_text("Hej, er du der?")).to_be_visible(
            timeout=WITHIN_A_SECOND)
        expect(box).to_have_value("")
        assert focused_id(citizen) == "live-input"  # ready for the next message
        expect(citizen.get_by_role("log").get_by_text("Hej, er du der?")).to_be_visible()

        # The treater answers; Shift+Enter makes a new line in the same message.
        answer = treater.get_by_label("Besked til borgeren")
        answer.focus()
        treater.keyboard.type("Ja, velkommen Kim.")
        treater.keyboard.press("Shift+Enter")
        treater.keyboard.type("Hvordan går det?")
        treater.keyboard.press("Enter")
        expect(citizen.get_by_role("log").get_by_text("Hvordan går det?")).to_be_visible(
            timeout=WITHIN_A_SECOND)
        reply = citizen.locator(".live-message.is-theirs .live-body").last
        assert reply.inner_text() == "Ja, velkommen Kim.\nHvordan går det?"
        expect(citizen.locator(".live-message.is-theirs .live-who").last).to_have_text(
            "Behandler")
        expect(treater.locator(".live-message.is-theirs .live-who").last).to_have_text("Kim")

        # Several messages back and forth, each within a second.
        for i in range(3):
            citizen.get_by_label("Besked til din behandler").fill(f"Besked {i} fra borgeren")
            citizen.keyboard.press("Enter")
            expect(treater.get_by_role("log").get_by_text(f"Besked {i} fra borgeren")
                   ).to_be_visible(timeout=WITHIN_A_SECOND)
            treater.get_by_label("Besked til borgeren").fill(f"Svar {i} fra behandleren")
            treater.keyboard.press("Enter")
            expect(citizen.get_by_role("log").get_by_text(f"Svar {i} fra behandleren")
                   ).to_be_visible(timeout=WITHIN_A_SECOND)

        # An empty message: a message at the box, nothing sent.
        citizen.get_by_label("Besked til din behandler").focus()
        citizen.keyboard.press("Enter")
        expect(citizen.get_by_text("Skriv en besked først.")).to_be_visible()
        assert "live-error" in citizen.get_by_label("Besked til din behandler").get_attribute(
            "aria-describedby")
        check(citizen, axe, "citizen-chat-error")

        # The log is reachable with the keyboard (it scrolls on a phone).
        assert citizen.get_by_role("log").get_attribute("tabindex") == "0"
        check(citizen, axe, "citizen-chat-conversation")
        check(treater, axe, "treater-chat-conversation")

        # The treater ends the session: the citizen's chat says so, and stops.
        treater.get_by_role("button", name="Markér: Mødt").click()
        expect(treater.get_by_text("er markeret som mødt")).to_be_visible()
        expect(citizen.get_by_text("Samtalen er slut. Du kan ikke skrive mere her.")
               ).to_be_visible(timeout=WITHIN_A_SECOND * 3)
        expect(citizen.get_by_label("Besked til din behandler")).to_be_disabled()

        # The other staff pages, and a session before its time.
        for path, name in [("/personale/skema", "treater-schedule"),
                           ("/personale/anmodninger", "treater-requests"),
                           ("/personale", "treater-account")]:
            treater.goto(base + path)
            check(treater, axe, name)
        citizen.goto(base + f"/samtale/{later}")
        citizen.get_by_label("Kode").fill(later_code)
        citizen.get_by_role("button", name="Åbn samtalen").click()
        expect(citizen.get_by_text("Chatten åbner 10 minutter før")).to_be_visible()
        check(citizen, axe, "citizen-early")
        assert errors == [] and treater_errors == [] and citizen_errors == []
    finally:
        treater_context.close()
        citizen_context.close()


def test_the_chat_without_javascript(portal, browser, axe):
    app, base = portal
    treater_id, email = new_member(app)
    reference, code, _room = make_booking(app, treater_id, alias="Sol")
    treater_context = browser.new_context(viewport=PHONE)
    citizen_context = browser.new_context(viewport=PHONE, java_script_enabled=False)
    try:
        treater, citizen = treater_context.new_page(), citizen_context.new_page()
        sign_in(treater, base, email, axe)
        treater.goto(base + f"/en/staff/session/{reference}")
        citizen.goto(base + f"/en/session/{reference}")
        citizen.get_by_label("Code").fill(code)
        citizen.get_by_role("button", name="Open the session").click()
        expect(citizen.get_by_label("Message to your treater")).to_be_visible()
        citizen.get_by_label("Message to your treater").fill("Sent by a plain form")
        citizen.get_by_role("button", name="Send").click()
        expect(citizen.get_by_role("log").get_by_text("Sent by a plain form")).to_be_visible()
        expect(treater.get_by_role("log").get_by_text("Sent by a plain form")).to_be_visible(
            timeout=WITHIN_A_SECOND)
        treater.get_by_label("Message to the citizen").fill("And the answer")
        treater.keyboard.press("Enter")
        expect(citizen.get_by_role("log").get_by_text("And the answer")).to_have_count(0)
        citizen.get_by_role("link", name="Show new messages").click()
        expect(citizen.get_by_role("log").get_by_text("And the answer")).to_be_visible()
        # An empty message: the page says so, after the round trip.
        citizen.get_by_role("button", name="Send").click()
        expect(citizen.get_by_text("Write a message first.")).to_be_visible()
        # (axe-core needs JavaScript to run: the same markup is checked with it above.)
        save_screenshot(citizen, str(ARTIFACTS / "session-citizen-chat-no-js.png"))
        assert citizen.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    finally:
        treater_context.close()
        citizen_context.close()
