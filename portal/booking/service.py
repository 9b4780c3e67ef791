"""Booking virtual sessions: the rules, one place for the pages, the API and the bot.

- Which times are free (`list_slots`, `next_slots`): the weekly rules of the offer's
  treaters minus exceptions and bookings, from `BOOKING_MIN_NOTICE_MINUTES` ahead up to
  `BOOKING_HORIZON_DAYS`.
- Booking a slot (`book`): checked again, then inserted; the database refuses a second
  booking of the same time (unique index; on PostgreSQL also no overlap), and the loser
  gets `SlotTaken` with the next free times. The booking, its chat room and its
  messages are one transaction: all or nothing.
- Opening a booking (`open_booking`): reference and code; a wrong code and an unknown
  reference look the same, and both count towards a rate limit.
- Cancelling, moving, marking attendance; a request when no time is free soon enough.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from flask import current_app
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError, OperationalError

from portal.booking import links, notify
from portal.booking.models import (
    ATTENDED,
    BOOKED,
    CANCELLED,
    CHANNELS,
    NO_SHOW,
    Booking,
    BookingRequest,
    ScheduleException,
    ScheduleRule,
)
from portal.booking.slots import (
    TZ,
    Busy,
    Rule,
    Slot,
    free_slots,
    local_day,
    parse_slot_id,
    starts_of,
)
from portal.catalogue import service as catalogue
from portal.core import codes
from portal.core.extensions import db
from portal.core.models import utcnow
from portal.livechat import service as livechat

NEXT_SLOTS = 3


class SlotUnavailable(Exception):
    """The slot id names no bookable time (never was, gone by, or not this channel)."""


class SlotTaken(Exception):
    """Somebody else has just booked the time."""

    def __init__(self, next_slots: list[Slot]) -> None:
        super().__init__("slot taken")
        self.next_slots = next_slots


class AccessDenied(Exception):
    """Unknown reference or wrong code (the two are never told apart)."""


class TooManyAttempts(Exception):
    def __init__(self, retry_after: int) -> None:
        super().__init__("too many attempts")
        self.retry_after = retry_after


@dataclass(frozen=True)
class Booked:
    booking: Booking
    code: str  # shown once; only its hash is kept


# --- free times ----------------------------------------------------------------------


def _rule(row: ScheduleRule) -> Rule:
    return Rule(row.id, row.offer_id, row.treater_id, row.weekday, row.opens, row.closes,
                row.session_minutes, tuple(row.channels), row.valid_from, row.valid_until)


def rules_for(offer_id: int) -> list[Rule]:
    return [_rule(r) for r in db.session.scalars(
        select(ScheduleRule).where(ScheduleRule.offer_id == offer_id))]


def offers_in_use(offer_ids: set[int]) -> set[int]:
    """Which of these offers have bookings or requests (so must never be deleted)."""
    if not offer_ids:
        return set()
    booked = db.session.scalars(select(Booking.offer_id).where(
        Booking.offer_id.in_(offer_ids)).distinct())
    requested = db.session.scalars(select(BookingRequest.offer_id).where(
        BookingRequest.offer_id.in_(offer_ids)).distinct())
    return set(booked) | set(requested)


def is_bookable(offer_id: int) -> bool:
    """Whether citizens book this offer's sessions here (its treaters have schedules)."""
    return db.session.scalar(
        select(ScheduleRule.id).where(ScheduleRule.offer_id == offer_id).limit(1)) is not None


def booking_path(offer_id: int, slug: str, lang: str) -> str | None:
    """The page where citizens book the offer's sessions, or None when it has none."""
    if not is_bookable(offer_id):
        return None
    return links.BOOK[lang].replace("<slug>", slug)


