"""The treater's pages: their day, marking attendance, their weekly schedule and absences
(and what they do to the free times citizens see), and their units' requests."""

from __future__ import annotations

import datetime as dt
import re

import pytest

from portal import demo
from portal.booking import service
from portal.booking.models import BookingRequest, ScheduleRule
from portal.booking.slots import TZ
from portal.core.extensions import db
from portal.core.i18n import format_moment
from portal.core.models import utcnow
from portal.livechat import service as livechat
from tests.staff.helpers import (
    make_booking,
    new_member,
    offer_id,
    text_of,
    token,
    treater_client,
)

SCHEDULE = "/personale/skema"
SATURDAY = 5  # the demo treaters have no Saturday hours


@pytest.fixture(autouse=True)
def clean_schedules(staff_app):
    """Each test's treaters' hours and absences go when it ends: the free times a test
    looks at are its own treater's only (citizens see one slot per time)."""
    yield
    from portal.booking.models import ScheduleException
    from portal.staff.models import StaffMember

    with staff_app.app_context():
        test_members = db.session.query(StaffMember.id).filter(~StaffMember.demo)
        db.session.query(ScheduleRule).filter(ScheduleRule.treater_id.in_(test_members)) \
            .delete(synchronize_session=False)
        db.session.query(ScheduleException).filter(
            ScheduleException.treater_id.in_(test_members)).delete(synchronize_session=False)
        db.session.commit()


def next_weekday(weekday: int, weeks: int = 0) -> dt.date:
    today = utcnow().astimezone(TZ).date() + dt.timedelta(days=1)
    return today + dt.timedelta(days=(weekday - today.weekday()) % 7 + 7 * weeks)


def free_starts(app, treater_id: int, day: dt.date) -> list[str]:
    """The free times ("10:00") the treater offers citizens on a Copenhagen day."""
    with app.app_context():
        slots = service.list_slots(offer_id(app), day, day, "chat")
        return [f"{s.local_start:%H:%M}" for s in slots if s.treater_id == treater_id]


def add_hours(client, app, lang: str = "da", **fields):
    url = SCHEDULE + "/aabningstider" if lang == "da" else "/en/staff/schedule/hours"
    data = {"offer": str(offer_id(app)), "weekday": str(SATURDAY), "opens": "10:00",
            "closes": "12:00", "session_minutes": "30", "channels": "chat",
            "csrf_token": token(client, SCHEDULE), **fields}
    return client.post(url, data=data)


def rules_of(app, treater_id: int) -> list[tuple[int, str, str]]:
    with app.app_context():
        return [(r.weekday, f"{r.opens:%H:%M}", f"{r.closes:%H:%M}")
                for r in service.rules_of_treater(treater_id)]


# --- the weekly schedule -------------------------------------------------------------------


def test_opening_hours_added_on_the_page_become_free_times(staff_app):
    client, me = treater_client(staff_app)
    saturday = next_weekday(SATURDAY)
    assert free_starts(staff_app, me, saturday) == []
    response = add_hours(client, staff_app)
    assert response.status_code == 303
    page = text_of(client.get(SCHEDULE).get_data(as_text=True))
    assert "lørdag 10.00–12.00" in page or "Saturday 10:00–12:00" in page
    assert free_starts(staff_app, me, saturday) == ["10:00", "10:30", "11:00", "11:30"]


def test_overlapping_hours_are_refused_with_a_clear_message(staff_app):
    client, me = treater_client(staff_app)
    assert add_hours(client, staff_app).status_code == 303
    refused = add_hours(client, staff_app, lang="en", opens="11:30", closes="13:00")
    assert refused.status_code == 400
    html = refused.get_data(as_text=True)
    assert ("These hours overlap your opening hours Saturday 10:00–12:00. Choose other "
            "times, or remove those hours first.") in text_of(html)
    assert 'value="11:30"' in html and 'value="13:00"' in html  # what was typed is kept
    assert rules_of(staff_app, me) == [(SATURDAY, "10:00", "12:00")]
    # Back to back is not an overlap.
    assert add_hours(client, staff_app, opens="12:00", closes="13:00").status_code == 303
    assert len(rules_of(staff_app, me)) == 2


def test_hours_of_another_offer_at_the_same_time_overlap_too(staff_app):
    """One treater holds one session at a time, whatever the offer."""
    _colleague, _ = new_member(staff_app, unit="bostoette-holstebro")
    client, me = treater_client(staff_app, unit="bostoette-holstebro")
    housing = offer_id(staff_app, demo.HOUSING)
    assert add_hours(client, staff_app, offer=str(housing)).status_code == 303
    with staff_app.app_context():  # a rule for the alcohol offer, e.g. set up by an admin
        db.session.add(ScheduleRule(offer_id=offer_id(staff_app), treater_id=me, weekday=0,
                                    opens=dt.time(8), closes=dt.time(9), session_minutes=30,
                                    channels=["chat"], valid_from=dt.date.today()))
        db.session.commit()
    refused = add_hours(client, staff_app, offer=str(offer_id(staff_app)), opens="11:00",
                        closes="11:30")
    assert refused.status_code == 400


