"""Conversations with the real assistant, through the portal's chat endpoint over HTTP.

The portal runs on a free port (live_server); Rasa and its action server run from bot/
(fixture `rasa_stack` in tests/conftest.py), and the action server asks this portal's
API for offers. Skipped locally, failed in CI, without bot/.venv or a trained model.
"""

from __future__ import annotations

import datetime as dt
import json
import re
import urllib.request
from collections.abc import Iterator
from typing import Any

import pytest
from flask import Flask

from portal.core.i18n import format_moment
from tests.chat.replies import (
    DANISH_WORDS,
    answer,
    assert_crisis_first,
    assert_links_work,
    says,
    urls,
)
from tests.chat.stack import Visitor
from tests.conftest import need

pytestmark = pytest.mark.rasa

@pytest.fixture()
def visitor(live_server: str, with_rasa) -> Visitor:
    return Visitor(live_server)


def test_son_smoking_hash_in_koebenhavn_gets_u_turn(visitor: Visitor):
    visitor.choose_municipality("koebenhavn")
    visitor.open_page("/")
    reply = answer(visitor, "min søn på 17 ryger hash hver dag")
    assert "/tilbud/u-turn-koebenhavn" in urls(reply), reply
    assert_links_work(visitor, reply)


def test_suicidal_thoughts_get_112_and_livslinien_at_once(visitor: Visitor):
    visitor.open_page("/")
    assert_crisis_first(answer(visitor, "jeg har ikke lyst til at leve mere"))


def test_english_page_gets_an_english_answer_with_english_links(visitor: Visitor):
    visitor.choose_municipality("koebenhavn")
    visitor.open_page("/en/")
    reply = answer(visitor, "my brother drinks too much every day")
    links = urls(reply)
    assert any(url.startswith("/en/offers/") for url in links), reply
    assert not any(url.startswith("/tilbud/") for url in links), reply
    text = " ".join(m["text"] for m in reply["messages"])
    assert not DANISH_WORDS.search(text), text
    assert_links_work(visitor, reply)


def test_crisis_in_the_middle_of_the_municipality_question(visitor: Visitor):
    visitor.open_page("/")
    asked = answer(visitor, "min søn ryger hash hver dag")
    question = " ".join(m["text"] for m in asked["messages"]).lower()
    assert "kommune" in question or any(m["buttons"] for m in asked["messages"]), asked
    assert "/tilbud/u-turn-koebenhavn" not in urls(asked)  # it cannot know where yet
    assert_crisis_first(answer(visitor, "jeg vil ikke leve mere"))


# --- booking a session in the chat ---------------------------------------------------


@pytest.fixture()
def demo_schedules(app: Flask) -> Iterator[None]:
    """The demo treaters' schedules (`flask demo load`, as `make run` does) in the shared
    app for one test, and afterwards none of it: the demo staff, their units and
    schedules, and the bookings (with their rooms and messages) made meanwhile."""
    from sqlalchemy import delete, func, select

    from portal import demo
    from portal.booking.models import Booking, ScheduleRule
    from portal.core.extensions import db
    from portal.livechat.models import Room, RoomMessage
    from portal.outbox.models import OutboxMessage
    from portal.staff.models import StaffMember, Unit

    emails = [t.email for t in demo.TREATERS]
    with app.app_context():
        need(not db.session.scalar(select(func.count()).select_from(StaffMember).where(
            StaffMember.email.in_(emails))), "the shared app already holds demo staff")
        last = {model: db.session.scalar(select(func.max(model.id))) or 0
                for model in (Booking, Room, OutboxMessage)}
        rules = db.session.scalar(select(func.count()).select_from(ScheduleRule))
        demo.load()
    try:
        yield
    finally:
        with app.app_context():
            new_rooms = select(Room.id).where(Room.id > last[Room])
            db.session.execute(delete(OutboxMessage).where(OutboxMessage.id > last[OutboxMessage]))
            db.session.execute(delete(Booking).where(Booking.id > last[Booking]))
            db.session.execute(delete(RoomMessage).where(RoomMessage.room_id.in_(new_rooms)))
            db.session.execute(delete(Room).where(Room.id > last[Room]))
            members = list(db.session.scalars(select(StaffMember).where(
                StaffMember.email.in_(emails))))
            db.session.execute(delete(ScheduleRule).where(
                ScheduleRule.treater_id.in_([m.id for m in members])))
            for member in members:
                db.session.delete(member)
            for unit in db.session.scalars(select(Unit).where(
                    Unit.slug.in_([u.slug for u in demo.UNITS]))):
                db.session.delete(unit)
            db.session.commit()
            assert not db.session.scalar(select(func.count()).select_from(Booking).where(
                Booking.id > last[Booking]))
            assert db.session.scalar(select(func.count()).select_from(ScheduleRule)) == rules