def _busy(treater_ids: set[int], start: dt.datetime, end: dt.datetime) -> list[Busy]:
    if not treater_ids:
        return []
    bookings = db.session.execute(select(
        Booking.treater_id, Booking.starts_at, Booking.ends_at).where(
        Booking.treater_id.in_(treater_ids), Booking.status != CANCELLED,
        Booking.starts_at < end, Booking.ends_at > start))
    exceptions = db.session.execute(select(
        ScheduleException.treater_id, ScheduleException.starts_at, ScheduleException.ends_at
    ).where(ScheduleException.treater_id.in_(treater_ids),
            ScheduleException.starts_at < end, ScheduleException.ends_at > start))
    return [Busy(*row) for row in [*bookings, *exceptions]]


def window(now: dt.datetime | None = None) -> tuple[dt.datetime, dt.datetime]:
    """The earliest and the latest start a citizen may book now."""
    now = now or utcnow()
    config = current_app.config
    return (now + dt.timedelta(minutes=config["BOOKING_MIN_NOTICE_MINUTES"]),
            now + dt.timedelta(days=config["BOOKING_HORIZON_DAYS"]))


def list_slots(offer_id: int, first_day: dt.date, last_day: dt.date,
               channel: str | None = None, now: dt.datetime | None = None) -> list[Slot]:
    """Free slots of the offer on the Copenhagen days `first_day`..`last_day`: one per
    start time (when several treaters are free then, the first of them)."""
    rules = [r for r in rules_for(offer_id) if channel is None or channel in r.channels]
    not_before, not_after = window(now)
    first_day = max(first_day, local_day(not_before))
    last_day = min(last_day, local_day(not_after))
    if not rules or first_day > last_day:
        return []
    start = dt.datetime.combine(first_day, dt.time(), TZ)
    end = dt.datetime.combine(last_day + dt.timedelta(days=1), dt.time(), TZ)
    busy = _busy({r.treater_id for r in rules}, start, end)
    slots: dict[dt.datetime, Slot] = {}
    for slot in free_slots(rules, busy, first_day, last_day, not_before, not_after):
        slots.setdefault(slot.starts_at, slot)
    return list(slots.values())


def next_slots(offer_id: int, channel: str | None, after: dt.datetime | None = None,
               count: int = NEXT_SLOTS, now: dt.datetime | None = None) -> list[Slot]:
    """The first `count` free slots from `after` on (all the bookable days ahead).

    Looked for 2, 4, 8, ... days at a time: the next free times are usually within days,
    and every "that time was just taken" answer asks for them (`bench/booking.py`)."""
    not_before, not_after = window(now)
    day = local_day(max(after or not_before, not_before))
    last = local_day(not_after)
    found: list[Slot] = []
    span = 2
    while day <= last and len(found) < count:
        until = min(day + dt.timedelta(days=span - 1), last)
        found += [s for s in list_slots(offer_id, day, until, channel, now)
                  if after is None or s.starts_at >= after]
        day, span = until + dt.timedelta(days=1), span * 2
    return found[:count]


def resolve(slot_id: str, channel: str, now: dt.datetime | None = None) -> Slot:
    """The free-or-booked slot a slot id names, if it can be booked at all now."""
    parsed = parse_slot_id(slot_id)
    if parsed is None:
        raise SlotUnavailable
    rule_id, start = parsed
    row = db.session.get(ScheduleRule, rule_id)
    if row is None or channel not in row.channels:
        raise SlotUnavailable
    rule = _rule(row)
    not_before, not_after = window(now)
    if not not_before <= start <= not_after:
        raise SlotUnavailable
    if start not in set(starts_of(rule, local_day(start))):
        raise SlotUnavailable
    end = start + dt.timedelta(minutes=rule.minutes)
    exceptions = db.session.scalar(select(ScheduleException.id).where(
        ScheduleException.treater_id == rule.treater_id,
        ScheduleException.starts_at < end, ScheduleException.ends_at > start).limit(1))
    if exceptions is not None:
        raise SlotUnavailable
    return Slot(rule.id, rule.offer_id, rule.treater_id, start, end, rule.channels)


