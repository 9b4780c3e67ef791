"""Free times across daylight-saving changes and time zones (property tests).

Rules are Copenhagen wall-clock hours; sessions last their minutes of real time. The
properties hold on every day, and the examples lean on the days the clocks change:
spring forward on 2026-03-29 and 2027-03-28 (02:00 -> 03:00), fall back on 2026-10-25
and 2027-10-31 (03:00 -> 02:00).

The test's own notion of "when the clock first reads a time" is worked out by walking
real minutes (`first_reading`), independently of the code under test.
"""

from __future__ import annotations

import dataclasses
import datetime as dt

import pytest
from hypothesis import HealthCheck, assume, example, given, settings
from hypothesis import strategies as st
from sqlalchemy import delete

from portal.booking import service
from portal.booking.models import Booking, ScheduleException, ScheduleRule
from portal.booking.slots import (
    TZ,
    UTC,
    Busy,
    Rule,
    free_slots,
    parse_slot_id,
    slot_id,
    starts_of,
)
from portal.catalogue import service as catalogue
from portal.core.extensions import db
from portal.core.models import utcnow
from portal.staff import service as staff
from portal.staff.models import TREATER
from tests.booking.own_db import ALCOHOL, booking_app

SPRING = (dt.date(2026, 3, 29), dt.date(2027, 3, 28))
AUTUMN = (dt.date(2026, 10, 25), dt.date(2027, 10, 31))
CHANGE_DAYS = SPRING + AUTUMN
MINUTE = dt.timedelta(minutes=1)

# --- strategies ------------------------------------------------------------------------

days = st.one_of(
    st.sampled_from(CHANGE_DAYS),
    st.sampled_from(CHANGE_DAYS).map(lambda d: d + dt.timedelta(days=1)),
    st.dates(dt.date(2026, 1, 1), dt.date(2028, 12, 31)),
)
# Minutes of the day; often around the change (00:00-04:59), often on a round grid.
minute_of_day = st.one_of(
    st.integers(0, 5 * 60 - 1),
    st.integers(0, 24 * 60 - 1),
    st.integers(0, 24 * 4 - 1).map(lambda q: q * 15),
)
session_minutes = st.one_of(st.sampled_from([15, 20, 25, 30, 45, 50, 60, 90, 120]),
                            st.integers(5, 180))


