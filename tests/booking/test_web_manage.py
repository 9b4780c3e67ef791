"""A booking on the web with its reference and code: open it, move it (the calendar file
keeps its UID with a higher SEQUENCE), cancel it (METHOD:CANCEL, the time is free
again), and what a wrong, a guessed or a reused code can do: nothing.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest
from flask import Flask
from sqlalchemy import select

from portal.booking import links
from portal.booking.models import BOOKED, CANCELLED, Booking
from portal.booking.slots import parse_slot_id
from portal.core.extensions import db
from tests.booking.own_db import ALCOHOL, booking_app
from tests.booking.web import (
    citizen,
    code_on,
    csrf_token,
    field_error,
    local_start,
    moment_da,
    shows_code,
    slot_ids,
    text_of,
)

BOOK = f"/tilbud/{ALCOHOL}/book"


@pytest.fixture(scope="module")
def web_app(tmp_path_factory) -> Iterator[Flask]:
    app = booking_app(tmp_path_factory, "web_manage")
    yield app
    with app.app_context():
        db.engine.dispose()


def book(app: Flask, filter_: str = "evening", index: int = 0) -> tuple[str, str, str]:
    """Book a free time on the web in a browser of its own: (reference, code, slot id)."""
    client = citizen(app)
    slot = slot_ids(client.get(f"{BOOK}?filter={filter_}").get_data(as_text=True))[index]
    page = client.get(f"{BOOK}?channel=chat&slot={slot}").get_data(as_text=True)
    response = client.post(BOOK, data={"csrf_token": csrf_token(page), "slot_id": slot,
                                       "channel": "chat", "lang": "da"})
    assert response.status_code == 303
    html = client.get(response.headers["Location"]).get_data(as_text=True)
    code = code_on(html)
    reference = re.search(r'class="booking-reference">([A-Z0-9-]+)<', html).group(1)
    return reference, code, slot


def open_with_code(client, reference: str, code: str, lang: str = "da"):
    manage = "/booking" if lang == "da" else "/en/booking"
    page = client.get(manage).get_data(as_text=True)
    return client.post(manage, data={"csrf_token": csrf_token(page), "reference": reference,
                                     "code": code})


def row(app: Flask, reference: str) -> Booking:
    with app.app_context():
        booking = db.session.scalar(select(Booking).where(Booking.reference == reference))
        db.session.expunge(booking)
        return booking


def calendar(app: Flask, client, reference: str) -> str:
    with app.test_request_context():
        path = links.calendar_path(reference, "da")
    response = client.get(path)
    assert response.status_code == 200
    assert response.mimetype == "text/calendar"
    return response.get_data(as_text=True)


def free_times(client) -> set[str]:
    return set(slot_ids(client.get(BOOK).get_data(as_text=True)))


def test_open_move_and_cancel_a_booking_with_its_code(web_app):
    reference, code, slot = book(web_app)
    client = citizen(web_app)  # another browser: only the reference and the code count
    assert client.get(f"/booking/{reference}").status_code == 303  # not opened here yet

    # Typed as people type it: lower case, spaces instead of dashes.
    response = open_with_code(client, reference.lower(), code.lower().replace("-", " "))
    assert response.status_code == 303
    assert response.headers["Location"] == f"/booking/{reference}"
    page = client.get(f"/booking/{reference}").get_data(as_text=True)
    words = text_of(page)
    assert moment_da(local_start(slot)) in words
    assert "Booket" in words or "Booked" in words
    assert f"/samtale/{reference}" in page
    assert not shows_code(page, code)  # the code is never shown again

    first_ics = calendar(web_app, client, reference)
    assert "METHOD:PUBLISH" in first_ics and "SEQUENCE:0" in first_ics
    assert f"UID:{reference}@indgang" in first_ics

    # Move: choose another free time (lunch, say), confirm.
    move_page = client.get(f"/booking/{reference}/flyt?filter=lunch").get_data(as_text=True)
    new_slot = slot_ids(move_page)[0]
    assert 11 <= local_start(new_slot).hour <= 13
    confirm = client.get(f"/booking/{reference}/flyt?slot={new_slot}").get_data(as_text=True)
    assert moment_da(local_start(new_slot)) in text_of(confirm)
    moved = client.post(f"/booking/{reference}/flyt", data={
        "csrf_token": csrf_token(confirm), "slot_id": new_slot})
    assert moved.status_code == 303
    after = client.get(moved.headers["Location"]).get_data(as_text=True)
    assert moment_da(local_start(new_slot)) in text_of(after)
    assert row(web_app, reference).starts_at == parse_slot_id(new_slot)[1]
    # The old time is free again, the new one is not.
    assert slot in free_times(client) and new_slot not in free_times(client)

    moved_ics = calendar(web_app, client, reference)
    assert f"UID:{reference}@indgang" in moved_ics and "SEQUENCE:1" in moved_ics
    assert "METHOD:PUBLISH" in moved_ics

    # Cancel: a confirm step, then POST.
    confirm = client.get(f"/booking/{reference}/afbestil")
    assert confirm.status_code == 200
    cancelled = client.post(f"/booking/{reference}/afbestil", data={
        "csrf_token": csrf_token(confirm.get_data(as_text=True))})
    assert cancelled.status_code == 303
    assert row(web_app, reference).status == CANCELLED
    assert new_slot in free_times(client)  # free for others again
    cancel_ics = calendar(web_app, client, reference)
    assert "METHOD:CANCEL" in cancel_ics and "STATUS:CANCELLED" in cancel_ics
    assert f"UID:{reference}@indgang" in cancel_ics and "SEQUENCE:2" in cancel_ics
    # The page still says what happened.
    words = text_of(client.get(f"/booking/{reference}").get_data(as_text=True))
    assert "Aflyst" in words or "Cancelled" in words


def test_a_cancelled_booking_cannot_be_cancelled_again_nor_moved(web_app):
    reference, code, _slot = book(web_app, index=2)
    client = citizen(web_app)
    assert open_with_code(client, reference, code).status_code == 303
    page = client.get(f"/booking/{reference}/afbestil").get_data(as_text=True)
    client.post(f"/booking/{reference}/afbestil", data={"csrf_token": csrf_token(page)})
    cancelled = row(web_app, reference)
    assert cancelled.status == CANCELLED

    # Later, in another browser, with the same code: it opens (to show "cancelled") ...
    later = citizen(web_app)
    assert open_with_code(later, reference, code).status_code == 303
    token = csrf_token(later.get(f"/booking/{reference}").get_data(as_text=True))
    # ... but changes nothing.
    assert later.post(f"/booking/{reference}/afbestil",
                      data={"csrf_token": token}).status_code == 303
    some_slot = slot_ids(later.get(BOOK).get_data(as_text=True))[0]
    assert later.post(f"/booking/{reference}/flyt",
                      data={"csrf_token": token, "slot_id": some_slot}).status_code == 303
    again = row(web_app, reference)
    assert (again.status, again.starts_at, again.sequence, again.cancelled_at) == (
        CANCELLED, cancelled.starts_at, cancelled.sequence, cancelled.cancelled_at)
    assert some_slot in free_times(later)


def test_a_wrong_code_and_an_unknown_reference_look_the_same(web_app):
    reference, _code, _slot = book(web_app, index=3)
    client = citizen(web_app)
    wrong = open_with_code(client, reference, "ABCD-EFGH-JKMN-PQRS")
    unknown = open_with_code(client, "ZZZZ-ZZZZ", "ABCD-EFGH-JKMN-PQRS")
    assert wrong.status_code == unknown.status_code == 403
    strip = lambda html: re.sub(r'content="[^"]+"|value="[^"]*"', "", html)  # noqa: E731
    assert strip(wrong.get_data(as_text=True)) == strip(unknown.get_data(as_text=True))
    # And the booking stays closed to this browser.
    assert client.get(f"/booking/{reference}").status_code == 303


def test_your_code_does_not_open_someone_elses_booking(web_app):
    mine, my_code, _ = book(web_app, index=4)
    theirs, _their_code, their_slot = book(web_app, index=5)
    client = citizen(web_app)
    assert open_with_code(client, theirs, my_code).status_code == 403
    for path in (f"/booking/{theirs}", f"/booking/{theirs}/flyt", f"/booking/{theirs}/afbestil"):
        assert client.get(path).status_code == 303
    # Having opened my own booking gives no right to theirs.
    assert open_with_code(client, mine, my_code).status_code == 303
    token = csrf_token(client.get(f"/booking/{mine}").get_data(as_text=True))
    response = client.post(f"/booking/{theirs}/afbestil", data={"csrf_token": token})
    assert response.status_code == 303 and "/booking?reference=" in response.headers["Location"]
    assert row(web_app, theirs).status == BOOKED
    assert row(web_app, theirs).starts_at == parse_slot_id(their_slot)[1]


def test_wrong_codes_are_rate_limited_per_booking(web_app):
    reference, code, _slot = book(web_app, index=6)
    limit = int(web_app.config["BOOKING_CODE_RATE_LIMIT"].split("/")[0])
    statuses = []
    for attempt in range(limit + 1):
        statuses.append(open_with_code(citizen(web_app), reference,  # new address each time
                                       f"AAAA-AAAA-AAAA-AAA{attempt}").status_code)
    assert statuses[:limit] == [403] * limit
    assert statuses[limit] == 429
    # Now even the right code must wait: guessing gains nothing by being right by chance.
    limited = open_with_code(citizen(web_app), reference, code)
    assert limited.status_code == 429
    assert int(limited.headers["Retry-After"]) > 0
    words = text_of(limited.get_data(as_text=True))
    assert "Too many tries" in words or "For mange forsøg" in words


def test_wrong_codes_are_rate_limited_per_address(web_app):
    client = citizen(web_app)
    limit = int(web_app.config["BOOKING_CODE_RATE_LIMIT_PER_ADDRESS"].split("/")[0])
    statuses = [open_with_code(client, f"ZZZZ-ZZ{i:02d}", "AAAA-AAAA-AAAA-AAAA").status_code
                for i in range(limit + 1)]
    assert statuses[:limit] == [403] * limit and statuses[limit] == 429


def test_missing_reference_or_code_is_shown_at_its_field(web_app):
    client = citizen(web_app)
    page = client.get("/en/booking").get_data(as_text=True)
    response = client.post("/en/booking", data={"csrf_token": csrf_token(page),
                                               "reference": "  ", "code": "!!"})
    assert response.status_code == 400
    html = response.get_data(as_text=True)
    assert "reference" in (field_error(html, "reference") or "")
    assert "code" in (field_error(html, "code") or "")


def test_the_calendar_file_needs_its_token(web_app):
    reference, _code, _slot = book(web_app, index=7)
    client = citizen(web_app)
    with web_app.test_request_context():
        good = links.calendar_path(reference, "en")
    assert client.get(good).status_code == 200
    assert client.get(good.replace(good.rsplit("/", 1)[1], "0" * 24 + ".ics")).status_code == 404
    assert client.get(f"/booking/ZZZZ-ZZZZ/{'0' * 24}.ics").status_code == 404


def test_close_the_booking_on_a_shared_computer(web_app):
    reference, code, _slot = book(web_app, index=8)
    client = citizen(web_app)
    assert open_with_code(client, reference, code).status_code == 303
    token = csrf_token(client.get(f"/booking/{reference}").get_data(as_text=True))
    assert client.post(f"/booking/{reference}/glem", data={"csrf_token": token}).status_code == 303
    assert client.get(f"/booking/{reference}").status_code == 303  # the code is needed again