# --- booking -------------------------------------------------------------------------


def count_booking_attempt(requester: str | None) -> None:
    """Count one booking or request by `requester` (an address; None for a trusted
    server-to-server client); `TooManyAttempts` when they have made too many."""
    if requester is None:
        return
    limiter = current_app.extensions.get("booking_limiter")
    if limiter is None:
        from portal.core.ratelimit import RateLimiter

        config = current_app.config
        limiter = current_app.extensions.setdefault("booking_limiter", RateLimiter(
            config["RATELIMIT_STORAGE_URI"], {"booking-make": config["BOOKING_RATE_LIMIT"]}))
    wait = limiter.retry_after({"booking-make": requester})
    if wait is not None:
        raise TooManyAttempts(wait)


def book(slot_id: str, channel: str, alias: str | None = None, email: str | None = None,
         phone: str | None = None, lang: str = "da", now: dt.datetime | None = None,
         requester: str | None = None) -> Booked:
    """Book the slot, or raise `SlotUnavailable` / `SlotTaken` / `TooManyAttempts` (too
    many bookings by `requester`, see `count_booking_attempt`). Input is already valid
    (see `inputs.BookingInput`)."""
    count_booking_attempt(requester)
    slot = resolve(slot_id, channel, now)
    code = codes.new_code()
    booking = Booking(
        reference=codes.new_reference(), code_hash=codes.hash_code(code),
        offer_id=slot.offer_id, treater_id=slot.treater_id, starts_at=slot.starts_at,
        ends_at=slot.ends_at, channel=channel, status=BOOKED, alias=alias or None,
        email=email or None, phone=phone or None, lang=lang)
    try:
        if channel == "chat":
            booking.room_id = livechat.open_room("booking").id
        db.session.add(booking)
        db.session.flush()  # the database decides here: one slot, one booking
        notify.booked(booking)
        db.session.commit()
    except IntegrityError:
        db.session.rollback()
        raise SlotTaken(next_slots(slot.offer_id, channel, slot.starts_at, now=now)) from None
    except OperationalError:
        # SQLite: another writer held the database past the busy timeout. Nothing was
        # written; to the citizen it is the same as a taken time.
        db.session.rollback()
        raise SlotTaken(next_slots(slot.offer_id, channel, slot.starts_at, now=now)) from None
    return Booked(booking, code)


def _limiter():
    from portal.core.ratelimit import RateLimiter

    limiter = current_app.extensions.get("booking_code_limiter")
    if limiter is None:
        config = current_app.config
        limiter = current_app.extensions.setdefault("booking_code_limiter", RateLimiter(
            config["RATELIMIT_STORAGE_URI"],
            {"booking-code-address": config["BOOKING_CODE_RATE_LIMIT_PER_ADDRESS"],
             "booking-code-reference": config["BOOKING_CODE_RATE_LIMIT"]}))
    return limiter


def open_booking(reference: str, code: str, address: str) -> Booking:
    """The booking with this reference, if `code` is its code. Every attempt counts
    (per address and per reference), right or wrong, so codes cannot be guessed."""
    reference = codes.normalise(reference)
    wait = _limiter().retry_after({"booking-code-address": address,
                                   "booking-code-reference": reference or "-"})
    if wait is not None:
        raise TooManyAttempts(wait)
    booking = None
    if len(reference) == codes.REFERENCE_CHARS + 1:
        booking = db.session.scalar(select(Booking).where(Booking.reference == reference))
    if booking is None or not codes.code_matches(code, booking.code_hash):
        raise AccessDenied
    return booking


def by_reference(reference: str) -> Booking | None:
    """For staff views (their own access rules apply) and links."""
    reference = codes.normalise(reference)
    return db.session.scalar(select(Booking).where(Booking.reference == reference))


