"""One slot, one booking — 50 citizens asking for the same time at the same moment.

Exactly one gets the time; every other one is told that it was just taken, with the
next free times; nobody gets an error. Run on SQLite, and on PostgreSQL with
TEST_DATABASE_URL (CI does both). Twice: 50 threads calling `booking.service.book`
(the rule every page, the API and the assistant share), and 50 HTTP requests to
`POST /api/v1/bookings` of a real threaded server, as the assistant and browsers send.

Afterwards the database holds one booking of the time, one chat room, and messages
queued for that booking only: the losers left nothing behind.
"""

from __future__ import annotations

import datetime as dt
import json
import threading
import urllib.error
import urllib.request
from collections import Counter
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor

import pytest
from flask import Flask
from flask_babel import force_locale, gettext
from sqlalchemy import func, select

from portal.booking import service
from portal.booking.models import CANCELLED, Booking, ScheduleRule
from portal.booking.slots import TZ, slot_id
from portal.catalogue import service as catalogue
from portal.core.extensions import db
from portal.livechat.models import Room
from portal.outbox.models import OutboxMessage
from portal.staff import service as staff
from portal.staff.models import TREATER
from tests.booking.own_db import ALCOHOL, HOUSING, booking_app
from tests.conftest import served

CITIZENS = 50


@pytest.fixture(scope="module")
def own_app(tmp_path_factory) -> Iterator[Flask]:
    app = booking_app(tmp_path_factory, "concurrency")
    yield app
    with app.app_context():
        db.engine.dispose()


def first_free_slot(app: Flask) -> service.Slot:
    with app.app_context():
        offer = catalogue.get_offer(ALCOHOL)
        (slot,) = service.next_slots(offer.id, "chat", count=1)
        return slot


def all_at_once(count: int, attempt) -> list:
    """`attempt(i)` in `count` threads released together; their results, in order."""
    start = threading.Barrier(count, timeout=60)

    def run(i: int):
        start.wait()
        return attempt(i)

    with ThreadPoolExecutor(max_workers=count) as pool:
        return list(pool.map(run, range(count)))


def what_is_left(app: Flask, slot: service.Slot) -> tuple[list[Booking], int, list[str]]:
    """The slot's active bookings, the number of chat rooms, the outbox's keys."""
    with app.app_context():
        bookings = list(db.session.scalars(select(Booking).where(
            Booking.treater_id == slot.treater_id, Booking.starts_at == slot.starts_at,
            Booking.status != CANCELLED)))
        rooms = db.session.scalar(select(func.count()).select_from(Room))
        keys = list(db.session.scalars(select(OutboxMessage.key)))
        db.session.expunge_all()
        return bookings, rooms, keys


def assert_one_booking_and_nothing_else(app, slot, winner_reference, before):
    bookings, rooms, keys = what_is_left(app, slot)
    rooms_before, keys_before = before
    assert [b.reference for b in bookings] == [winner_reference]
    assert rooms == rooms_before + 1, "the losers' chat rooms were rolled back"
    new_keys = set(keys) - set(keys_before)
    assert new_keys and all(winner_reference in key for key in new_keys), new_keys


def test_fifty_threads_booking_one_slot_through_the_service(own_app):
    slot = first_free_slot(own_app)
    _, rooms, keys = what_is_left(own_app, slot)

    def attempt(i: int):
        with own_app.app_context():
            try:
                booked = service.book(slot.id, "chat", alias=f"citizen {i}",
                                      email=f"citizen{i}@example.invalid", lang="da")
            except service.SlotTaken as taken:
                return "taken", [s.id for s in taken.next_slots], [s.starts_at for s in
                                                                  taken.next_slots]
            except Exception as error:  # what must never happen: shown in the failure
                return "error", repr(error), None
            return "booked", booked.booking.reference, booked.code

    results = all_at_once(CITIZENS, attempt)

    outcomes = Counter(r[0] for r in results)
    assert outcomes == {"booked": 1, "taken": CITIZENS - 1}, [r for r in results
                                                              if r[0] == "error"][:3]
    (winner,) = [r for r in results if r[0] == "booked"]
    for _, ids, starts in (r for r in results if r[0] == "taken"):
        assert ids, "the next free times come with the answer"
        assert slot.id not in ids
        assert all(start >= slot.starts_at for start in starts)
    assert_one_booking_and_nothing_else(own_app, slot, winner[1], (rooms, keys))

    with own_app.app_context():  # and the time is no longer offered
        assert slot.id not in {s.id for s in service.list_slots(
            slot.offer_id, slot.starts_at.date(), slot.ends_at.date(), "chat")}


