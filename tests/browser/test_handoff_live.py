"""'Talk to a person' in Chromium: a citizen's chat widget on a phone (360 × 740) and a
caseworker's live chat page on a desktop, in two browser contexts.

The caseworker signs in and says they are available for chat. The citizen asks the
assistant for a person: the stub Rasa does what the action server does (it posts the
handoff to the portal's API with the conversation id the portal sent as `sender`, and
says the portal's message). The chat appears on the caseworker's page by itself; they
open it, and messages go both ways by keyboard, each within a second; the widget says
who the citizen writes with, on every page of the visit. The caseworker ends the chat:
Rasa is told to resume, and the widget says the assistant is back. axe-core finds
nothing on either side, and no page logs an error (a CSP violation would).
Screenshots: test-artifacts/handoff-*.png.
"""

from __future__ import annotations

import json
import urllib.request
from collections.abc import Iterator

import pytest
from flask import Flask
from playwright.sync_api import Page, expect

from portal.chat.rasa import RasaClient
from portal.core.extensions import db
from tests.booking.own_db import booking_app
from tests.browser.conftest import ARTIFACTS, PHONE
from tests.browser.pages import (
    assert_accessible,
    available_for_chat,
    save_screenshot,
    settled,
    watch_errors,
)
from tests.chat.stack import API_TOKEN, RASA_TOKEN, StubRasa
from tests.conftest import served
from tests.staff.helpers import PASSWORD, new_member

pytestmark = pytest.mark.browser
WITHIN_A_SECOND = 1000  # ms
DESKTOP = {"width": 1280, "height": 900}
ASK = "jeg vil gerne tale med et menneske"
_direct = urllib.request.build_opener(urllib.request.ProxyHandler({}))


@pytest.fixture(scope="module")
def portal(tmp_path_factory) -> Iterator[tuple[Flask, str, StubRasa]]:
    """The portal on a database of its own (threaded, as `make run` serves it), talking
    to a stub Rasa that hands the chat over as the action server would."""
    app = booking_app(tmp_path_factory, "handoff_browser")
    stub = StubRasa()

    def action_server(body: dict) -> None:
        if body.get("message") != ASK:
            stub.reply = []  # paused while the caseworker has the chat
            return
        request = urllib.request.Request(  # `base`: the served portal, set below
            base + "/api/v1/handoffs", method="POST",
            data=json.dumps({"conversation_id": body["sender"], "lang": "da",
                             "municipality": "egedal", "situations": ["housing"],
                             "summary": "Situationer: bolig.", "transcript": None,
                             "transcript_consent_id": None, "contact": None}).encode(),
            headers={"Content-Type": "application/json",
                     "Authorization": f"Bearer {API_TOKEN}"})
        with _direct.open(request, timeout=10) as response:
            made = json.loads(response.read())
        stub.reply = [{"text": made["message"]}]

    stub.on_message = action_server
    app.extensions["chat_bot"] = RasaClient(stub.url, timeout=5, token=RASA_TOKEN)
    with served(app) as base:
        yield app, base, stub
    stub.close()
    with app.app_context():
        db.engine.dispose()


def check(page: Page, axe, name: str, width: int | None = None) -> None:
    settled(page)
    ARTIFACTS.mkdir(exist_ok=True)
    save_screenshot(page, str(ARTIFACTS / f"handoff-{name}.png"))
    if width:
        assert page.evaluate("document.documentElement.scrollWidth") <= width, name
    assert_accessible(page, axe, name)


def test_a_citizen_talks_with_a_caseworker_in_the_widget_and_gets_the_assistant_back(
        portal, browser, axe):
    app, base, stub = portal
    _member_id, email = new_member(app, roles=("caseworker",), unit="egedal-css")
    desk = browser.new_context(viewport=DESKTOP)
    phone = browser.new_context(viewport=PHONE)
    try:
        worker, citizen = desk.new_page(), phone.new_page()
        worker_errors, citizen_errors = watch_errors(worker), watch_errors(citizen)

        # The caseworker signs in to the live chat page and becomes available.
        available_for_chat(worker, base, email, PASSWORD)
        expect(worker.get_by_text("Ingen livechats lige nu.")).to_be_visible()
        check(worker, axe, "caseworker-available")

        # The citizen, on a phone, asks the assistant for a person.
        citizen.goto(base + "/")
        citizen.locator("button.chat-launcher").click()
        chat_input = citizen.locator("#chat-input")
        expect(chat_input).to_be_focused()
        citizen.keyboard.type(ASK)
        citizen.keyboard.press("Enter")
        log = citizen.get_by_role("log")
        expect(log).to_contain_text("En sagsbehandler fra Center for Social Service, Egedal "
                                    "(demo) kommer ind i chatten nu.")
        with_line = citizen.locator("[data-chat-with]")
        expect(with_line).to_have_text(
            f"Du skriver nu med Test {email}, Center for Social Service, Egedal (demo).")
        expect(log).to_contain_text(f"Du skriver nu med Test {email}")
        check(citizen, axe, "citizen-live", PHONE["width"])

        # To another page and back into the chat: still live with the caseworker.
        citizen.goto(base + "/soeg")
        citizen.locator("button.chat-launcher").click()
        expect(with_line).to_be_visible()
        expect(log).to_contain_text(f"Du skriver nu med Test {email}")

        # The chat appears on the caseworker's page by itself; they open it.
        chat_link = worker.locator("[data-chat-list] a").first
        expect(chat_link).to_be_visible(timeout=5000)
        expect(worker.locator("[data-chat-list]")).to_contain_text("Venter på dig")
        assert worker.title().startswith("(1) venter")
        check(worker, axe, "caseworker-chat-waiting")
        chat_link.click()
        expect(worker.get_by_role("heading", level=1, name="Livechat")).to_be_visible()
        expect(worker.get_by_text("Situationer: bolig.")).to_be_visible()

        # Both ways, by keyboard, each within a second.
        chat_input.focus()
        citizen.keyboard.type("Hej, jeg mangler en bolig")
        citizen.keyboard.press("Enter")
        expect(worker.get_by_role("log").get_by_text("Hej, jeg mangler en bolig")
               ).to_be_visible(timeout=WITHIN_A_SECOND)
        assert stub.received[-1]["message"] == "Hej, jeg mangler en bolig"  # Rasa still hears

        answer = worker.get_by_label("Besked til borgeren")
        answer.focus()
        worker.keyboard.type("Hej, det kan vi tale om. Hvor bor du nu?")
        worker.keyboard.press("Enter")
        expect(log.get_by_text("Hej, det kan vi tale om. Hvor bor du nu?")).to_be_visible(
            timeout=WITHIN_A_SECOND)
        expect(log.locator(".chat-message--staff .sr-only").last).to_have_text(
            f"Test {email} skrev:")
        check(worker, axe, "caseworker-chat")
        check(citizen, axe, "citizen-answered", PHONE["width"])

        # The caseworker ends the chat: the assistant is back in the widget.
        worker.get_by_role("button", name="Afslut chatten").click()
        expect(worker.get_by_text("Chatten er afsluttet.")).to_be_visible()
        expect(log).to_contain_text("Sagsbehandleren har afsluttet chatten. Assistenten er "
                                    "tilbage", timeout=3000)
        expect(with_line).to_be_hidden()
        assert [e[0] for _c, e, _t in stub.events] == [{"event": "resume"}]
        check(citizen, axe, "citizen-back", PHONE["width"])
        check(worker, axe, "caseworker-ended")
        assert worker_errors == [] and citizen_errors == []
    finally:
        desk.close()
        phone.close()