def cancel(booking: Booking, now: dt.datetime | None = None) -> None:
    """Cancel: the time is free again at once; reminders are withdrawn and the calendar
    file is cancelled (METHOD:CANCEL, same UID, higher SEQUENCE)."""
    if booking.status == CANCELLED:
        return
    booking.status = CANCELLED
    booking.cancelled_at = now or utcnow()
    booking.sequence += 1
    notify.cancelled(booking)
    db.session.commit()


def move(booking: Booking, slot_id: str, now: dt.datetime | None = None) -> Booking:
    """Move the booking to another free slot of the same offer and channel, keeping its
    reference and code (and the calendar UID, with SEQUENCE raised)."""
    slot = resolve(slot_id, booking.channel, now)
    if slot.offer_id != booking.offer_id or booking.status != BOOKED:
        raise SlotUnavailable
    old = (booking.treater_id, booking.starts_at, booking.ends_at)
    booking.treater_id, booking.starts_at, booking.ends_at = (slot.treater_id, slot.starts_at,
                                                              slot.ends_at)
    booking.sequence += 1
    try:
        db.session.flush()
        notify.moved(booking)
        db.session.commit()
    except (IntegrityError, OperationalError):
        db.session.rollback()
        booking.treater_id, booking.starts_at, booking.ends_at = old
        raise SlotTaken(next_slots(slot.offer_id, booking.channel, slot.starts_at,
                                   now=now)) from None
    return booking


def mark(booking: Booking, status: str) -> None:
    """A treater marks a held session attended or a no-show (or back to booked)."""
    if status not in (ATTENDED, NO_SHOW, BOOKED) or booking.status == CANCELLED:
        raise ValueError(status)
    booking.status = status
    if booking.room_id is not None and status != BOOKED:
        livechat.close_room(booking.room_id)
    db.session.commit()


def request_time(offer_id: int, alias: str | None, email: str | None, phone: str | None,
                 wishes: str, lang: str, requester: str | None = None) -> BookingRequest:
    """No time is free soon enough: ask the treatment centre for one (it is alerted).
    Counted like a booking (`count_booking_attempt`)."""
    count_booking_attempt(requester)
    request = BookingRequest(reference=codes.new_reference(), offer_id=offer_id,
                             alias=alias or None, email=email or None, phone=phone or None,
                             wishes=wishes, lang=lang)
    db.session.add(request)
    db.session.flush()
    notify.requested(request, {rule.treater_id for rule in rules_for(offer_id)})
    db.session.commit()
    return request


def day_list(treater_id: int, day: dt.date) -> list[Booking]:
    """A treater's bookings on a Copenhagen day, in time order (cancelled ones too)."""
    start = dt.datetime.combine(day, dt.time(), TZ)
    end = dt.datetime.combine(day + dt.timedelta(days=1), dt.time(), TZ)  # 23-25 hours
    return list(db.session.scalars(select(Booking).where(
        Booking.treater_id == treater_id, Booking.starts_at >= start, Booking.starts_at < end
    ).order_by(Booking.starts_at)))


# --- the treater's side: their schedule, their day, their units' requests -------------
# (The staff pages check who is signed in; these functions take the treater's id and
# only ever touch that treater's rows.)

SESSION_LENGTHS = (15, 20, 30, 45, 60, 90)
MAX_EXCEPTION_DAYS = 366
# The chat of a session opens this long before its start ...
CHAT_OPENS_BEFORE = dt.timedelta(minutes=10)
# ... and a session that runs over is still open this long after its end (then the
# retention closes its room: `rooms_of_ended_sessions`).
SESSION_GRACE = dt.timedelta(hours=1)


class ScheduleRefused(ValueError):
    """A schedule change that cannot be made. `errors` maps the form's fields to codes:
    bad_weekday, bad_time, closes_before_opens, bad_length, too_short, no_channel,
    bad_channel, unknown_offer, overlap, bad_date, ends_before_starts, too_long."""

    def __init__(self, errors: dict[str, str], clash: ScheduleRule | None = None) -> None:
        super().__init__(", ".join(f"{k}: {v}" for k, v in errors.items()))
        self.errors = errors
        self.clash = clash  # the rule an overlapping one would clash with


