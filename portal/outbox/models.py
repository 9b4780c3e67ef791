"""The outbox: every e-mail and SMS the portal sends is a row here first.

A row is written in the same transaction as what it is about (a booking), so nothing is
sent for a booking that was not made, and nothing is lost when a mail server is down.
`flask outbox drain` sends what is due (see `service.py`).
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import JSON, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from portal.core.extensions import db
from portal.core.models import UtcDateTime, utcnow

EMAIL = "email"
SMS = "sms"
PENDING = "pending"      # waiting for send_after
SENDING = "sending"      # claimed by a drain; if it stays here, the outcome is unknown
SENT = "sent"
FAILED = "failed"        # gave up after MAX_ATTEMPTS
CANCELLED = "cancelled"  # no longer wanted (a cancelled booking's reminder)


class OutboxMessage(db.Model):
    __tablename__ = "outbox"
    __table_args__ = (Index("ix_outbox_status_send_after", "status", "send_after"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    # What the message is for, unique: the same message is never queued twice.
    key: Mapped[str] = mapped_column(String(200), unique=True)
    channel: Mapped[str] = mapped_column(String(10))  # email | sms
    recipient: Mapped[str] = mapped_column(String(254))
    subject: Mapped[str] = mapped_column(String(300), default="")
    body: Mapped[str] = mapped_column(Text)
    # [{"filename", "content_type", "content"}], e.g. a calendar file.
    attachments: Mapped[list[dict]] = mapped_column(JSON, default=list)
    status: Mapped[str] = mapped_column(String(20), default=PENDING)
    send_after: Mapped[dt.datetime] = mapped_column(UtcDateTime(), default=utcnow)
    attempts: Mapped[int] = mapped_column(default=0)
    last_error: Mapped[str | None] = mapped_column(String(500))
    created_at: Mapped[dt.datetime] = mapped_column(UtcDateTime(), default=utcnow)
    claimed_at: Mapped[dt.datetime | None] = mapped_column(UtcDateTime())
    sent_at: Mapped[dt.datetime | None] = mapped_column(UtcDateTime())