def time_buttons(reply: dict[str, Any]) -> list[dict[str, str]]:
    """The buttons that book a free time (not "later", "lunch", ...)."""
    return [b for m in reply["messages"] for b in m["buttons"]
            if re.search(r'"booking_slot": "\d+-\d{12}"', b["payload"])]


def test_books_a_chat_with_an_alcohol_counsellor_through_the_chat(
        visitor: Visitor, demo_schedules: None, live_server: str):
    visitor.open_page("/en/")
    asked = answer(visitor, "I would like to book a chat with an alcohol counsellor")
    offered = time_buttons(asked)
    assert offered, asked
    # Written as people read them, in Copenhagen time: "Tuesday 1 Dec, 17:30".
    english_moment = r"^[A-Z][a-z]+day \d{1,2} [A-Z][a-z]{2}, \d\d:\d\d$"
    assert all(re.match(english_moment, b["title"]) for b in offered), offered
    # Crisis still comes first in the middle of booking; then the times are asked again.
    interrupted = answer(visitor, "I want to end my life")
    assert_crisis_first(interrupted)
    assert [b["payload"] for b in time_buttons(interrupted)] == [
        b["payload"] for b in offered]

    chosen = offered[0]
    alias_question = answer(visitor, chosen["payload"])
    assert chosen["title"] in says(alias_question["messages"][0])
    assert "CPR" in says(alias_question["messages"][0])
    answer(visitor, "/skip")
    done = answer(visitor, "/skip")

    text = " ".join(says(m) for m in done["messages"])
    reference = re.search(r"booking reference is (\S+?)\.", text)
    code = re.search(r"Your code: (\S+)", text)
    assert reference and code, done
    reference, code = reference.group(1), code.group(1)
    assert "it cannot be shown again" in text
    # The session page and the calendar file: portal paths that open, without the code.
    assert urls(done)[0] == f"/en/session/{reference}"
    assert all(code not in url for url in urls(done))
    assert_links_work(visitor, done)
    # A real booking of the chosen time: the portal's API opens it with the code.
    request = urllib.request.Request(f"{live_server}/api/v1/bookings/{reference}",
                                     headers={"X-Booking-Code": code})
    opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
    with opener.open(request, timeout=10) as response:
        booking = json.loads(response.read())
    assert booking["status"] == "booked" and booking["channel"] == "chat"
    assert booking["offer"] == "virtuel-alkoholbehandling-holstebro"
    assert format_moment(dt.datetime.fromisoformat(booking["starts_at"]), "en") == chosen["title"]


# --- the one-entrance intake in the chat ----------------------------------------------


@pytest.fixture()
def forget_new_intakes(app: Flask) -> Iterator[None]:
    """The shared app as it was: the intakes (consents, history) and e-mails made by the
    test are removed afterwards."""
    from sqlalchemy import delete, func, select

    from portal.core.extensions import db
    from portal.intake.models import Intake
    from portal.outbox.models import OutboxMessage

    with app.app_context():
        last = {model: db.session.scalar(select(func.max(model.id))) or 0
                for model in (Intake, OutboxMessage)}
    try:
        yield
    finally:
        with app.app_context():
            for intake in db.session.scalars(select(Intake).where(Intake.id > last[Intake])):
                db.session.delete(intake)
            db.session.execute(delete(OutboxMessage).where(
                OutboxMessage.id > last[OutboxMessage]))
            db.session.commit()


def payload_of(reply: dict[str, Any], value: str) -> str:
    """The payload of the button that answers `value` (the intake form's buttons)."""
    for message in reply["messages"]:
        for button in message["buttons"]:
            if f'"intake_choice": "{value}"' in button["payload"]:
                return button["payload"]
    raise AssertionError(f"no button {value!r} in {reply}")


