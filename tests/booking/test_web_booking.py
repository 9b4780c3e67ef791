"""Booking on the web, as a citizen does it: from the offer page, choose how to talk,
filter the free times (lunch, evening), book anonymously, and see the code once.

On a database of this module's own with the demo treaters' schedules (`flask demo
load`): lunch 11.30-13.00 on weekdays and evenings from 17.00 for the alcohol
treatment (chat), daytime video, phone or chat for the housing support.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterator

import pytest
from flask import Flask
from sqlalchemy import select

from portal.booking.models import Booking
from portal.booking.slots import parse_slot_id
from portal.core.extensions import db
from portal.outbox.models import OutboxMessage
from tests.booking.own_db import ALCOHOL, HOUSING, booking_app
from tests.booking.web import (
    citizen,
    code_on,
    csrf_token,
    field_error,
    field_value,
    local_start,
    moment_da,
    moment_en,
    shows_code,
    slot_ids,
    text_of,
)

BOOK_DA = f"/tilbud/{ALCOHOL}/book"
BOOK_EN = f"/en/offers/{ALCOHOL}/book"


@pytest.fixture(scope="module")
def web_app(tmp_path_factory) -> Iterator[Flask]:
    app = booking_app(tmp_path_factory, "web_booking")
    yield app
    with app.app_context():
        db.engine.dispose()


def booking_row(app: Flask, reference: str) -> Booking:
    with app.app_context():
        booking = db.session.scalar(select(Booking).where(Booking.reference == reference))
        db.session.expunge(booking)
        return booking


def form_for(client, book_url: str, slot: str, channel: str = "chat") -> str:
    response = client.get(f"{book_url}?channel={channel}&slot={slot}")
    assert response.status_code == 200
    return response.get_data(as_text=True)


def post_booking(client, book_url: str, page: str, **fields):
    data = {"csrf_token": csrf_token(page), "channel": "chat", "lang": "da", **fields}
    return client.post(book_url, data=data)


# --- finding the page and a time ----------------------------------------------------------


def test_the_offer_page_offers_booking_only_where_times_can_be_booked(web_app):
    client = citizen(web_app)
    alcohol = client.get(f"/tilbud/{ALCOHOL}").get_data(as_text=True)
    assert f'href="{BOOK_DA}"' in alcohol
    assert "Book a time" in alcohol or "Book en tid" in alcohol
    other = client.get("/tilbud/u-turn-koebenhavn").get_data(as_text=True)
    assert "/book" not in other
    # Its booking address says so plainly instead of offering times.
    closed = client.get("/tilbud/u-turn-koebenhavn/book")
    assert closed.status_code == 200
    assert slot_ids(closed.get_data(as_text=True)) == []
    assert client.get("/tilbud/no-such-offer/book").status_code == 404


def test_choose_the_channel_when_the_offer_has_several(web_app):
    client = citizen(web_app)
    page = client.get(f"/en/offers/{HOUSING}/book").get_data(as_text=True)
    links = re.findall(rf'href="/en/offers/{HOUSING}/book\?channel=(\w+)"', page)
    assert links == ["chat", "video", "phone"]
    assert slot_ids(page) == []  # times come after the channel
    video = client.get(f"/en/offers/{HOUSING}/book?channel=video").get_data(as_text=True)
    assert slot_ids(video)
    assert all("channel=video" in link for link in re.findall(r'href="([^"]*slot=[^"]*)"', video))
    # The alcohol treatment has one channel: its times come at once.
    assert slot_ids(client.get(BOOK_EN).get_data(as_text=True))


def test_free_times_for_the_next_14_days_by_day_with_lunch_and_evening_filters(web_app):
    client = citizen(web_app)
    every = slot_ids(client.get(BOOK_DA).get_data(as_text=True))
    lunch = slot_ids(client.get(BOOK_DA + "?filter=lunch").get_data(as_text=True))
    evening = slot_ids(client.get(BOOK_DA + "?filter=evening").get_data(as_text=True))
    assert lunch and evening
    starts = {s: local_start(s) for s in every}
    assert all((11, 0) <= (starts[s].hour, starts[s].minute) <= (13, 30) for s in lunch)
    assert all(starts[s].hour >= 17 for s in evening)
    # Nothing is lost between the filters, and every time is within 14 days.
    assert set(lunch) | set(evening) == set(every)
    days = {starts[s].date() for s in every}
    assert max(days) - min(days) <= dt.timedelta(days=13)
    # Grouped by day: one heading per day, in order.
    page = client.get(BOOK_DA + "?filter=evening").get_data(as_text=True)
    headings = re.findall(r'<h3 class="h4" id="day-([0-9-]+)">', page)
    assert headings == sorted(set(headings)) and len(headings) >= 4
    # The filters are plain links (no JavaScript), the chosen one marked for screen readers.
    assert re.search(r'href="[^"]*filter=evening[^"]*" aria-current="true"', page)


# --- the whole booking ---------------------------------------------------------------------


def test_book_an_evening_chat_anonymously_and_see_the_code_once(web_app):
    client = citizen(web_app)
    slot = slot_ids(client.get(BOOK_DA + "?filter=evening").get_data(as_text=True))[0]
    page = form_for(client, BOOK_DA, slot)
    # The form says what is kept and why, and asks for no name and no CPR number.
    words = text_of(page)
    assert "cpr" in words.lower()
    assert not re.search(r'name="(name|cpr|full_name)"', page)
    assert moment_da(local_start(slot)) in words

    response = post_booking(client, BOOK_DA, page, slot_id=slot, alias="Kim",
                            email="kim@example.dk")
    assert response.status_code == 303
    confirmation = client.get(response.headers["Location"])
    assert confirmation.status_code == 200
    html = confirmation.get_data(as_text=True)
    assert confirmation.headers["Cache-Control"] == "no-store"
    code = code_on(html)
    assert shows_code(html, code)
    reference = re.search(r'class="booking-reference">([A-Z0-9-]+)<', html).group(1)
    assert len(code.replace("-", "")) == 16
    words = text_of(html)
    assert moment_da(local_start(slot)) in words
    assert f"/samtale/{reference}" in html          # how to join: the session page
    assert re.search(rf'href="/booking/{reference}/[0-9a-f]{{24}}\.ics"', html)
    assert f'href="/booking/{reference}"' in html   # the manage page

    # Kept: the alias and the e-mail, a chat room; the code only as a hash.
    row = booking_row(web_app, reference)
    assert (row.alias, row.email, row.phone, row.channel) == ("Kim", "kim@example.dk", None,
                                                              "chat")
    assert code not in row.code_hash and row.room_id is not None
    assert row.starts_at == parse_slot_id(slot)[1]

    # Reloading the confirmation never shows the code again (nor does the other language).
    again = client.get(response.headers["Location"]).get_data(as_text=True)
    assert not shows_code(again, code) and reference in again
    assert not shows_code(client.get("/en/booking/confirmation").get_data(as_text=True), code)
    # ... and no message sent to the citizen carries it.
    with web_app.app_context():
        bodies = [m.body for m in db.session.scalars(select(OutboxMessage).where(
            OutboxMessage.key.like(f"booking:{reference}:%")))]
    assert bodies and all(code not in body for body in bodies)


def test_the_confirmation_in_english_writes_the_time_as_people_read_it(web_app):
    client = citizen(web_app)
    slot = slot_ids(client.get(BOOK_EN + "?filter=lunch").get_data(as_text=True))[-1]
    page = form_for(client, BOOK_EN, slot)
    response = post_booking(client, BOOK_EN, page, slot_id=slot, lang="en")
    assert response.status_code == 303
    assert response.headers["Location"] == "/en/booking/confirmation"
    words = text_of(client.get("/en/booking/confirmation").get_data(as_text=True))
    start = local_start(slot)
    assert moment_en(start) in words                     # "Tuesday 1 Dec, 12:30"
    assert re.search(r"\b\w+day \d{1,2} [A-Z][a-z]{2}, \d{2}:\d{2}–\d{2}:\d{2}\b", words)
    assert "Keep the code. We cannot show it again." in words


def test_someone_was_quicker_the_next_times_are_buttons_and_nothing_typed_is_lost(web_app):
    first, second = citizen(web_app), citizen(web_app)
    slot = slot_ids(first.get(BOOK_DA + "?filter=evening").get_data(as_text=True))[1]
    page_first = form_for(first, BOOK_DA, slot)
    page_second = form_for(second, BOOK_DA, slot)
    assert post_booking(first, BOOK_DA, page_first, slot_id=slot).status_code == 303

    taken = post_booking(second, BOOK_DA, page_second, slot_id=slot, alias="Sam",
                         email="sam@example.dk", phone="20 30 40 50")
    assert taken.status_code == 409
    html = taken.get_data(as_text=True)
    assert "That time was just taken" in html or "Tiden er lige blevet taget" in html
    assert field_value(html, "alias") == "Sam"
    assert field_value(html, "email") == "sam@example.dk"
    assert field_value(html, "phone") == "20 30 40 50"
    buttons = re.findall(r'<button[^>]*name="next_slot" value="([^"]+)"', html)
    assert buttons and slot not in buttons
    assert all(local_start(b) > local_start(slot) for b in buttons)
    # Pressing Enter in a field books nothing: the form's first (default) button is disabled.
    assert re.findall(r"<button[^>]*>", html.split("<form", 1)[1])[0] == (
        '<button type="submit" disabled hidden>')

    # One press on a next time books it with what was typed.
    again = second.post(BOOK_DA, data={"csrf_token": csrf_token(html), "channel": "chat",
                                       "slot_id": slot, "next_slot": buttons[0],
                                       "alias": "Sam", "email": "sam@example.dk",
                                       "phone": "20 30 40 50", "lang": "da"})
    assert again.status_code == 303
    confirmation = second.get(again.headers["Location"]).get_data(as_text=True)
    reference = re.search(r'class="booking-reference">([A-Z0-9-]+)<', confirmation).group(1)
    row = booking_row(web_app, reference)
    assert (row.alias, row.email, row.phone) == ("Sam", "sam@example.dk", "+4520304050")
    assert row.starts_at == parse_slot_id(buttons[0])[1]


# --- bad input ------------------------------------------------------------------------------


@pytest.mark.parametrize(("field", "value", "message"), [
    ("alias", "x" * 61, "The name is too long"),
    ("alias", "Kim\x07", "The name may only hold"),
    ("email", "kim@", "name@example.dk"),
    ("email", "kim example.dk", "name@example.dk"),
    ("phone", "12 34", "8 digits"),
    ("phone", "+45 abc", "8 digits"),
    ("lang", "fr", "“lang”"),
])
def test_bad_input_is_shown_at_its_field_and_nothing_is_lost(web_app, field, value, message):
    client = citizen(web_app)
    slot = slot_ids(client.get(BOOK_EN).get_data(as_text=True))[2]
    page = form_for(client, BOOK_EN, slot)
    fields = {"slot_id": slot, "alias": "Robin", "email": "robin@example.dk",
              "phone": "+44 20 7946 0958", "lang": "en", field: value}
    response = post_booking(client, BOOK_EN, page, **fields)
    assert response.status_code == 400
    html = response.get_data(as_text=True)
    assert message in (field_error(html, field) or "")
    assert re.search(r'class="form-group form-error"', html)
    # The summary at the top links to the field.
    assert f'href="#f-{field}"' in html
    for name in ("alias", "email", "phone"):
        if "\x07" not in fields[name]:
            assert field_value(html, name) == fields[name]
    assert field_value(html, "slot_id") == slot
    # Nothing was booked.
    with web_app.app_context():
        assert db.session.scalar(select(Booking).where(
            Booking.starts_at == parse_slot_id(slot)[1])) is None


def test_errors_are_in_the_pages_language(web_app):
    client = citizen(web_app)
    slot = slot_ids(client.get(BOOK_DA).get_data(as_text=True))[3]
    page = form_for(client, BOOK_DA, slot)
    html = post_booking(client, BOOK_DA, page, slot_id=slot, email="kim@").get_data(
        as_text=True)
    assert field_error(html, "email") == "Skriv e-mailadressen sådan her: navn@eksempel.dk."


def test_the_phone_channel_needs_the_number_to_call(web_app):
    client = citizen(web_app)
    slot = slot_ids(client.get(f"/en/offers/{HOUSING}/book?channel=phone").get_data(
        as_text=True))[0]
    page = form_for(client, f"/en/offers/{HOUSING}/book", slot, channel="phone")
    assert re.search(r'name="phone"[^>]*required', page)
    response = post_booking(client, f"/en/offers/{HOUSING}/book", page, slot_id=slot,
                            channel="phone", lang="en")
    assert response.status_code == 400
    assert field_error(response.get_data(as_text=True), "phone") == (
        "Write the phone number the treater should call.")
    ok = post_booking(client, f"/en/offers/{HOUSING}/book", page, slot_id=slot,
                      channel="phone", phone="0045 2030 4050", lang="en")
    assert ok.status_code == 303
    words = text_of(client.get(ok.headers["Location"]).get_data(as_text=True))
    assert "the treater calls you on the number you gave" in words


def test_a_time_of_another_offer_or_a_made_up_one_cannot_be_booked(web_app):
    client = citizen(web_app)
    housing = slot_ids(client.get(f"/tilbud/{HOUSING}/book?channel=chat").get_data(
        as_text=True))[0]
    page = client.get(BOOK_DA).get_data(as_text=True)
    for slot in (housing, "1-209901011200", "9999-202601011200", "nonsense"):
        response = post_booking(client, BOOK_DA, page, slot_id=slot)
        assert response.status_code == 400, slot
        html = response.get_data(as_text=True)
        assert "no longer be booked" in html or "kan ikke længere bookes" in html \
            or "cannot be booked" in html or "kan ikke bookes" in html
        # The next free times of this offer are offered instead.
        assert re.findall(r'name="next_slot" value="([^"]+)"', html)


def test_the_form_refuses_a_post_without_its_csrf_token(web_app):
    client = citizen(web_app)
    slot = slot_ids(client.get(BOOK_DA).get_data(as_text=True))[4]
    response = client.post(BOOK_DA, data={"slot_id": slot, "channel": "chat"})
    assert response.status_code == 400
    with web_app.app_context():
        assert db.session.scalar(select(Booking).where(
            Booking.starts_at == parse_slot_id(slot)[1])) is None
