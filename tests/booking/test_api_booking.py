"""The booking API's fixed contract (issue 9), as the assistant and other clients use it:
free times, booking one (201 / 409 with the next times / 400 per field), a booking by
its code (one 403 for a wrong code and an unknown reference, 429 after too many tries),
cancelling it (204, the time free again)."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterator

import pytest
from flask import Flask
from sqlalchemy import select

from portal.booking.models import Booking
from portal.catalogue.index import reset_index_cache
from portal.catalogue.models import Offer
from portal.core.extensions import db
from tests.booking.own_db import ALCOHOL, HOUSING, booking_app
from tests.booking.web import COPENHAGEN, citizen
from tests.chat.stack import API_TOKEN

ISO_WITH_OFFSET = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}[+-]\d{2}:\d{2}$")


@pytest.fixture(scope="module")
def api_app(tmp_path_factory) -> Iterator[Flask]:
    app = booking_app(tmp_path_factory, "api_booking")
    yield app
    with app.app_context():
        db.engine.dispose()


def slots(client, slug: str = ALCOHOL, **params) -> list[dict]:
    response = client.get(f"/api/v1/offers/{slug}/slots", query_string=params)
    assert response.status_code == 200, response.get_json()
    return response.get_json()["items"]


def book(client, slot: dict, **extra):
    return client.post("/api/v1/bookings", json={"slot_id": slot["id"],
                                                 "channel": slot["channel"], **extra})


# --- free times -----------------------------------------------------------------------


def test_slots_are_free_times_with_their_offset_and_channel(api_app):
    client = citizen(api_app)
    items = slots(client)
    assert items
    for item in items:
        assert set(item) == {"id", "starts_at", "ends_at", "channel"}
        assert ISO_WITH_OFFSET.match(item["starts_at"]) and ISO_WITH_OFFSET.match(item["ends_at"])
        start, end = (dt.datetime.fromisoformat(item[k]) for k in ("starts_at", "ends_at"))
        assert end - start == dt.timedelta(minutes=30)
        # The offset is Copenhagen's at that moment (+01:00 in winter, +02:00 in summer).
        local = start.astimezone(COPENHAGEN)
        assert start.utcoffset() == local.utcoffset()
        assert item["channel"] == "chat"
    starts = [item["starts_at"] for item in items]
    assert starts == sorted(starts, key=dt.datetime.fromisoformat)
    # Lunch and evening times, as the demo schedules promise.
    hours = {dt.datetime.fromisoformat(s).hour for s in starts}
    assert hours & {11, 12} and hours & {17, 18, 19, 20}


def test_one_item_per_time_and_channel_unless_a_channel_is_asked(api_app):
    client = citizen(api_app)
    every = slots(client, HOUSING)
    video = slots(client, HOUSING, channel="video")
    assert {i["channel"] for i in every} == {"chat", "video", "phone"}
    assert [i for i in every if i["channel"] == "video"] == video
    assert {i["id"] for i in video} == {i["id"] for i in every if i["channel"] == "phone"}


def test_from_and_to_choose_the_days(api_app):
    client = citizen(api_app)
    first = dt.datetime.fromisoformat(slots(client)[0]["starts_at"]).date()
    day = first + dt.timedelta(days=1)
    items = slots(client, **{"from": day.isoformat(), "to": day.isoformat()})
    assert items and {dt.datetime.fromisoformat(i["starts_at"]).date() for i in items} == {day}
    # Default: 14 days from today.
    days = {dt.datetime.fromisoformat(i["starts_at"]).date() for i in slots(client)}
    assert max(days) - min(days) < dt.timedelta(days=14)


@pytest.mark.parametrize(("params", "parameter"), [
    ({"from": "2026-13-01"}, "from"),
    ({"from": "1.12.2026"}, "from"),
    ({"to": "tomorrow"}, "to"),
    ({"from": "2026-12-10", "to": "2026-12-01"}, "to"),
    ({"from": "2026-12-01", "to": "2027-01-01"}, "to"),   # 32 days
    ({"channel": "fax"}, "channel"),
    ({"lang": "fr"}, "lang"),
])
def test_bad_slot_parameters_are_named(api_app, params, parameter):
    response = citizen(api_app).get(f"/api/v1/offers/{ALCOHOL}/slots", query_string=params)
    assert response.status_code == 400
    body = response.get_json()
    assert body["parameter"] == parameter and parameter in body["errors"]


def test_31_days_is_the_longest_range(api_app):
    response = citizen(api_app).get(f"/api/v1/offers/{ALCOHOL}/slots",
                                    query_string={"from": "2026-12-01", "to": "2026-12-31"})
    assert response.status_code == 200


def test_unknown_retired_and_unbookable_offers(api_app):
    client = citizen(api_app)
    assert client.get("/api/v1/offers/no-such-offer/slots").status_code == 404
    assert slots(client, "u-turn-koebenhavn") == []  # an offer without schedules
    with api_app.app_context():
        offer = db.session.scalar(select(Offer).where(Offer.slug == HOUSING))
        offer.retired = True
        db.session.commit()
        reset_index_cache()
    try:
        assert client.get(f"/api/v1/offers/{HOUSING}/slots").status_code == 404
    finally:
        with api_app.app_context():
            offer = db.session.scalar(select(Offer).where(Offer.slug == HOUSING))
            offer.retired = False
            db.session.commit()
            reset_index_cache()


# --- booking ------------------------------------------------------------------------------


def test_book_open_and_cancel_with_the_code(api_app):
    client = citizen(api_app)
    slot = slots(client)[0]
    created = book(client, slot, alias="Kim", email="kim@example.dk", lang="en")
    assert created.status_code == 201
    assert created.headers["Cache-Control"] == "no-store"
    body = created.get_json()
    assert set(body) == {"reference", "code", "starts_at", "ends_at", "channel", "session_url",
                         "ics_url"}
    assert (body["starts_at"], body["ends_at"], body["channel"]) == (
        slot["starts_at"], slot["ends_at"], "chat")
    base = api_app.config["PORTAL_BASE_URL"]
    assert body["session_url"] == f"{base}/en/session/{body['reference']}"
    assert re.fullmatch(rf"{re.escape(base)}/en/booking/{body['reference']}/[0-9a-f]{{24}}\.ics",
                        body["ics_url"])
    assert slot["id"] not in {s["id"] for s in slots(client)}

    # The calendar file is at its URL.
    ics = client.get(body["ics_url"].removeprefix(base))
    assert ics.status_code == 200 and f"UID:{body['reference']}@indgang" in ics.get_data(
        as_text=True)

    # Open it with the code (as people type it).
    typed = body["code"].lower().replace("-", " ")
    shown = client.get(f"/api/v1/bookings/{body['reference']}", headers={"X-Booking-Code": typed})
    assert shown.status_code == 200
    assert shown.headers["Cache-Control"] == "no-store"
    assert shown.get_json() == {
        "reference": body["reference"], "status": "booked", "offer": ALCOHOL,
        "starts_at": body["starts_at"], "ends_at": body["ends_at"], "channel": "chat",
        "session_url": body["session_url"], "ics_url": body["ics_url"]}
    assert "code" not in shown.get_json()

    # Cancel: 204, and the time is free again.
    gone = client.delete(f"/api/v1/bookings/{body['reference']}",
                         headers={"X-Booking-Code": body["code"]})
    assert gone.status_code == 204 and gone.get_data() == b""
    assert slot["id"] in {s["id"] for s in slots(client)}
    after = client.get(f"/api/v1/bookings/{body['reference']}",
                       headers={"X-Booking-Code": body["code"]})
    assert after.get_json()["status"] == "cancelled"
    # A reused code cannot cancel twice (nor touch the time someone books next).
    again = client.delete(f"/api/v1/bookings/{body['reference']}",
                          headers={"X-Booking-Code": body["code"]})
    assert again.status_code == 409 and again.get_json()["error"] == "not_booked"
    assert "METHOD:CANCEL" in client.get(body["ics_url"].removeprefix(base)).get_data(
        as_text=True)


def test_a_taken_time_is_a_409_with_the_next_free_times(api_app):
    client = citizen(api_app)
    slot = slots(client)[1]
    assert book(client, slot).status_code == 201
    taken = book(citizen(api_app), slot, alias="Sam")
    assert taken.status_code == 409
    body = taken.get_json()
    assert body["error"] == "slot_taken" and body["message"]
    assert body["next_slots"]
    for item in body["next_slots"]:
        assert set(item) == {"id", "starts_at", "ends_at", "channel"}
        assert item["channel"] == "chat"
        assert dt.datetime.fromisoformat(item["starts_at"]) > dt.datetime.fromisoformat(
            slot["starts_at"])
    # They are bookable as they are.
    assert book(client, body["next_slots"][0]).status_code == 201


@pytest.mark.parametrize(("change", "field"), [
    ({"slot_id": None}, "slot_id"),
    ({"slot_id": "tomorrow at five"}, "slot_id"),
    ({"slot_id": "1-209901011200"}, "slot_id"),      # a well-formed id of no bookable time
    ({"slot_id": 12}, "slot_id"),
    ({"channel": "fax"}, "channel"),
    ({"channel": None}, "channel"),
    ({"channel": "video"}, "slot_id"),               # the alcohol treatment is chat only
    ({"alias": "x" * 61}, "alias"),
    ({"alias": "Kim\u0000"}, "alias"),
    ({"alias": "Kim\ud800"}, "alias"),              # a lone surrogate: no character at all
    ({"email": "kim\u2028@b.dk"}, "email"),
    ({"alias": ["Kim"]}, "alias"),
    ({"email": "kim@"}, "email"),
    ({"email": "a@b@c.dk"}, "email"),
    ({"phone": "123"}, "phone"),
    ({"phone": "+45 1234 5678 9999 0000"}, "phone"),
    ({"lang": "fr"}, "lang"),
])
def test_bad_input_is_a_400_naming_the_field(api_app, change, field):
    client = citizen(api_app)
    slot = slots(client)[2]
    data = {"slot_id": slot["id"], "channel": "chat", "alias": "Kim", **change}
    response = client.post("/api/v1/bookings",
                           json={k: v for k, v in data.items() if v is not None})
    assert response.status_code == 400
    body = response.get_json()
    assert field in body["errors"], body
    assert body["errors"][field]
    assert slot["id"] in {s["id"] for s in slots(client)}  # nothing was booked


def test_the_messages_are_in_the_language_asked_for(api_app):
    client = citizen(api_app)
    slot = slots(client)[2]
    danish = client.post("/api/v1/bookings", json={"slot_id": slot["id"], "channel": "chat",
                                                   "email": "kim@", "lang": "da"})
    english = client.post("/api/v1/bookings", json={"slot_id": slot["id"], "channel": "chat",
                                                    "email": "kim@", "lang": "en"})
    assert danish.get_json()["errors"]["email"] == (
        "Skriv e-mailadressen sådan her: navn@eksempel.dk.")
    assert english.get_json()["errors"]["email"] == (
        "Write the e-mail address like this: name@example.dk.")


def test_a_body_that_is_not_json_is_a_400(api_app):
    client = citizen(api_app)
    for response in (client.post("/api/v1/bookings", data="slot_id=1"),
                     client.post("/api/v1/bookings", data="{not json",
                                 content_type="application/json"),
                     client.post("/api/v1/bookings", json=["a", "list"])):
        assert response.status_code == 400
        assert response.get_json()["errors"]


def test_the_phone_channel_needs_a_number(api_app):
    client = citizen(api_app)
    slot = slots(client, HOUSING, channel="phone")[0]
    assert book(client, slot).get_json()["errors"] == {
        "phone": "Skriv det telefonnummer, behandleren skal ringe til."}
    created = book(client, slot, phone="+46 70 123 45 67")
    assert created.status_code == 201
    with api_app.app_context():
        row = db.session.scalar(select(Booking).where(
            Booking.reference == created.get_json()["reference"]))
        assert (row.phone, row.channel, row.room_id) == ("+46701234567", "phone", None)


# --- a booking by its code --------------------------------------------------------------------


def test_wrong_code_and_unknown_reference_get_the_same_403(api_app):
    client = citizen(api_app)
    mine = book(client, slots(client)[3]).get_json()
    theirs = book(client, slots(client)[3]).get_json()
    answers = [
        client.get(f"/api/v1/bookings/{mine['reference']}",
                   headers={"X-Booking-Code": "ABCD-EFGH-JKMN-PQRS"}),
        client.get("/api/v1/bookings/ZZZZ-ZZZZ", headers={"X-Booking-Code": mine["code"]}),
        client.get(f"/api/v1/bookings/{theirs['reference']}",
                   headers={"X-Booking-Code": mine["code"]}),        # my code, their booking
        client.get("/api/v1/bookings/nonsense!", headers={"X-Booking-Code": "x"}),
    ]
    assert {a.status_code for a in answers} == {403}
    assert len({a.get_data() for a in answers}) == 1
    # Nor can my code cancel their booking.
    refused = client.delete(f"/api/v1/bookings/{theirs['reference']}",
                            headers={"X-Booking-Code": mine["code"]})
    assert refused.status_code == 403
    assert client.get(f"/api/v1/bookings/{theirs['reference']}",
                      headers={"X-Booking-Code": theirs["code"]}).get_json()["status"] == "booked"


def test_the_code_header_is_required(api_app):
    response = citizen(api_app).get("/api/v1/bookings/ZZZZ-ZZZZ")
    assert response.status_code == 400
    assert response.get_json()["parameter"] == "X-Booking-Code"


def test_too_many_tries_are_a_429_with_retry_after(api_app):
    client = citizen(api_app)
    booked = book(client, slots(client)[4]).get_json()
    limit = int(api_app.config["BOOKING_CODE_RATE_LIMIT"].split("/")[0])
    statuses = [citizen(api_app).get(f"/api/v1/bookings/{booked['reference']}",
                                     headers={"X-Booking-Code": f"AAAA-AAAA-AAAA-AAA{i}"}
                                     ).status_code for i in range(limit)]
    assert statuses == [403] * limit
    limited = citizen(api_app).delete(f"/api/v1/bookings/{booked['reference']}",
                                      headers={"X-Booking-Code": booked["code"]})
    assert limited.status_code == 429
    assert int(limited.headers["Retry-After"]) > 0
    assert limited.get_json()["error"] == "too_many_attempts"
    with api_app.app_context():
        row = db.session.scalar(select(Booking).where(Booking.reference == booked["reference"]))
        assert row.status == "booked"


def test_the_assistants_token_lifts_the_address_limit_but_never_the_bookings(api_app):
    assistant = citizen(api_app)
    assistant.environ_base["HTTP_AUTHORIZATION"] = f"Bearer {API_TOKEN}"
    per_address = int(api_app.config["BOOKING_CODE_RATE_LIMIT_PER_ADDRESS"].split("/")[0])
    # Many citizens, one address: more tries than one address may make, all answered.
    answers = {assistant.get(f"/api/v1/bookings/ZZZZ-{i:04d}",
                             headers={"X-Booking-Code": "ABCD-EFGH-JKMN-PQRS"}).status_code
               for i in range(per_address + 5)}
    assert answers == {403}
    # But one booking's limit holds for the assistant too.
    booked = book(assistant, slots(assistant)[5]).get_json()
    per_booking = int(api_app.config["BOOKING_CODE_RATE_LIMIT"].split("/")[0])
    statuses = [assistant.get(f"/api/v1/bookings/{booked['reference']}",
                              headers={"X-Booking-Code": "AAAA-AAAA-AAAA-AAAA"}).status_code
                for _ in range(per_booking + 1)]
    assert statuses == [403] * per_booking + [429]
    # Anonymous clients from one address are limited per address.
    anonymous = citizen(api_app)
    answers = [anonymous.get(f"/api/v1/bookings/YYYY-{i:04d}",
                             headers={"X-Booking-Code": "ABCD-EFGH-JKMN-PQRS"}).status_code
               for i in range(per_address + 1)]
    assert answers[-1] == 429 and set(answers[:-1]) == {403}
