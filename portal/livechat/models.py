"""Live conversations between a citizen and a member of staff (a treater's chat session;
later a caseworker's handoff). The citizen is anonymous: only the words are kept, and
only for a configurable number of days after the conversation."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from portal.core.extensions import db
from portal.core.models import UtcDateTime, utcnow

CITIZEN = "citizen"
STAFF = "staff"
MAX_MESSAGE_LENGTH = 2000


class Room(db.Model):
    __tablename__ = "rooms"

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(30))  # "booking"
    created_at: Mapped[dt.datetime] = mapped_column(UtcDateTime(), default=utcnow)
    # When the conversation ended; messages are deleted a number of days after it.
    closed_at: Mapped[dt.datetime | None] = mapped_column(UtcDateTime())
    messages: Mapped[list[RoomMessage]] = relationship(
        back_populates="room", cascade="all, delete-orphan", order_by="RoomMessage.id")


class RoomMessage(db.Model):
    __tablename__ = "room_messages"
    __table_args__ = (Index("ix_room_messages_room_id_id", "room_id", "id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    room_id: Mapped[int] = mapped_column(ForeignKey("rooms.id", ondelete="CASCADE"))
    sender: Mapped[str] = mapped_column(String(10))  # citizen | staff
    staff_id: Mapped[int | None] = mapped_column(ForeignKey("staff.id", ondelete="SET NULL"))
    body: Mapped[str] = mapped_column(Text)
    created_at: Mapped[dt.datetime] = mapped_column(UtcDateTime(), default=utcnow)
    room: Mapped[Room] = relationship(back_populates="messages")