# --- over HTTP -----------------------------------------------------------------------


@pytest.fixture(scope="module")
def own_server(own_app) -> Iterator[str]:
    """The portal on its own database, served by werkzeug with a thread per request."""
    with served(own_app) as url:
        yield url


def post_json(url: str, body: dict, lang: str = "da") -> tuple[int, dict]:
    request = urllib.request.Request(url, data=json.dumps(body).encode(), method="POST",
                                     headers={"Content-Type": "application/json",
                                              "Accept-Language": lang})
    try:
        with urllib.request.urlopen(request, timeout=120) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as error:
        raw = error.read()
        try:
            return error.code, json.loads(raw)
        except ValueError:
            return error.code, {"raw": raw[:300].decode(errors="replace")}


def test_fifty_http_requests_for_one_slot(own_app, own_server):
    with own_app.test_client() as client:
        offer_slots = client.get(f"/api/v1/offers/{ALCOHOL}/slots?channel=chat")
    assert offer_slots.status_code == 200, offer_slots.get_data(as_text=True)[:300]
    slot = first_free_slot(own_app)
    assert slot.id in {item["id"] for item in offer_slots.get_json()["items"]}
    _, rooms, keys = what_is_left(own_app, slot)

    def attempt(i: int):
        return post_json(f"{own_server}/api/v1/bookings",
                         {"slot_id": slot.id, "channel": "chat", "alias": f"borger {i}",
                          "phone": f"+45 20 00 {i:02d} 00", "lang": ("da", "en")[i % 2]})

    results = all_at_once(CITIZENS, attempt)
    taken_message = {}
    for lang in ("da", "en"):
        with own_app.test_request_context(), force_locale(lang):
            taken_message[lang] = gettext("That time was just taken. Choose one of the next "
                                          "free times.")
    assert taken_message["da"] != taken_message["en"], "said in Danish to Danish speakers"

    statuses = Counter(status for status, _ in results)
    assert statuses == {201: 1, 409: CITIZENS - 1}, [r for r in results
                                                     if r[0] not in (201, 409)][:3]
    (created,) = [body for status, body in results if status == 201]
    assert created["code"] and created["reference"]
    for i, (status, body) in enumerate(results):
        if status != 409:
            continue
        assert body["error"] == "slot_taken"
        assert body["message"] == taken_message[("da", "en")[i % 2]], body["message"]
        assert body["next_slots"], "the next free times come with the answer"
        assert slot.id not in {s["id"] for s in body["next_slots"]}
        assert all(s["channel"] == "chat" for s in body["next_slots"])
    assert_one_booking_and_nothing_else(own_app, slot, created["reference"], (rooms, keys))


def test_overlapping_times_of_one_treater_on_postgresql(own_app):
    """Two weekly openings of one treater that overlap (the schedule editor refuses them,
    but rows can come from anywhere): 10:00-11:00 and 10:30-11:30 are different slots,
    yet the treater can hold only one. PostgreSQL's exclusion constraint decides, however
    many ask at once; SQLite has only the unique index on the start."""
    if own_app.config["SQLALCHEMY_DATABASE_URI"].startswith("sqlite"):
        pytest.skip("the exclusion constraint on overlapping times is PostgreSQL's")
    with own_app.app_context():
        offer = catalogue.get_offer(HOUSING)
        member = staff.create_member("overlap@test.invalid", "Two rules", None, [TREATER], [])
        db.session.flush()
        today = dt.date.today()
        sunday = today + dt.timedelta(days=7 + (6 - today.weekday()) % 7)
        rules = [ScheduleRule(offer_id=offer.id, treater_id=member.id, weekday=6,
                              opens=dt.time(hour, minute), closes=dt.time(hour + 1, minute),
                              session_minutes=60, channels=["video"], valid_from=today,
                              valid_until=None) for hour, minute in ((10, 0), (10, 30))]
        db.session.add_all(rules)
        db.session.commit()
        ids = [slot_id(rule.id, dt.datetime.combine(sunday, rule.opens, TZ))
               for rule in rules]
        for one in ids:
            assert service.resolve(one, "video").treater_id == member.id

    def attempt(i: int):
        with own_app.app_context():
            try:
                return "booked", service.book(ids[i % 2], "video", lang="da").booking.id
            except service.SlotTaken:
                return "taken", None

    results = all_at_once(CITIZENS, attempt)

    assert Counter(r[0] for r in results) == {"booked": 1, "taken": CITIZENS - 1}
    with own_app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Booking).where(
            Booking.treater_id == member.id)) == 1