@pytest.mark.parametrize("fields, field, message", [
    ({"opens": "25:00"}, "opens", "Write the time as hours and minutes, for example 17:00."),
    ({"closes": "kl. fem"}, "closes", "Write the time as hours and minutes, for example 17:00."),
    ({"opens": "12:00", "closes": "10:00"}, "closes",
     "The closing time must be after the opening time."),
    ({"closes": "10:15"}, "closes", "The opening hours are shorter than one session."),
    ({"session_minutes": "7"}, "session_minutes", "Choose a session length."),
    ({"weekday": "9"}, "weekday", "Choose a weekday."),
    ({"channels": ""}, "channels", "Choose at least one way of holding the session."),
    ({"channels": "video"}, "channels", "This offer is held by chat only."),
    ({"offer": "999999"}, "offer", "Choose one of the offers."),
])
def test_bad_hours_get_a_message_at_their_field(staff_app, fields, field, message):
    client, me = treater_client(staff_app)
    response = add_hours(client, staff_app, lang="en", **fields)
    assert response.status_code == 400
    html = response.get_data(as_text=True)
    assert message in text_of(html)
    assert re.search(r'id="rule-[a-z-]+-error"', html)
    assert rules_of(staff_app, me) == []


def test_a_treater_cannot_open_hours_for_another_units_offer(staff_app):
    client, me = treater_client(staff_app)  # the alcohol-treatment unit
    response = add_hours(client, staff_app, offer=str(offer_id(staff_app, demo.HOUSING)))
    assert response.status_code == 400
    assert rules_of(staff_app, me) == []


def test_removing_hours_removes_the_free_times_and_only_ones_own(staff_app):
    client, me = treater_client(staff_app)
    add_hours(client, staff_app)
    with staff_app.app_context():
        rule_id = service.rules_of_treater(me)[0].id
    other, _other_id = treater_client(staff_app)
    forged = other.post(f"{SCHEDULE}/aabningstider/{rule_id}/fjern",
                        data={"csrf_token": token(other, SCHEDULE)})
    assert forged.status_code == 404
    assert rules_of(staff_app, me) != []
    for bad in ["x", "0", "99999999999"]:
        assert client.post(f"{SCHEDULE}/aabningstider/{bad}/fjern",
                           data={"csrf_token": token(client, SCHEDULE)}).status_code == 404
    removed = client.post(f"{SCHEDULE}/aabningstider/{rule_id}/fjern",
                          data={"csrf_token": token(client, SCHEDULE)})
    assert removed.status_code == 303
    assert rules_of(staff_app, me) == []
    assert free_starts(staff_app, me, next_weekday(SATURDAY)) == []


# --- absences -------------------------------------------------------------------------------


def add_absence(client, **fields):
    data = {"from_date": "", "from_time": "", "to_date": "", "to_time": "", "reason": "",
            "csrf_token": token(client, SCHEDULE), **fields}
    return client.post("/en/staff/schedule/absence", data=data)


def test_an_absence_removes_the_free_times_in_it_and_only_those(staff_app):
    client, me = treater_client(staff_app)
    add_hours(client, staff_app)
    first, second = next_weekday(SATURDAY), next_weekday(SATURDAY, weeks=1)
    with staff_app.app_context():
        slot = [s for s in service.list_slots(offer_id(staff_app), first, first, "chat")
                if s.treater_id == me][0]
    response = add_absence(client, from_date=f"{first.day}.{first.month}.{first.year}",
                           to_date=first.isoformat(), reason="Ferie")
    assert response.status_code == 303
    page = client.get("/en/staff/schedule").get_data(as_text=True)
    assert "Ferie" in page and "The absence is added" in text_of(page)
    assert free_starts(staff_app, me, first) == []
    assert free_starts(staff_app, me, second) == ["10:00", "10:30", "11:00", "11:30"]
    with staff_app.app_context(), pytest.raises(service.SlotUnavailable):
        service.resolve(slot.id, "chat")  # nor can it be booked by its id
    # Part of a day: from 11:00.
    add_absence(client, from_date=second.isoformat(), from_time="11:00",
                to_date=second.isoformat())
    assert free_starts(staff_app, me, second) == ["10:00", "10:30"]
    # Removed again: the times come back.
    with staff_app.app_context():
        ids = [e.id for e in service.exceptions_of_treater(me)]
    for exception_id in ids:
        response = client.post(f"/en/staff/schedule/absence/{exception_id}/remove",
                               data={"csrf_token": token(client, SCHEDULE)})
        assert response.status_code == 303
    assert free_starts(staff_app, me, first) == ["10:00", "10:30", "11:00", "11:30"]