def rules_of_treater(treater_id: int) -> list[ScheduleRule]:
    return list(db.session.scalars(select(ScheduleRule).where(
        ScheduleRule.treater_id == treater_id
    ).order_by(ScheduleRule.weekday, ScheduleRule.opens, ScheduleRule.id)))


def offers_of_treaters(treater_ids: set[int]) -> set[int]:
    """The offers these treaters hold sessions for (they have weekly rules for them)."""
    if not treater_ids:
        return set()
    return set(db.session.scalars(select(ScheduleRule.offer_id).where(
        ScheduleRule.treater_id.in_(treater_ids)).distinct()))


def _overlaps(a_from: dt.date, a_until: dt.date | None, b_from: dt.date,
              b_until: dt.date | None) -> bool:
    return (a_until is None or a_until >= b_from) and (b_until is None or b_until >= a_from)


def add_rule(treater_id: int, offer_id: int, weekday: int, opens: dt.time, closes: dt.time,
             session_minutes: int, channels: list[str],
             allowed_offers: set[int], today: dt.date | None = None) -> ScheduleRule:
    """A new weekly opening of the treater, from today on. Refused (`ScheduleRefused`)
    when it is not a whole opening, offers a channel the offer does not have, or
    overlaps another opening of the same treater on that weekday (any offer: one
    treater holds one session at a time)."""
    today = today or local_day(utcnow())
    errors: dict[str, str] = {}
    offer = catalogue.offer_by_id(offer_id) if offer_id in allowed_offers else None
    if offer is None:
        errors["offer"] = "unknown_offer"
    if weekday not in range(7):
        errors["weekday"] = "bad_weekday"
    if closes <= opens:
        errors["closes"] = "closes_before_opens"
    if session_minutes not in SESSION_LENGTHS:
        errors["session_minutes"] = "bad_length"
    elif closes > opens and (dt.datetime.combine(today, closes)
                             - dt.datetime.combine(today, opens)) < dt.timedelta(
            minutes=session_minutes):
        errors["closes"] = "too_short"
    if not channels:
        errors["channels"] = "no_channel"
    elif offer is not None and not set(channels) <= set(offer.channels):
        errors["channels"] = "bad_channel"
    if errors:
        raise ScheduleRefused(errors)
    for other in rules_of_treater(treater_id):
        if (other.weekday == weekday and other.opens < closes and opens < other.closes
                and _overlaps(other.valid_from, other.valid_until, today, None)):
            raise ScheduleRefused({"opens": "overlap"}, clash=other)
    rule = ScheduleRule(offer_id=offer_id, treater_id=treater_id, weekday=weekday,
                        opens=opens, closes=closes, session_minutes=session_minutes,
                        channels=[c for c in CHANNELS if c in channels],
                        valid_from=today, valid_until=None)
    db.session.add(rule)
    db.session.commit()
    return rule


def remove_rule(treater_id: int, rule_id: int) -> bool:
    """Remove one of the treater's weekly openings (times already booked stay booked)."""
    rule = db.session.get(ScheduleRule, rule_id)
    if rule is None or rule.treater_id != treater_id:
        return False
    db.session.delete(rule)
    db.session.commit()
    return True


def exceptions_of_treater(treater_id: int, since: dt.datetime | None = None
                          ) -> list[ScheduleException]:
    """The treater's absences that have not ended by `since` (default: now)."""
    since = since or utcnow()
    return list(db.session.scalars(select(ScheduleException).where(
        ScheduleException.treater_id == treater_id, ScheduleException.ends_at > since
    ).order_by(ScheduleException.starts_at)))


