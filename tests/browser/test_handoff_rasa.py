"""'Talk to a person' in Chromium through the REAL assistant (Rasa and its action server
from bot/, fixture `with_rasa`): no stub anywhere between the widget and the caseworker.

A caseworker of Egedal's CSS team signs in on a desktop and says they are available on
the live chat page. A citizen on a phone opens the chat widget, writes "jeg vil gerne
tale med et menneske", chooses Egedal when the assistant asks for the municipality, and
answers its questions (may the conversation be sent along, how to be contacted). The
action server posts the handoff to this portal's API with its token (PORTAL_API_TOKEN,
tests/chat/stack.py), a caseworker is available, so the chat goes live: the widget says
who the citizen writes with, messages go both ways within a second, the caseworker ends
the chat, the widget says the assistant is back and the assistant answers the next
message. axe-core finds nothing on either side; no page logs an error.
Screenshots: test-artifacts/handoff-rasa-*.png.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest
from flask import Flask
from playwright.sync_api import Page, expect

from tests.browser.conftest import ARTIFACTS, PHONE
from tests.browser.pages import (
    assert_accessible,
    available_for_chat,
    save_screenshot,
    settled,
    watch_errors,
)

pytestmark = [pytest.mark.browser, pytest.mark.rasa]
WITHIN_A_SECOND = 1000  # ms
ASSISTANT = 90_000  # ms: the real assistant on two shared cores
DESKTOP = {"width": 1280, "height": 900}
EMAIL, NAME, PASSWORD = "live.browser@test.invalid", "Sara Browser", "a-long-test-password"
TEAM = "Center for Social Service, Egedal (demo)"


@pytest.fixture()
def egedal_caseworker(app: Flask) -> Iterator[str]:
    """A caseworker of Egedal's CSS team in the shared app (the team made if an earlier
    test left none); afterwards none of it, nor the intakes, e-mails, live chats and
    rooms made meanwhile."""
    from sqlalchemy import delete, func, select

    from portal.chat.models import Availability, Handoff
    from portal.core.extensions import db
    from portal.intake.models import Intake
    from portal.livechat.models import Room, RoomMessage
    from portal.outbox.models import OutboxMessage
    from portal.staff import service as staff
    from portal.staff.models import StaffMember, Unit

    with app.app_context():
        last = {model: db.session.scalar(select(func.max(model.id))) or 0
                for model in (Intake, OutboxMessage, Room)}
        unit = staff.get_unit("egedal-css")
        made_unit = unit is None
        if made_unit:
            unit = Unit(slug="egedal-css", kind="team", municipality="egedal", name=TEAM)
            db.session.add(unit)
            db.session.flush()
        staff.create_member(EMAIL, NAME, PASSWORD, ["caseworker"], [unit])
        db.session.commit()
    try:
        yield EMAIL
    finally:
        with app.app_context():
            new_rooms = select(Room.id).where(Room.id > last[Room])
            db.session.execute(delete(Handoff).where(Handoff.room_id.in_(new_rooms)))
            db.session.execute(delete(RoomMessage).where(RoomMessage.room_id.in_(new_rooms)))
            for intake in db.session.scalars(select(Intake).where(Intake.id > last[Intake])):
                db.session.delete(intake)
            db.session.flush()
            member = db.session.scalar(select(StaffMember).where(StaffMember.email == EMAIL))
            db.session.execute(delete(Availability).where(Availability.staff_id == member.id))
            db.session.execute(delete(Room).where(Room.id > last[Room]))
            db.session.execute(delete(OutboxMessage).where(
                OutboxMessage.id > last[OutboxMessage]))
            db.session.delete(member)
            db.session.flush()
            if made_unit:
                db.session.execute(delete(Unit).where(Unit.slug == "egedal-css"))
            db.session.commit()


def check(page: Page, axe, name: str, width: int | None = None) -> None:
    settled(page)
    ARTIFACTS.mkdir(exist_ok=True)
    save_screenshot(page, str(ARTIFACTS / f"handoff-rasa-{name}.png"))
    if width:
        assert page.evaluate("document.documentElement.scrollWidth") <= width, name
    assert_accessible(page, axe, name)


def choose(log, name: str | re.Pattern) -> None:
    """Click the assistant's newest reply button called `name` (the form's buttons)."""
    button = log.locator("button.chat-reply:not([disabled])", has_text=name).last
    expect(button).to_be_visible(timeout=ASSISTANT)
    button.click()


def test_a_citizen_is_put_through_the_real_assistant_to_a_caseworker_and_back(
        app, live_server, with_rasa, egedal_caseworker, browser, axe):
    desk = browser.new_context(viewport=DESKTOP)
    phone = browser.new_context(viewport=PHONE, device_scale_factor=1)
    try:
        worker, citizen = desk.new_page(), phone.new_page()
        worker_errors, citizen_errors = watch_errors(worker), watch_errors(citizen)

        # The caseworker signs in to the live chat page and becomes available.
        available_for_chat(worker, live_server, egedal_caseworker, PASSWORD)
        check(worker, axe, "caseworker-available")

        # The citizen, on a phone, with no municipality chosen, asks for a person.
        citizen.goto(live_server + "/")
        citizen.locator("button.chat-launcher").click()
        chat_input = citizen.locator("#chat-input")
        expect(chat_input).to_be_focused()
        citizen.keyboard.type("jeg vil gerne tale med et menneske")
        citizen.keyboard.press("Enter")
        log = citizen.get_by_role("log")
        choose(log, "Egedal")
        # May the conversation be sent along? The consent text as the portal has it.
        expect(log).to_contain_text("Hvis du siger nej:", timeout=ASSISTANT)
        check(citizen, axe, "citizen-consent", PHONE["width"])
        choose(log, re.compile(r"^\s*Ja"))
        # How to be contacted: the citizen will follow it on the status page.
        choose(log, re.compile("status", re.IGNORECASE))

        # Put through live: the widget says who the citizen writes with.
        expect(log).to_contain_text(f"{TEAM} kommer ind i chatten nu", timeout=ASSISTANT)
        with_line = citizen.locator("[data-chat-with]")
        expect(with_line).to_have_text(f"Du skriver nu med {NAME}, {TEAM}.")
        expect(log).to_contain_text(re.compile(r"referencenummer er \S+\."))
        check(citizen, axe, "citizen-live", PHONE["width"])

        # The chat appears on the caseworker's page by itself; they open it.
        chat_link = worker.locator("[data-chat-list] a").first
        expect(chat_link).to_be_visible(timeout=5000)
        check(worker, axe, "caseworker-waiting")
        chat_link.click()
        expect(worker.get_by_role("heading", level=1, name="Livechat")).to_be_visible()
        expect(worker.get_by_text("Spurgt om: at tale med et menneske")).to_be_visible()
        # The conversation was sent along with consent: on the intake's page.
        intake_link = worker.get_by_role("link", name=re.compile("^Åbn henvendelsen"))
        intake_page = desk.new_page()
        intake_errors = watch_errors(intake_page)
        intake_page.goto(live_server + intake_link.get_attribute("href"))
        expect(intake_page.get_by_text("jeg vil gerne tale med et menneske").first
               ).to_be_visible()
        check(intake_page, axe, "caseworker-intake")
        intake_page.close()

        # Both ways, by keyboard, each within a second.
        chat_input.focus()
        citizen.keyboard.type("Hej, er der nogen?")
        citizen.keyboard.press("Enter")
        expect(worker.get_by_role("log").get_by_text("Hej, er der nogen?")
               ).to_be_visible(timeout=WITHIN_A_SECOND)
        answer = worker.get_by_label("Besked til borgeren")
        answer.focus()
        worker.keyboard.type("Hej, jeg hedder Sara. Hvad kan jeg hjælpe med?")
        worker.keyboard.press("Enter")
        expect(log.get_by_text("Hej, jeg hedder Sara. Hvad kan jeg hjælpe med?")
               ).to_be_visible(timeout=WITHIN_A_SECOND)
        expect(log.locator(".chat-message--staff .sr-only").last).to_have_text(
            f"{NAME} skrev:")
        check(worker, axe, "caseworker-chat")
        check(citizen, axe, "citizen-answered", PHONE["width"])

        # The caseworker ends the chat: the assistant is back, and answers.
        worker.get_by_role("button", name="Afslut chatten").click()
        expect(worker.get_by_text("Chatten er afsluttet.")).to_be_visible()
        expect(log).to_contain_text("Sagsbehandleren har afsluttet chatten. Assistenten er "
                                    "tilbage", timeout=3000)
        expect(with_line).to_be_hidden()
        check(worker, axe, "caseworker-ended")
        answers = log.locator(".chat-message--bot")
        before = answers.count()
        chat_input.focus()
        citizen.keyboard.type("min søn ryger hash")
        citizen.keyboard.press("Enter")
        # the assistant's own answer (it still knows the municipality), not the caseworker
        expect(answers.nth(before)).to_contain_text("Egedal", timeout=ASSISTANT)
        expect(with_line).to_be_hidden()
        check(citizen, axe, "citizen-back", PHONE["width"])
        assert worker_errors == [] and citizen_errors == [] and intake_errors == []
    finally:
        desk.close()
        phone.close()