def test_an_absence_keeps_the_bookings_in_it_and_says_so(staff_app):
    client, me = treater_client(staff_app)
    start = dt.datetime.combine(next_weekday(SATURDAY), dt.time(10), TZ).astimezone(dt.UTC)
    make_booking(staff_app, me, start)
    day = next_weekday(SATURDAY).isoformat()
    assert add_absence(client, from_date=day, to_date=day).status_code == 303
    assert "You already have 1 booking(s) in it: they are kept." in text_of(
        client.get("/en/staff/schedule").get_data(as_text=True))


@pytest.mark.parametrize("fields, message", [
    ({"from_date": "2026-13-40", "to_date": "2026-12-01"},
     "Write the date as day.month.year, for example 24.12.2026."),
    ({"from_date": "2026-12-02", "to_date": "2026-12-01"}, "The absence must end after it starts."),
    ({"from_date": "2026-12-01", "to_date": "2026-12-01", "from_time": "26:00"},
     "Write the time as hours and minutes, for example 17:00."),
    ({"from_date": "2026-12-01", "to_date": "2028-12-01"},
     "An absence can be at most a year. Add a new one after it."),
    ({"from_date": "0001-01-01", "to_date": "0001-01-02"},
     "Write the date as day.month.year, for example 24.12.2026."),
    ({"from_date": "9999-12-31", "to_date": "9999-12-31"},
     "Write the date as day.month.year, for example 24.12.2026."),
])
def test_bad_absences_get_a_message_and_keep_what_was_typed(staff_app, fields, message):
    client, me = treater_client(staff_app)
    response = add_absence(client, reason="Kursus", **fields)
    assert response.status_code == 400
    html = response.get_data(as_text=True)
    assert message in text_of(html)
    assert 'value="Kursus"' in html
    with staff_app.app_context():
        assert service.exceptions_of_treater(me) == []


def test_a_treater_cannot_remove_another_treaters_absence(staff_app):
    client, me = treater_client(staff_app)
    day = next_weekday(SATURDAY).isoformat()
    add_absence(client, from_date=day, to_date=day)
    with staff_app.app_context():
        exception_id = service.exceptions_of_treater(me)[0].id
    other, _ = treater_client(staff_app)
    assert other.post(f"/en/staff/schedule/absence/{exception_id}/remove",
                      data={"csrf_token": token(other, SCHEDULE)}).status_code == 404
    with staff_app.app_context():
        assert len(service.exceptions_of_treater(me)) == 1


# --- the day and a session -------------------------------------------------------------------


def test_the_day_lists_the_treaters_own_bookings_with_their_times(staff_app):
    client, me = treater_client(staff_app)
    other_id, _ = new_member(staff_app)
    day = next_weekday(1)  # a Tuesday
    start = dt.datetime.combine(day, dt.time(17, 30), TZ).astimezone(dt.UTC)
    mine, _code, _room = make_booking(staff_app, me, start, alias="Sol")
    theirs, _code, _room = make_booking(staff_app, other_id, start, alias="Måne")
    page = text_of(client.get(f"/personale/dag?date={day.isoformat()}").get_data(as_text=True))
    assert format_moment(start, "da") in page  # "tirsdag 1. dec. kl. 17.30"
    assert re.search(r"tirsdag \d+\. \w+\.? kl\. 17\.30", page)
    assert "Sol" in page and mine in page
    assert "Måne" not in page and theirs not in page
    english = text_of(client.get(f"/en/staff/day?date={day.isoformat()}").get_data(
        as_text=True))
    assert format_moment(start, "en") in english and "Tuesday" in english
    assert "Chat" in english and "Booked" in english and "Open the session" in english


def test_the_day_moves_by_day_and_to_any_date(staff_app):
    client, _me = treater_client(staff_app)
    today = utcnow().astimezone(TZ).date()
    html = client.get("/en/staff/day").get_data(as_text=True)
    assert f"date={(today + dt.timedelta(days=1)).isoformat()}" in html
    assert f"date={(today - dt.timedelta(days=1)).isoformat()}" in html
    assert "No sessions booked this day." in text_of(html)
    html = client.get("/en/staff/day?date=24.12.2026").get_data(as_text=True)
    assert "Thursday 24 December 2026" in text_of(html)
    bad = client.get("/en/staff/day?date=yesterday")
    assert bad.status_code == 400
    assert "Write the date as day.month.year" in text_of(bad.get_data(as_text=True))