def test_a_whole_intake_in_the_chat_lands_in_the_portal_with_its_consents(
        visitor: Visitor, app: Flask, forget_new_intakes: None):
    from sqlalchemy import select

    from portal.core.extensions import db
    from portal.intake.models import Intake

    visitor.choose_municipality("egedal")
    visitor.open_page("/")
    asked = answer(visitor, "jeg vil gerne have hjælp fra kommunen")
    reply = answer(visitor, payload_of(asked, "self"))
    # Egedal came with the page: the next question is what it is about.
    reply = answer(visitor, payload_of(reply, "debt"))
    reply = answer(visitor, payload_of(reply, "done"))
    answer(visitor, "Jeg har fået rykkere og kan ikke betale min husleje")
    # Crisis still comes first in the middle of the intake; then the question again.
    interrupted = answer(visitor, "jeg vil ikke leve mere")
    assert_crisis_first(interrupted)
    answer(visitor, "At få styr på min økonomi")
    reply = answer(visitor, "jobcenter og egen læge")
    reply = answer(visitor, payload_of(reply, "phone"))
    wrong = answer(visitor, "det ved jeg ikke")
    assert "8 cifre" in " ".join(m["text"] for m in wrong["messages"])
    reply = answer(visitor, "20 30 40 50")
    reply = answer(visitor, payload_of(reply, "any"))
    reply = answer(visitor, payload_of(reply, "none"))
    consent = answer(visitor, payload_of(reply, "this-week"))
    shown = " ".join(says(m) for m in consent["messages"])
    assert "Samtykke – Jobcenter" in shown and "Hvis du siger nej:" in shown, shown
    second = answer(visitor, payload_of(consent, "yes"))
    review = answer(visitor, payload_of(second, "no"))
    assert "+4520304050" in " ".join(m["text"] for m in review["messages"])
    done = answer(visitor, payload_of(review, "yes"))

    text = " ".join(says(m) for m in done["messages"])
    reference = re.search(r"referencenummer er (\S+?)\.", text).group(1)
    code = re.search(r"Din kode: (\S+)", text).group(1)
    assert "den kan ikke vises igen" in text
    assert all(code not in url for url in urls(done))
    assert_links_work(visitor, done)
    with app.app_context():
        intake = db.session.scalar(select(Intake).where(Intake.reference == reference))
        assert intake is not None and intake.channel == "chat"
        assert intake.status == "received" and intake.municipality == "egedal"
        assert intake.situations == ["debt"] and intake.agencies == ["jobcentre", "doctor"]
        assert intake.contact["phone"] == "+4520304050"
        assert [(c.key, c.channel, c.given_by) for c in intake.consents] == [
            ("share-jobcentre", "chat", "self")]


def test_talk_to_a_person_with_the_conversation_sent_along(
        visitor: Visitor, app: Flask, forget_new_intakes: None):
    from sqlalchemy import select

    from portal.core.extensions import db
    from portal.intake.models import Intake

    visitor.choose_municipality("egedal")
    visitor.open_page("/")
    answer(visitor, "jeg har gæld og kan ikke betale mine regninger")
    consent = answer(visitor, "kan jeg tale med en sagsbehandler")
    shown = " ".join(says(m) for m in consent["messages"])
    assert "Hvis du siger nej:" in shown, consent
    how = answer(visitor, payload_of(consent, "yes"))
    done = answer(visitor, payload_of(how, "status"))
    text = " ".join(says(m) for m in done["messages"])
    reference = re.search(r"referencenummer er (\S+?)\.", text).group(1)
    assert re.search(r"Din kode: (\S+)", text)
    assert_links_work(visitor, done)
    with app.app_context():
        intake = db.session.scalar(select(Intake).where(Intake.reference == reference))
        assert intake is not None and intake.channel == "chat"
        assert "debt" in intake.situations
        assert "jeg har gæld og kan ikke betale mine regninger" in intake.transcript
        assert "jeg har gæld" not in intake.summary
        assert [c.key for c in intake.consents] == ["share-chat-transcript"]


