"""Booking virtual sessions: when treaters are open, and who booked which time.

Free times are not stored: they follow from the weekly rules, the exceptions and the
bookings (see `slots.py`). A booking keeps its time in UTC; people see it in
Europe/Copenhagen. Offers and treaters are other areas' rows: referred to by id, read
through their services. One slot, one booking is enforced by the database: a unique index on
(treater, start) of the bookings that are not cancelled, and on PostgreSQL also an
exclusion constraint on overlapping times per treater (see the migration).
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import JSON, Date, ForeignKey, Index, String, Text, Time, text
from sqlalchemy.orm import Mapped, mapped_column

from portal.core.extensions import db
from portal.core.models import UtcDateTime, utcnow

CHANNELS = ("chat", "video", "phone")
BOOKED = "booked"
CANCELLED = "cancelled"
ATTENDED = "attended"
NO_SHOW = "no-show"
STATUSES = (BOOKED, CANCELLED, ATTENDED, NO_SHOW)


class ScheduleRule(db.Model):
    """A treater's weekly opening for an offer: e.g. Tuesdays 17:00-20:00, 30-minute
    chat sessions. Times are Copenhagen wall-clock times."""

    __tablename__ = "schedule_rules"

    id: Mapped[int] = mapped_column(primary_key=True)
    offer_id: Mapped[int] = mapped_column(ForeignKey("offers.id", ondelete="CASCADE"))
    treater_id: Mapped[int] = mapped_column(ForeignKey("staff.id", ondelete="CASCADE"))
    weekday: Mapped[int]  # 0 = Monday
    opens: Mapped[dt.time] = mapped_column(Time())
    closes: Mapped[dt.time] = mapped_column(Time())
    session_minutes: Mapped[int] = mapped_column(default=30)
    channels: Mapped[list[str]] = mapped_column(JSON, default=list)
    valid_from: Mapped[dt.date] = mapped_column(Date())
    valid_until: Mapped[dt.date | None] = mapped_column(Date())


class ScheduleException(db.Model):
    """A time a treater is not available (holiday, sickness, a course)."""

    __tablename__ = "schedule_exceptions"

    id: Mapped[int] = mapped_column(primary_key=True)
    treater_id: Mapped[int] = mapped_column(ForeignKey("staff.id", ondelete="CASCADE"))
    starts_at: Mapped[dt.datetime] = mapped_column(UtcDateTime())
    ends_at: Mapped[dt.datetime] = mapped_column(UtcDateTime())
    reason: Mapped[str] = mapped_column(String(200), default="")


class Booking(db.Model):
    """An anonymous booking: a reference (not secret) and a code (secret, kept as a
    hash). No name and no CPR: an alias, and an e-mail or phone only for reminders."""

    __tablename__ = "bookings"
    __table_args__ = (
        # One slot, one booking, whatever the checks before the insert saw.
        Index("uq_bookings_treater_start_active", "treater_id", "starts_at", unique=True,
              sqlite_where=text("status != 'cancelled'"),
              postgresql_where=text("status != 'cancelled'")),
        Index("ix_bookings_starts_at", "starts_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    reference: Mapped[str] = mapped_column(String(20), unique=True)
    code_hash: Mapped[str] = mapped_column(String(64))
    offer_id: Mapped[int] = mapped_column(ForeignKey("offers.id"))
    treater_id: Mapped[int] = mapped_column(ForeignKey("staff.id"))
    starts_at: Mapped[dt.datetime] = mapped_column(UtcDateTime())
    ends_at: Mapped[dt.datetime] = mapped_column(UtcDateTime())
    channel: Mapped[str] = mapped_column(String(10))
    status: Mapped[str] = mapped_column(String(20), default=BOOKED)
    alias: Mapped[str | None] = mapped_column(String(60))
    email: Mapped[str | None] = mapped_column(String(254))
    phone: Mapped[str | None] = mapped_column(String(30))
    lang: Mapped[str] = mapped_column(String(5), default="da")
    # iCalendar SEQUENCE: raised by every move (and the cancellation).
    sequence: Mapped[int] = mapped_column(default=0)
    room_id: Mapped[int | None] = mapped_column(ForeignKey("rooms.id", ondelete="SET NULL"))
    created_at: Mapped[dt.datetime] = mapped_column(UtcDateTime(), default=utcnow)
    updated_at: Mapped[dt.datetime] = mapped_column(UtcDateTime(), default=utcnow,
                                                    onupdate=utcnow)
    cancelled_at: Mapped[dt.datetime | None] = mapped_column(UtcDateTime())


class BookingRequest(db.Model):
    """No free time soon enough: the citizen asks to be offered one (alcohol treatment
    must start within 14 days of the request, Sundhedsloven § 141)."""

    __tablename__ = "booking_requests"

    id: Mapped[int] = mapped_column(primary_key=True)
    reference: Mapped[str] = mapped_column(String(20), unique=True)
    offer_id: Mapped[int] = mapped_column(ForeignKey("offers.id"))
    alias: Mapped[str | None] = mapped_column(String(60))
    email: Mapped[str | None] = mapped_column(String(254))
    phone: Mapped[str | None] = mapped_column(String(30))
    wishes: Mapped[str] = mapped_column(Text, default="")  # when suits them, in their words
    lang: Mapped[str] = mapped_column(String(5), default="da")
    status: Mapped[str] = mapped_column(String(20), default="new")  # new | handled
    created_at: Mapped[dt.datetime] = mapped_column(UtcDateTime(), default=utcnow)
    handled_at: Mapped[dt.datetime | None] = mapped_column(UtcDateTime())
