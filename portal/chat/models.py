"""A chat handed over to a person ("talk to a person") and who is there to take one.

`Handoff`: a live chat between the citizen of a chat conversation (Rasa's sender id,
the portal's random conversation id: no personal data) and a caseworker of the
intake's team, in a live-chat room. Only live handoffs are kept here: a handoff that
nobody could take at once is an intake in the team's inbox and nothing more.

`Availability`: a caseworker's "available for chat" flag and when their chat page was
last seen open (see handoff.py for the rule).
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from portal.core.extensions import db
from portal.core.models import UtcDateTime, utcnow


class Handoff(db.Model):
    __tablename__ = "chat_handoffs"
    __table_args__ = (Index("ix_chat_handoffs_conversation_id", "conversation_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    conversation_id: Mapped[str] = mapped_column(String(100))
    intake_id: Mapped[int] = mapped_column(ForeignKey("intakes.id", ondelete="CASCADE"))
    room_id: Mapped[int | None] = mapped_column(ForeignKey("rooms.id", ondelete="SET NULL"))
    # The caseworker the chat was put through to (available when it was made).
    caseworker_id: Mapped[int | None] = mapped_column(
        ForeignKey("staff.id", ondelete="SET NULL"))
    lang: Mapped[str] = mapped_column(String(5), default="da")
    created_at: Mapped[dt.datetime] = mapped_column(UtcDateTime(), default=utcnow)
    # The caseworker ended the chat; Rasa was told to resume the conversation (None:
    # not yet — it is tried again on the citizen's next message).
    ended_at: Mapped[dt.datetime | None] = mapped_column(UtcDateTime())
    ended_by: Mapped[int | None] = mapped_column(ForeignKey("staff.id", ondelete="SET NULL"))
    resumed_at: Mapped[dt.datetime | None] = mapped_column(UtcDateTime())
    # The assistant recognised a crisis in a message of the citizen during the chat.
    crisis_at: Mapped[dt.datetime | None] = mapped_column(UtcDateTime())


class Availability(db.Model):
    __tablename__ = "chat_availability"

    staff_id: Mapped[int] = mapped_column(ForeignKey("staff.id", ondelete="CASCADE"),
                                          primary_key=True)
    available: Mapped[bool] = mapped_column(default=False)
    seen_at: Mapped[dt.datetime | None] = mapped_column(UtcDateTime())