def add_exception(treater_id: int, starts_at: dt.datetime, ends_at: dt.datetime,
                  reason: str) -> ScheduleException:
    """An absence (holiday, sickness, a course): no free times in it from now on.
    Bookings already made in it are kept (see `bookings_between`)."""
    if ends_at <= starts_at:
        raise ScheduleRefused({"ends": "ends_before_starts"})
    if ends_at - starts_at > dt.timedelta(days=MAX_EXCEPTION_DAYS):
        raise ScheduleRefused({"ends": "too_long"})
    exception = ScheduleException(treater_id=treater_id, starts_at=starts_at,
                                  ends_at=ends_at, reason=(reason or "").strip()[:200])
    db.session.add(exception)
    db.session.commit()
    return exception


def remove_exception(treater_id: int, exception_id: int) -> bool:
    exception = db.session.get(ScheduleException, exception_id)
    if exception is None or exception.treater_id != treater_id:
        return False
    db.session.delete(exception)
    db.session.commit()
    return True


def bookings_between(treater_id: int, start: dt.datetime, end: dt.datetime) -> list[Booking]:
    """The treater's bookings (not cancelled) that overlap start..end."""
    return list(db.session.scalars(select(Booking).where(
        Booking.treater_id == treater_id, Booking.status != CANCELLED,
        Booking.starts_at < end, Booking.ends_at > start).order_by(Booking.starts_at)))


def booking_of_treater(treater_id: int, reference: str) -> Booking | None:
    """The booking with this reference if it is the treater's own (else None, as for an
    unknown reference: a treater cannot find out about another treater's bookings)."""
    booking = by_reference(reference)
    return booking if booking is not None and booking.treater_id == treater_id else None


def session_state(booking: Booking, now: dt.datetime | None = None) -> str:
    """cancelled | early (the chat is not open yet) | open | ended."""
    now = now or utcnow()
    if booking.status == CANCELLED:
        return "cancelled"
    if booking.status in (ATTENDED, NO_SHOW) or now > booking.ends_at + SESSION_GRACE:
        return "ended"
    if now < booking.starts_at - CHAT_OPENS_BEFORE:
        return "early"
    return "open"


def rooms_of_ended_sessions(now: dt.datetime | None = None) -> list[int]:
    """The chat rooms of sessions that are over (their end plus `SESSION_GRACE` has
    passed) or cancelled: their rooms are closed, their messages deleted later."""
    now = now or utcnow()
    return list(db.session.scalars(select(Booking.room_id).where(
        Booking.room_id.is_not(None),
        (Booking.ends_at < now - SESSION_GRACE) | (Booking.status == CANCELLED))))


def requests_for_offers(offer_ids: set[int], include_handled: bool = False
                        ) -> list[BookingRequest]:
    """Requests for a time for these offers: new ones first, oldest first."""
    if not offer_ids:
        return []
    query = select(BookingRequest).where(BookingRequest.offer_id.in_(offer_ids))
    if not include_handled:
        query = query.where(BookingRequest.status == "new")
    return list(db.session.scalars(query.order_by(
        BookingRequest.status.desc(), BookingRequest.created_at, BookingRequest.id)))


def request_by_reference(reference: str) -> BookingRequest | None:
    reference = codes.normalise(reference)
    return db.session.scalar(select(BookingRequest).where(BookingRequest.reference == reference))


def mark_request_handled(request: BookingRequest, now: dt.datetime | None = None) -> None:
    """The treatment centre has offered the citizen a time (or tried to)."""
    if request.status != "handled":
        request.status = "handled"
        request.handled_at = now or utcnow()
        db.session.commit()


def video_url(booking: Booking) -> str | None:
    """The meeting link of a video session: `VIDEO_BASE_URL` and the reference (None
    when no base URL is configured: the treatment centre sends the link)."""
    base = current_app.config.get("VIDEO_BASE_URL") or ""
    if booking.channel != "video" or not base:
        return None
    return base.rstrip("/") + "/" + booking.reference
