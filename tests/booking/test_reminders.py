"""Reminders: what a booking sends, through the outbox, and when.

A booking with an e-mail address is confirmed at once (with the calendar file); with an
e-mail address or a phone number it is reminded `REMINDER_MINUTES_BEFORE` the session
(90 minutes here, not the default 120: the setting is read). Cancelled: no reminder.
Moved: a reminder for the new time only. A booking that did not happen (the time was
just taken) sends nothing. The code is never in any message.

Sent by `outbox.drain` to a recording sender (the senders' interface); time passes by
giving the drain a later `now`.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterator

import pytest
from flask import Flask
from sqlalchemy import delete, select

from portal.booking import service
from portal.booking.models import Booking
from portal.catalogue import service as catalogue
from portal.core.extensions import db
from portal.core.i18n import format_moment
from portal.core.models import utcnow
from portal.outbox import service as outbox
from portal.outbox.models import OutboxMessage
from tests.booking.own_db import ALCOHOL, booking_app

BEFORE = dt.timedelta(minutes=90)
SECOND = dt.timedelta(seconds=1)


class Recorder:
    """A sender that keeps what it sends (the interface of portal.outbox.senders)."""

    def __init__(self) -> None:
        self.sent: list[OutboxMessage] = []

    def send(self, message: OutboxMessage) -> None:
        self.sent.append(message)


@pytest.fixture(scope="module")
def own_app(tmp_path_factory) -> Iterator[Flask]:
    app = booking_app(tmp_path_factory, "reminders", REMINDER_MINUTES_BEFORE=90)
    yield app
    with app.app_context():
        db.engine.dispose()


@pytest.fixture()
def ctx(own_app) -> Iterator[Flask]:
    with own_app.app_context():
        db.session.execute(delete(OutboxMessage))
        db.session.commit()
        yield own_app
        db.session.rollback()


def drain_at(moment: dt.datetime) -> list[OutboxMessage]:
    recorder = Recorder()
    outbox.drain({"email": recorder, "sms": recorder}, now=moment)
    return recorder.sent


def later_slots(count: int) -> list[service.Slot]:
    """Free chat times a day or more ahead (so their reminders are not due yet)."""
    offer = catalogue.get_offer(ALCOHOL)
    return service.next_slots(offer.id, "chat", after=utcnow() + dt.timedelta(days=1),
                              count=count)


def assert_no_code_anywhere(*codes: str) -> None:
    """No row of the outbox holds a code, however written."""
    rows = list(db.session.scalars(select(OutboxMessage)))
    assert rows
    text = json.dumps([[r.key, r.recipient, r.subject, r.body, r.attachments] for r in rows],
                      ensure_ascii=False).upper()
    for code in codes:
        for form in (code, code.replace("-", ""), " ".join(code.split("-"))):
            assert form.upper() not in text


def test_confirmed_at_once_and_reminded_before_the_time_by_email_and_sms(ctx):
    (slot,) = later_slots(1)
    booked = service.book(slot.id, "chat", alias="Kim", email="kim@example.invalid",
                          phone="+4520304050", lang="da")
    reference = booked.booking.reference
    when = format_moment(slot.starts_at, "da")

    (confirmation,) = drain_at(utcnow())
    assert confirmation.recipient == "kim@example.invalid"
    assert reference in confirmation.body and when in confirmation.body
    assert [a["filename"] for a in confirmation.attachments] == [f"{reference}.ics"]

    assert drain_at(slot.starts_at - BEFORE - SECOND) == [], "not before its time"
    reminders = drain_at(slot.starts_at - BEFORE)
    assert sorted((m.channel, m.recipient) for m in reminders) == [
        ("email", "kim@example.invalid"), ("sms", "+4520304050")]
    for message in reminders:
        assert message.body.startswith("Påmindelse:"), message.body  # the booking's language
        assert when in message.body and reference in message.body
    assert drain_at(slot.starts_at) == [], "each reminder once"
    assert_no_code_anywhere(booked.code)


def test_reminders_are_in_the_bookings_language(ctx):
    (slot,) = later_slots(1)
    booked = service.book(slot.id, "chat", phone="20304050", lang="en")
    assert drain_at(utcnow()) == [], "no e-mail address: no confirmation to send"
    (sms,) = drain_at(slot.starts_at - BEFORE)
    assert sms.channel == "sms"
    assert sms.body.startswith("Reminder:")
    assert format_moment(slot.starts_at, "en") in sms.body
    assert booked.booking.reference in sms.body
    assert_no_code_anywhere(booked.code)


def test_a_cancelled_booking_is_not_reminded(ctx):
    (slot,) = later_slots(1)
    booked = service.book(slot.id, "chat", email="ida@example.invalid", phone="+4520304051",
                          lang="da")
    service.cancel(booked.booking)

    sent = drain_at(utcnow())
    assert len(sent) == 2  # the confirmation and the cancellation, both by e-mail
    cancellation = sent[-1]
    assert cancellation.subject.startswith("Aflyst:")
    assert format_moment(slot.starts_at, "da") in cancellation.body
    (ics,) = cancellation.attachments
    assert "METHOD:CANCEL" in ics["content"] and "SEQUENCE:1" in ics["content"]
    assert drain_at(slot.starts_at - BEFORE) == []
    assert drain_at(slot.starts_at) == []
    assert_no_code_anywhere(booked.code)


def test_a_moved_booking_is_reminded_of_its_new_time_only(ctx):
    first, second = later_slots(2)
    booked = service.book(first.id, "chat", email="bo@example.invalid", phone="+4520304052",
                          lang="da")
    service.move(booked.booking, second.id)

    sent = drain_at(utcnow())  # the confirmation, then the new time
    assert [m.recipient for m in sent] == ["bo@example.invalid"] * 2
    assert format_moment(second.starts_at, "da") in sent[1].body
    assert "SEQUENCE:1" in sent[1].attachments[0]["content"]

    assert drain_at(first.starts_at - BEFORE) == [], "no reminder of the old time"
    reminders = drain_at(second.starts_at - BEFORE)
    assert sorted(m.channel for m in reminders) == ["email", "sms"]
    for message in reminders:
        assert format_moment(second.starts_at, "da") in message.body
        assert format_moment(first.starts_at, "da") not in message.body
    assert_no_code_anywhere(booked.code)


def test_a_booking_that_did_not_happen_sends_nothing(ctx, own_app):
    (slot,) = later_slots(1)
    winner = service.book(slot.id, "chat", email="first@example.invalid", lang="da")
    with pytest.raises(service.SlotTaken):
        service.book(slot.id, "chat", email="second@example.invalid", phone="+4520304053",
                     lang="da")
    db.session.rollback()

    with own_app.test_client() as client:  # and the API's 409
        answer = client.post("/api/v1/bookings", json={
            "slot_id": slot.id, "channel": "chat", "email": "third@example.invalid",
            "phone": "+4520304054", "lang": "en"})
    assert answer.status_code == 409, answer.get_data(as_text=True)[:300]

    recipients = set(db.session.scalars(select(OutboxMessage.recipient)))
    assert recipients == {"first@example.invalid"}
    sent = drain_at(slot.starts_at)
    assert {m.recipient for m in sent} == {"first@example.invalid"}
    assert db.session.scalar(select(Booking).where(
        Booking.email.in_(["second@example.invalid", "third@example.invalid"]))) is None
    assert_no_code_anywhere(winner.code)