def test_marking_a_session_attended_or_not_attended(staff_app):
    client, me = treater_client(staff_app)
    reference, _code, room = make_booking(staff_app, me)  # started 5 minutes ago
    later, _code, _room = make_booking(staff_app, me, utcnow() + dt.timedelta(hours=2))
    url = f"/en/staff/session/{reference}/attendance"
    done = client.post(url, data={"csrf_token": token(client, "/en/staff/day"),
                                  "status": "attended", "next": "/en/staff/day"})
    assert done.status_code == 303 and done.headers["Location"] == "/en/staff/day"
    with staff_app.app_context():
        assert service.by_reference(reference).status == "attended"
        assert livechat.get_room(room).closed_at is not None  # the chat is over
    assert "is marked as attended" in text_of(client.get("/en/staff/day").get_data(
        as_text=True))
    client.post(url, data={"csrf_token": token(client, "/en/staff/day"), "status": "no-show"})
    with staff_app.app_context():
        assert service.by_reference(reference).status == "no-show"
    # Not before it has started; nor any other status.
    for status, ref in [("attended", later), ("cancelled", reference), ("", reference)]:
        client.post(f"/en/staff/session/{ref}/attendance",
                    data={"csrf_token": token(client, "/en/staff/day"), "status": status})
    with staff_app.app_context():
        assert service.by_reference(later).status == "booked"
        assert service.by_reference(reference).status == "no-show"


def test_a_cancelled_booking_shows_as_cancelled_without_actions(staff_app):
    client, me = treater_client(staff_app)
    reference, _code, _room = make_booking(staff_app, me)
    with staff_app.app_context():
        service.cancel(service.by_reference(reference))
    html = client.get("/en/staff/day").get_data(as_text=True)
    assert "Cancelled" in text_of(html)
    assert f"/en/staff/session/{reference}/attendance" not in html


def test_the_session_page_for_video_and_phone(staff_app):
    client, me = treater_client(staff_app, unit="bostoette-holstebro")
    video, _code, _ = make_booking(staff_app, me, channel="video", offer=demo.HOUSING)
    phone, _code, _ = make_booking(staff_app, me, utcnow() + dt.timedelta(hours=3),
                                   channel="phone", phone="+45 12 34 56 78", offer=demo.HOUSING)
    html = client.get(f"/en/staff/session/{video}").get_data(as_text=True)
    assert "No video service is configured" in text_of(html)
    staff_app.config["VIDEO_BASE_URL"] = "https://video.example/room/"
    try:
        html = client.get(f"/en/staff/session/{video}").get_data(as_text=True)
        assert f'href="https://video.example/room/{video}"' in html
    finally:
        staff_app.config["VIDEO_BASE_URL"] = ""
    html = client.get(f"/en/staff/session/{phone}").get_data(as_text=True)
    assert 'href="tel:+4512345678"' in html


# --- requests for a time ---------------------------------------------------------------------


def make_request(app, slug: str, alias: str) -> str:
    with app.app_context():
        from portal.catalogue import service as catalogue

        request = service.request_time(catalogue.get_offer(slug).id, alias, None, "+4512345678",
                                       "Gerne om aftenen", "da")
        return request.reference


def test_requests_of_the_units_offers_and_marking_them_handled(staff_app):
    client, _me = treater_client(staff_app)  # alcohol treatment
    alcohol = make_request(staff_app, demo.ALCOHOL, "Ask")
    housing = make_request(staff_app, demo.HOUSING, "Birk")
    page = text_of(client.get("/en/staff/requests").get_data(as_text=True))
    assert alcohol in page and "Ask" in page and "Gerne om aftenen" in page
    assert housing not in page and "Birk" not in page
    # Another unit's request cannot be touched by its reference.
    forged = client.post(f"/en/staff/requests/{housing}/handled",
                         data={"csrf_token": token(client, "/en/staff/requests")})
    assert forged.status_code == 404
    done = client.post(f"/en/staff/requests/{alcohol}/handled",
                       data={"csrf_token": token(client, "/en/staff/requests")})
    assert done.status_code == 303
    assert f"Request {alcohol} is marked as handled." in text_of(
        client.get("/en/staff/requests").get_data(as_text=True))  # the notice, once
    assert alcohol not in text_of(client.get("/en/staff/requests").get_data(as_text=True))
    everything = text_of(client.get("/en/staff/requests?all=1").get_data(as_text=True))
    assert alcohol in everything and "Handled" in everything
    with staff_app.app_context():
        assert db.session.query(BookingRequest).filter_by(
            reference=housing).one().status == "new"