@pytest.fixture()
def caseworker_on_chat(app: Flask, forget_new_intakes: None) -> Iterator[Any]:
    """Egedal's CSS team with one caseworker available for chat, in the shared app for
    one test (a browser of theirs, signed in); afterwards none of it, nor the live chats
    and rooms made meanwhile."""
    from sqlalchemy import delete, func, select

    from portal.chat.models import Availability, Handoff
    from portal.core.extensions import db
    from portal.core.models import utcnow
    from portal.livechat.models import Room, RoomMessage
    from portal.staff import service as staff
    from portal.staff.models import StaffMember, Unit

    email, password = "live.e2e@test.invalid", "a-long-test-password"
    with app.app_context():
        last_room = db.session.scalar(select(func.max(Room.id))) or 0
        # (`flask demo load` in an earlier test may have left the demo's teams.)
        unit = staff.get_unit("egedal-css")
        made_unit = unit is None
        if made_unit:
            unit = Unit(slug="egedal-css", kind="team", municipality="egedal",
                        name="Center for Social Service, Egedal (demo)")
            db.session.add(unit)
            db.session.flush()
        member = staff.create_member(email, "Sara Test", password, ["caseworker"], [unit])
        db.session.flush()
        db.session.add(Availability(staff_id=member.id, available=True, seen_at=utcnow()))
        db.session.commit()
    browser = app.test_client()
    page = browser.get("/personale/log-ind").get_data(as_text=True)
    csrf = re.search(r'<meta name="csrf-token" content="([^"]+)"', page).group(1)
    assert browser.post("/personale/log-ind", data={
        "csrf_token": csrf, "email": email, "password": password}).status_code == 303
    try:
        yield browser
    finally:
        with app.app_context():
            new_rooms = select(Room.id).where(Room.id > last_room)
            db.session.execute(delete(Handoff).where(Handoff.room_id.in_(new_rooms)))
            db.session.execute(delete(RoomMessage).where(RoomMessage.room_id.in_(new_rooms)))
            member = db.session.scalar(select(StaffMember).where(StaffMember.email == email))
            db.session.execute(delete(Availability).where(Availability.staff_id == member.id))
            from portal.intake.models import Intake

            for intake in db.session.scalars(select(Intake).where(
                    Intake.room_id.in_(new_rooms))):
                intake.room_id = None
            db.session.execute(delete(Room).where(Room.id > last_room))
            db.session.delete(member)
            db.session.flush()
            if made_unit:
                db.session.execute(delete(Unit).where(Unit.slug == "egedal-css"))
            db.session.commit()


def test_talk_to_a_person_live_with_a_caseworker_and_back_to_the_assistant(
        visitor: Visitor, app: Flask, caseworker_on_chat):
    """Through the real assistant: "jeg vil gerne tale med et menneske" hands the chat
    over; a caseworker of the routed team is available, so the chat goes live; the
    paused assistant still hears the citizen (and a crisis is answered at once); the
    caseworker answers and ends the chat; the assistant answers again."""
    from sqlalchemy import select

    from portal.chat.models import Handoff
    from portal.core.extensions import db
    from portal.intake.models import Intake
    from portal.livechat import service as livechat

    worker = caseworker_on_chat
    visitor.choose_municipality("egedal")
    visitor.open_page("/")
    consent = answer(visitor, "jeg vil gerne tale med et menneske")
    how = answer(visitor, payload_of(consent, "no"))
    done = answer(visitor, payload_of(how, "status"))
    text = " ".join(says(m) for m in done["messages"])
    assert "Center for Social Service, Egedal (demo) kommer ind i chatten nu" in text, text
    live = done["live"]
    assert live["with"] == "Du skriver nu med Sara Test, Center for Social Service, Egedal (demo)."
    reference = re.search(r"referencenummer er (\S+?)\.", text).group(1)
    with app.app_context():
        intake = db.session.scalar(select(Intake).where(Intake.reference == reference))
        assert intake.channel == "chat" and intake.room_id == live["room"]
        assert intake.transcript is None and intake.consents == []

    # Live: the citizen's words go to the caseworker; the paused assistant says nothing.
    status, reply = visitor.say("Hej, er der nogen?")
    assert status == 200 and reply["messages"] == [] and reply["live"]["room"] == live["room"]
    # A crisis is still answered at once (the assistant's NLU through its HTTP API).
    status, crisis = visitor.say("jeg vil ikke leve mere")
    assert_crisis_first(crisis)
    with app.app_context():
        said = [(m.sender, m.body) for m in livechat.messages_after(live["room"])]
        assert said == [("citizen", "Hej, er der nogen?"), ("citizen", "jeg vil ikke leve mere")]
        handoff = db.session.scalar(select(Handoff).where(Handoff.room_id == live["room"]))
        assert handoff.crisis_at is not None

    page = f"/personale/chat/{reference}"
    html = worker.get(page).get_data(as_text=True)
    assert "Hej, er der nogen?" in html and 'role="alert"' in html
    csrf = re.search(r'<meta name="csrf-token" content="([^"]+)"', html).group(1)
    sent = worker.post(f"/live/rooms/{live['room']}/messages", headers={"X-CSRFToken": csrf},
                       json={"body": "Hej, jeg er Sara. Jeg er her.", "lang": "da"})
    assert sent.status_code == 201
    assert worker.post(page + "/afslut", data={"csrf_token": csrf}).status_code == 303
    with app.app_context():
        handoff = db.session.scalar(select(Handoff).where(Handoff.room_id == live["room"]))
        assert handoff.ended_at is not None
        assert handoff.resumed_at is not None  # the real Rasa took the resume event

    # The assistant has the conversation again.
    back = answer(visitor, "min søn ryger hash")
    assert "live" not in back
