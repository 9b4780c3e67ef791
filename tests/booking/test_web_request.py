"""No free time within the promise: alcohol treatment must be offered within 14 days of
the request (Sundhedsloven § 141). When no free time starts that soon, the booking page
says what the law promises and the citizen can ask for a time instead; the treatment
centre is alerted (through the outbox)."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterator

import pytest
from flask import Flask
from sqlalchemy import delete, select

from portal.booking.models import BookingRequest, ScheduleException, ScheduleRule
from portal.catalogue import service as catalogue
from portal.core.extensions import db
from portal.core.models import utcnow
from portal.outbox.models import OutboxMessage
from tests.booking.own_db import ALCOHOL, HOUSING, booking_app
from tests.booking.web import citizen, csrf_token, field_error, field_value, slot_ids, text_of

BOOK = f"/tilbud/{ALCOHOL}/book"
REQUEST_DA = f"/tilbud/{ALCOHOL}/anmod-om-tid"
REQUEST_EN = f"/en/offers/{ALCOHOL}/request-a-time"


@pytest.fixture(scope="module")
def web_app(tmp_path_factory) -> Iterator[Flask]:
    app = booking_app(tmp_path_factory, "web_request")
    yield app
    with app.app_context():
        db.engine.dispose()


@pytest.fixture()
def treaters_away(web_app):
    """Every treater of the alcohol treatment is away (a course, holidays) for `days`."""

    def away(days: int) -> None:
        with web_app.app_context():
            offer = catalogue.get_offer(ALCOHOL)
            treaters = set(db.session.scalars(select(ScheduleRule.treater_id).where(
                ScheduleRule.offer_id == offer.id)))
            start = utcnow() - dt.timedelta(days=1)
            for treater in treaters:
                db.session.add(ScheduleException(treater_id=treater, starts_at=start,
                                                 ends_at=start + dt.timedelta(days=days + 1),
                                                 reason="test: away"))
            db.session.commit()

    yield away
    with web_app.app_context():
        db.session.execute(delete(ScheduleException).where(
            ScheduleException.reason == "test: away"))
        db.session.commit()


def test_free_times_within_the_promise_no_request_needed(web_app):
    client = citizen(web_app)
    page = client.get(BOOK).get_data(as_text=True)
    assert slot_ids(page)
    assert REQUEST_DA not in page
    # The request page sends you to the free times.
    response = client.get(REQUEST_DA)
    assert response.status_code == 303 and response.headers["Location"] == BOOK


def test_nothing_free_the_page_says_what_the_law_promises(web_app, treaters_away):
    treaters_away(40)  # past the booking horizon: nothing at all
    client = citizen(web_app)
    page = client.get(BOOK).get_data(as_text=True)
    words = text_of(page)
    assert slot_ids(page) == []
    assert ("Du har ret til at få tilbudt behandling senest 14 dage efter, at du har bedt om "
            "det.") in words or "no later than 14 days after you have asked for it" in words
    assert "Sundhedsloven § 141" in words
    assert f'href="{REQUEST_DA}"' in page
    english = text_of(client.get(f"/en/offers/{ALCOHOL}/book").get_data(as_text=True))
    assert "You have the right to be offered treatment no later than 14 days after you have " \
           "asked for it." in english


def test_ask_for_a_time_and_the_treatment_centre_is_alerted(web_app, treaters_away):
    treaters_away(40)
    client = citizen(web_app)
    page = client.get(REQUEST_EN)
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert "14 days" in text_of(html)
    response = client.post(REQUEST_EN, data={
        "csrf_token": csrf_token(html), "alias": "Alex", "phone": "30 40 50 60",
        "wishes": "Weekdays after 17,\r\nor in my lunch break", "lang": "en"})
    assert response.status_code == 303
    receipt = client.get(response.headers["Location"])
    words = text_of(receipt.get_data(as_text=True))
    reference = re.search(r'class="booking-reference">([A-Z0-9-]+)<',
                          receipt.get_data(as_text=True)).group(1)
    assert "contact you by phone" in words
    with web_app.app_context():
        request = db.session.scalar(select(BookingRequest).where(
            BookingRequest.reference == reference))
        assert (request.alias, request.phone, request.email, request.lang) == (
            "Alex", "+4530405060", None, "en")
        assert request.wishes == "Weekdays after 17,\nor in my lunch break"
        alerts = list(db.session.scalars(select(OutboxMessage).where(
            OutboxMessage.key.like(f"request:{reference}:%"))))
    assert [a.recipient for a in alerts] == ["behandlingscenter@holstebro.demo.invalid"]
    assert reference in alerts[0].body and "Alex" not in alerts[0].body  # no personal data


def test_a_request_needs_a_way_to_answer_and_loses_nothing(web_app, treaters_away):
    treaters_away(40)
    client = citizen(web_app)
    html = client.get(REQUEST_DA).get_data(as_text=True)
    response = client.post(REQUEST_DA, data={"csrf_token": csrf_token(html), "alias": "Noor",
                                             "wishes": "Om aftenen", "lang": "da"})
    assert response.status_code == 400
    page = response.get_data(as_text=True)
    assert field_error(page, "email")
    assert field_value(page, "alias") == "Noor"
    assert ">Om aftenen</textarea>" in page
    bad = client.post(REQUEST_DA, data={"csrf_token": csrf_token(html), "phone": "123",
                                        "email": "x@", "wishes": "x" * 501})
    errors = bad.get_data(as_text=True)
    assert bad.status_code == 400
    assert all(field_error(errors, name) for name in ("phone", "email", "wishes"))
    with web_app.app_context():
        assert db.session.scalar(select(BookingRequest).where(
            BookingRequest.alias == "Noor")) is None


def test_free_times_only_after_the_promise_are_offered_beside_the_request(
        web_app, treaters_away):
    treaters_away(15)
    client = citizen(web_app)
    page = client.get(BOOK).get_data(as_text=True)
    assert f'href="{REQUEST_DA}"' in page
    request_page = text_of(client.get(REQUEST_EN).get_data(as_text=True))
    assert "There is no free time within 14 days." in request_page
    assert "Or book the first free time:" in request_page


def test_offers_without_a_promise_have_no_request_page(web_app):
    assert citizen(web_app).get(f"/tilbud/{HOUSING}/anmod-om-tid").status_code == 404
