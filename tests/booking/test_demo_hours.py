"""`make run`'s demo schedules (portal/demo.py, `flask demo load`) always leave free chat
times for the virtual alcohol treatment in the next 14 days, both in the evening (from
17:00) and at lunch (11:30-13:00), Copenhagen time — whatever day `make run` is started
on, across the clock changes and with the minimum notice, as `list_slots` (the API's
and the pages' source) shows them.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator

import pytest
from flask import Flask
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from portal.booking import service
from portal.booking.slots import TZ, UTC
from portal.catalogue import service as catalogue
from portal.core.extensions import db
from portal.core.models import utcnow
from tests.booking.own_db import ALCOHOL, booking_app

DAYS = 14
LUNCH = (dt.time(11, 30), dt.time(13, 0))
EVENING = dt.time(17, 0)


@pytest.fixture(scope="module")
def own_app(tmp_path_factory) -> Iterator[Flask]:
    app = booking_app(tmp_path_factory, "demohours")
    yield app
    with app.app_context():
        db.engine.dispose()


def kinds(slots: list[service.Slot]) -> tuple[list, list]:
    lunch = [s for s in slots if LUNCH[0] <= s.starts_at.astimezone(TZ).time()
             and s.ends_at.astimezone(TZ).time() <= LUNCH[1]
             and s.ends_at.astimezone(TZ).date() == s.starts_at.astimezone(TZ).date()]
    evening = [s for s in slots if s.starts_at.astimezone(TZ).time() >= EVENING]
    return lunch, evening


def check_the_next_14_days(app: Flask, now: dt.datetime) -> None:
    with app.app_context():
        offer = catalogue.get_offer(ALCOHOL)
        today = now.astimezone(TZ).date()
        slots = service.list_slots(offer.id, today, today + dt.timedelta(days=DAYS - 1),
                                   "chat", now=now)
        lunch, evening = kinds(slots)
        assert lunch and evening, (now, len(lunch), len(evening))
        assert all(s.starts_at >= now for s in slots)


@settings(max_examples=60, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.timedeltas(dt.timedelta(0), dt.timedelta(days=2 * 366)))
def test_demo_hours_leave_lunch_and_evening_chats_in_the_next_14_days(own_app, later):
    """`flask demo load` was run today (the rules start yesterday); any day after."""
    check_the_next_14_days(own_app, utcnow() + later)


def next_clock_changes() -> list[dt.datetime]:
    """The evenings before the next spring and autumn changes, and the next Christmas Eve."""
    moments, day = [], utcnow().astimezone(TZ).date() + dt.timedelta(days=1)
    while len(moments) < 2:
        noon = dt.datetime.combine(day, dt.time(12), TZ)
        after = dt.datetime.combine(day + dt.timedelta(days=1), dt.time(12), TZ)
        if noon.utcoffset() != after.utcoffset():
            moments.append(dt.datetime.combine(day - dt.timedelta(days=2), dt.time(18), TZ))
        day += dt.timedelta(days=1)
    christmas = dt.date(utcnow().year, 12, 24)
    if christmas <= utcnow().date():
        christmas = christmas.replace(year=christmas.year + 1)
    moments.append(dt.datetime.combine(christmas, dt.time(23, 59), TZ))
    return moments


@pytest.mark.parametrize("now", next_clock_changes(), ids=lambda m: f"{m:%Y-%m-%d %H:%M}")
def test_demo_hours_across_the_next_clock_changes_and_holidays(own_app, now):
    check_the_next_14_days(own_app, now.astimezone(UTC))


def test_a_newcomer_sees_lunch_and_evening_times_through_the_api(own_app):
    """Today, through `GET /api/v1/offers/<slug>/slots` (14 days by default)."""
    with own_app.test_client() as client:
        answer = client.get(f"/api/v1/offers/{ALCOHOL}/slots?channel=chat")
    assert answer.status_code == 200, answer.get_data(as_text=True)[:300]
    items = answer.get_json()["items"]
    starts = [dt.datetime.fromisoformat(item["starts_at"]) for item in items]
    ends = [dt.datetime.fromisoformat(item["ends_at"]) for item in items]
    assert all(s.utcoffset() == s.astimezone(TZ).utcoffset() for s in starts), "Copenhagen"
    last_day = utcnow().astimezone(TZ).date() + dt.timedelta(days=DAYS - 1)
    assert max(starts).date() <= last_day
    assert any(LUNCH[0] <= s.time() and e.time() <= LUNCH[1] for s, e in zip(starts, ends,
                                                                             strict=True))
    assert any(s.time() >= EVENING for s in starts)