def clock(minutes: int) -> dt.time:
    return dt.time(minutes // 60, minutes % 60)


@st.composite
def rules_on_a_day(draw) -> tuple[Rule, dt.date]:
    day = draw(days)
    opens = min(draw(minute_of_day), 24 * 60 - 2)
    closes = draw(st.integers(opens + 1, 24 * 60 - 1))
    rule = Rule(1, 1, 1, day.weekday(), clock(opens), clock(closes), draw(session_minutes),
                ("chat",), day - dt.timedelta(days=draw(st.integers(0, 30))), None)
    return rule, day


# --- the test's own clock reading --------------------------------------------------------


def wall(moment: dt.datetime) -> dt.datetime:
    """What a Copenhagen clock reads at `moment` (naive)."""
    return moment.astimezone(TZ).replace(tzinfo=None)


def real_minutes_of(day: dt.date) -> list[dt.datetime]:
    """Every real minute (UTC) whose Copenhagen clock reading falls on `day`, in order."""
    first = dt.datetime.combine(day, dt.time(), UTC) - dt.timedelta(hours=3)
    minutes = (first + i * MINUTE for i in range(30 * 60))
    return [m for m in minutes if wall(m).date() == day]


def first_reading(day: dt.date, time: dt.time) -> dt.datetime:
    """The first real moment at which the clock reads `time` or later on `day` (in the
    spring gap, the moment the clock jumps past it)."""
    target = dt.datetime.combine(day, time)
    for moment in real_minutes_of(day):
        if wall(moment) >= target:
            return moment
    return dt.datetime.combine(day + dt.timedelta(days=1), dt.time(), TZ).astimezone(UTC)


def changed_hour(day: dt.date) -> tuple[dt.datetime, dt.datetime] | None:
    """The wall-clock hour a daylight-saving change touches on `day` (02:00-03:00)."""
    minutes = real_minutes_of(day)
    for before, after in zip(minutes, minutes[1:], strict=False):
        if wall(after) - wall(before) != MINUTE:
            low, high = sorted((wall(before) + MINUTE, wall(after)))
            return low, high
    return None


def grid(rule: Rule, day: dt.date) -> list[dt.datetime]:
    """The wall-clock starts the rule names: opens, opens + minutes, ... (wall arithmetic)."""
    step = dt.timedelta(minutes=rule.minutes)
    walls, start = [], dt.datetime.combine(day, rule.opens)
    while start + step <= dt.datetime.combine(day, rule.closes):
        walls.append(start)
        start += step
    return walls


def exists(naive: dt.datetime) -> bool:
    return wall(naive.replace(tzinfo=TZ).astimezone(UTC)) == naive


def test_the_change_days_are_what_the_tests_think():
    assert [changed_hour(d) for d in SPRING] == [
        (dt.datetime(d.year, d.month, d.day, 2), dt.datetime(d.year, d.month, d.day, 3))
        for d in SPRING]
    assert [changed_hour(d) for d in AUTUMN] == [
        (dt.datetime(d.year, d.month, d.day, 2), dt.datetime(d.year, d.month, d.day, 3))
        for d in AUTUMN]
    assert len(real_minutes_of(SPRING[0])) == 23 * 60
    assert len(real_minutes_of(AUTUMN[0])) == 25 * 60
    assert changed_hour(dt.date(2027, 3, 27)) is None
    # The clock jumps from 01:59 to 03:00: "02:30" is first reached at the jump.
    assert first_reading(SPRING[1], dt.time(2, 30)) == dt.datetime(2027, 3, 28, 1, 0,
                                                                   tzinfo=UTC)


# --- one rule on one day -----------------------------------------------------------------


@settings(max_examples=400, deadline=None)
@given(rules_on_a_day())
# Spring, 45 minutes from 01:30: 01:30 CET runs until 03:15 CEST, so 03:00 would overlap.
@example((Rule(1, 1, 1, 6, dt.time(1, 30), dt.time(4, 0), 45, ("chat",),
               dt.date(2027, 1, 1), None), SPRING[1]))
# Spring, 60 minutes from 01:30 until 03:15: the only start would end at 03:30 CEST.
@example((Rule(1, 1, 1, 6, dt.time(1, 30), dt.time(3, 15), 60, ("chat",),
               dt.date(2027, 1, 1), None), SPRING[1]))
# Autumn: 02:00 and 02:30 happen twice.
@example((Rule(1, 1, 1, 6, dt.time(1, 0), dt.time(4, 0), 30, ("chat",),
               dt.date(2026, 1, 1), None), AUTUMN[0]))
def test_sessions_keep_to_the_rules_hours_across_clock_changes(case):
    rule, day = case
    starts = list(starts_of(rule, day))
    length = dt.timedelta(minutes=rule.minutes)
    opens_at = first_reading(day, rule.opens)
    closes_at = first_reading(day, rule.closes)
    names = grid(rule, day)
    walls = [wall(s) for s in starts]

    assert starts == sorted(starts)
    assert len(set(walls)) == len(walls), "a wall-clock start is offered once"
    for start, local in zip(starts, walls, strict=True):
        assert start.tzinfo is not None and start.utcoffset() == dt.timedelta(0)
        assert local.date() == day and local.weekday() == rule.weekday
        assert local in names, "a start is one of the rule's wall-clock times"
        assert exists(local), "no start in the spring gap"
        assert start.astimezone(TZ).fold == 0, "a repeated time: its first occurrence"
        assert rule.opens <= local.time() < rule.closes
        assert opens_at <= start and start + length <= closes_at, \
            "the session is over by the time the clock first reads the closing time"
    for earlier, later in zip(starts, starts[1:], strict=False):
        assert earlier + length <= later, "sessions of one rule never overlap"

    # Nothing is left out without a reason.
    offered = set(walls)
    for name in names:
        if name in offered or not exists(name):
            continue
        start = name.replace(tzinfo=TZ).astimezone(UTC)
        assert (start + length > closes_at
                or any(s < start + length and start < s + length for s in starts)), \
            f"{name} is missing"
    hour = changed_hour(day)
    if hour is None:
        assert walls == names, "on an ordinary day, exactly the rule's times"
    else:
        untouched = [n for n in names if n + length <= hour[0] or n >= hour[1]]
        before = [n for n in untouched if n < hour[0]]
        assert set(before) <= offered, "the change does not touch sessions before it"


@settings(max_examples=200, deadline=None)
@given(rules_on_a_day(), st.integers(0, 6))
def test_a_rule_opens_nothing_on_other_weekdays_or_outside_its_validity(case, shift):
    rule, day = case
    other = day + dt.timedelta(days=shift + 1)
    if other.weekday() != rule.weekday:
        assert list(starts_of(rule, other)) == []
    expired = dataclasses.replace(rule, valid_until=day - dt.timedelta(days=1))
    not_yet = dataclasses.replace(rule, valid_from=day + dt.timedelta(days=1))
    assert list(starts_of(expired, day)) == list(starts_of(not_yet, day)) == []


# --- several treaters, bookings and exceptions ------------------------------------------


@st.composite
def schedules(draw):
    """Rules of 1-3 treaters on one weekday (a treater's rules do not overlap in wall-clock
    time, like lunch and evening hours), some busy times, and a window of days."""
    day = draw(days)
    rules, next_id = [], 1
    for treater in range(1, draw(st.integers(1, 3)) + 1):
        cuts = sorted(draw(st.lists(minute_of_day, min_size=2, max_size=6, unique=True)))
        for opens, closes in zip(cuts[::2], cuts[1::2], strict=False):
            rules.append(Rule(next_id, 7, treater, day.weekday(), clock(opens), clock(closes),
                              draw(session_minutes), ("chat",), day - dt.timedelta(days=7),
                              None))
            next_id += 1
    base = dt.datetime.combine(day, dt.time(), TZ).astimezone(UTC)
    busy = [Busy(draw(st.integers(1, 3)), base + dt.timedelta(minutes=at),
                 base + dt.timedelta(minutes=at + length))
            for at, length in draw(st.lists(st.tuples(st.integers(-60, 25 * 60),
                                                      st.integers(1, 240)), max_size=6))]
    first = day - dt.timedelta(days=draw(st.integers(0, 8)))
    last = day + dt.timedelta(days=draw(st.integers(0, 8)))
    not_before = base + dt.timedelta(minutes=draw(st.integers(-3 * 24 * 60, 24 * 60)))
    not_after = not_before + dt.timedelta(minutes=draw(st.integers(0, 12 * 24 * 60)))
    return rules, busy, first, last, not_before, not_after


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(schedules())
def test_free_slots_never_overlap_for_a_treater_and_avoid_busy_times(case):
    rules, busy, first, last, not_before, not_after = case
    slots = free_slots(rules, busy, first, last, not_before, not_after)
    by_id = {r.id: r for r in rules}

    assert slots == sorted(slots, key=lambda s: (s.starts_at, s.treater_id))
    for slot in slots:
        rule = by_id[slot.rule_id]
        assert slot.treater_id == rule.treater_id and slot.offer_id == rule.offer_id
        assert slot.ends_at - slot.starts_at == dt.timedelta(minutes=rule.minutes), \
            "a slot lasts exactly its minutes of real time"
        assert not_before <= slot.starts_at <= not_after
        assert first <= wall(slot.starts_at).date() <= last
        assert slot.starts_at in set(starts_of(rule, wall(slot.starts_at).date()))
        assert not any(b.treater_id == slot.treater_id and b.starts_at < slot.ends_at
                       and slot.starts_at < b.ends_at for b in busy)
        assert parse_slot_id(slot.id) == (slot.rule_id, slot.starts_at)
    for treater in {r.treater_id for r in rules}:
        own = [s for s in slots if s.treater_id == treater]
        for a, b in zip(own, own[1:], strict=False):
            assert a.ends_at <= b.starts_at, f"{a} overlaps {b}"
    # ... and every start a rule opens is free unless busy or outside the window.
    day = first
    while day <= last:
        for rule in rules:
            for start in starts_of(rule, day):
                end = start + dt.timedelta(minutes=rule.minutes)
                clash = any(b.treater_id == rule.treater_id and b.starts_at < end
                            and start < b.ends_at for b in busy)
                if not_before <= start <= not_after and not clash:
                    assert any(s.rule_id == rule.id and s.starts_at == start for s in slots)
        day += dt.timedelta(days=1)


# --- slot ids ------------------------------------------------------------------------------

moments = st.datetimes(dt.datetime(1971, 1, 1), dt.datetime(9998, 12, 31),
                       timezones=st.sampled_from([UTC, TZ, dt.timezone(dt.timedelta(hours=-9,
                                                                                 minutes=-30))])
                       ).map(lambda m: m.replace(second=0, microsecond=0))


@given(st.integers(1, 999_999_999), moments)
def test_slot_ids_round_trip(rule_id, moment):
    text = slot_id(rule_id, moment)
    assert parse_slot_id(text) == (rule_id, moment.astimezone(UTC))
    assert parse_slot_id(text)[1].tzinfo is not None


@given(st.one_of(st.text(max_size=30),
                 st.from_regex(r"\A[0-9]{1,10}-[0-9]{11,13}\n?\Z"),
                 st.from_regex(r"\A\d{1,3}-\d{12}\Z")))
@example("7-202702300130")   # 30 February
@example("7-202703281290")   # minute 90
@example("007-202703280130")  # the same slot, written differently
@example("7-202703280130\n")
@example("٧-٢٠٢٧٠٣٢٨٠١٣٠")   # Arabic-Indic digits
def test_only_canonical_slot_ids_parse(text):
    """Anything parse_slot_id accepts is exactly what slot_id writes for it: one slot has
    one id, so the id a page offered and the id a client sends compare equal."""
    parsed = parse_slot_id(text)
    if parsed is not None:
        assert slot_id(*parsed) == text


# --- list_slots and resolve agree, in the database -----------------------------------------


@pytest.fixture(scope="module")
def night_app(tmp_path_factory):
    app = booking_app(tmp_path_factory, "slots")
    with app.app_context():
        offer = catalogue.get_offer(ALCOHOL)
        member = staff.create_member("nat@test.invalid", "Night treater", None, [TREATER], [])
        db.session.commit()
        app.config["TEST_OFFER_ID"], app.config["TEST_TREATER_ID"] = offer.id, member.id
    yield app
    with app.app_context():
        db.engine.dispose()


@settings(max_examples=40, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(day=st.sampled_from([SPRING[1], AUTUMN[0], AUTUMN[1]]), opens=st.integers(0, 5 * 60),
       span=st.integers(15, 6 * 60), minutes=session_minutes,
       off=st.one_of(st.none(), st.tuples(st.integers(0, 6 * 60), st.integers(1, 120))))
@example(day=SPRING[1], opens=90, span=150, minutes=45, off=None)
@example(day=AUTUMN[0], opens=60, span=180, minutes=30, off=None)
@example(day=AUTUMN[1], opens=120, span=60, minutes=20, off=(150, 30))
def test_resolve_accepts_exactly_the_starts_list_slots_offers(night_app, day, opens, span,
                                                               minutes, off):
    """Around the changes of 2027-03-28, 2026-10-25 and 2027-10-31: every id list_slots
    shows can be booked, and no other start of the rule can (an hour off, a minute off,
    the repeated hour's second occurrence, the spring gap)."""
    closes = min(opens + span, 24 * 60 - 1)
    assume(closes > opens)
    now = dt.datetime.combine(day - dt.timedelta(days=3), dt.time(12), UTC)
    treater = night_app.config["TEST_TREATER_ID"]
    with night_app.app_context():
        db.session.execute(delete(ScheduleRule).where(ScheduleRule.treater_id == treater))
        db.session.execute(delete(ScheduleException).where(
            ScheduleException.treater_id == treater))
        rule = ScheduleRule(offer_id=night_app.config["TEST_OFFER_ID"], treater_id=treater,
                            weekday=day.weekday(), opens=clock(opens), closes=clock(closes),
                            session_minutes=minutes, channels=["video"],
                            valid_from=day - dt.timedelta(days=30), valid_until=None)
        db.session.add(rule)
        if off is not None:
            at = dt.datetime.combine(day, dt.time(), TZ).astimezone(UTC) + dt.timedelta(
                minutes=off[0])
            db.session.add(ScheduleException(treater_id=treater, starts_at=at,
                                             ends_at=at + dt.timedelta(minutes=off[1]),
                                             reason="test"))
        db.session.commit()

        listed = service.list_slots(rule.offer_id, day - dt.timedelta(days=1),
                                    day + dt.timedelta(days=1), "video", now=now)
        offered = {s.starts_at for s in listed}
        assert all(s.rule_id == rule.id for s in listed)  # the demo treaters have no video

        candidates = set(offered)
        for name in grid(service._rule(rule), day):
            for fold in (0, 1):
                base = name.replace(tzinfo=TZ, fold=fold).astimezone(UTC)
                candidates |= {base + dt.timedelta(minutes=d) for d in (-60, -1, 0, 1, 60)}
        for start in sorted(candidates):
            try:
                slot = service.resolve(slot_id(rule.id, start), "video", now=now)
            except service.SlotUnavailable:
                assert start not in offered, f"{wall(start)} is offered, but refused"
            else:
                assert start in offered, f"{wall(start)} ({start:%H:%M}Z) is not offered"
                assert slot.ends_at - slot.starts_at == dt.timedelta(minutes=minutes)
            if start in offered:
                with pytest.raises(service.SlotUnavailable):
                    service.resolve(slot_id(rule.id, start), "chat", now=now)
        db.session.rollback()


@settings(max_examples=25, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(after_hours=st.one_of(st.none(), st.integers(0, 40 * 24)),
       count=st.integers(1, 40), booked=st.lists(st.integers(0, 60), max_size=8))
def test_next_slots_are_the_first_free_times_after(night_app, after_hours, count, booked):
    """The times a "just taken" answer offers: the first `count` of everything free
    from `after` on, however far ahead they are (the lookup goes a few days at a time)."""
    now = utcnow()
    with night_app.app_context():
        offer_id = night_app.config["TEST_OFFER_ID"]
        everything = service.list_slots(offer_id, now.date() - dt.timedelta(days=1),
                                        now.date() + dt.timedelta(days=60), "chat", now=now)
        for index in sorted(set(booked)):
            if index < len(everything):  # some of the demo treaters' times are booked
                slot = everything[index]
                db.session.add(Booking(
                    reference=f"T{index:03d}-TEST", code_hash="-", offer_id=offer_id,
                    treater_id=slot.treater_id, starts_at=slot.starts_at,
                    ends_at=slot.ends_at, channel="chat", lang="da"))
        db.session.flush()
        after = None if after_hours is None else now + dt.timedelta(hours=after_hours)
        free = service.list_slots(offer_id, now.date() - dt.timedelta(days=1),
                                  now.date() + dt.timedelta(days=60), "chat", now=now)
        expected = [s for s in free if after is None or s.starts_at >= after][:count]
        assert service.next_slots(offer_id, "chat", after, count, now=now) == expected
        db.session.rollback()
