"""The one-entrance intake: a citizen's (or a relative's) story, their consents, and
the handoff to one coordinating caseworker.

Consent texts come from content/consents/ and are kept forever, every version: a
consent points at the exact text it was given with (and its hash). A consent is never
deleted; withdrawing sets `withdrawn_at` (it acts from then on, not backwards).
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import JSON, ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from portal.core.extensions import db
from portal.core.models import UtcDateTime, utcnow

# Who is asking, and with what authority to consent for the citizen.
ASKERS = ("self", "relative", "professional")
AUTHORITIES = ("none", "power_of_attorney", "guardianship")
# Where the intake stands.
AWAITING_CONSENT = "awaiting_consent"  # a relative without authority: the citizen must consent
RECEIVED = "received"                  # in its team's inbox
ACCEPTED = "accepted"                  # a coordinating caseworker has it
CLOSED = "closed"
STATUSES = (AWAITING_CONSENT, RECEIVED, ACCEPTED, CLOSED)
AGENCIES = ("jobcentre", "uu", "psychiatry", "doctor", "addiction", "school", "other")
CONTACT_METHODS = ("phone", "email", "letter")
NEEDS = ("interpreter", "sign-language", "easy-read", "bring-relative")
URGENCIES = ("today", "this-week", "no-hurry")
CHANNELS = ("web", "chat")


class ConsentText(db.Model):
    """One version of one consent text in one language, for one municipality ("" = the
    default for all)."""

    __tablename__ = "consent_texts"
    __table_args__ = (UniqueConstraint("key", "version", "municipality", "lang"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    key: Mapped[str] = mapped_column(String(80))        # e.g. share-jobcentre
    version: Mapped[int]
    municipality: Mapped[str] = mapped_column(String(80), default="")
    lang: Mapped[str] = mapped_column(String(5))
    agency: Mapped[str | None] = mapped_column(String(30))  # the agency it is about
    transcript: Mapped[bool] = mapped_column(default=False)  # the chat transcript's consent
    purpose: Mapped[str] = mapped_column(Text)
    info_types: Mapped[list[str]] = mapped_column(JSON, default=list)
    parties: Mapped[list[str]] = mapped_column(JSON, default=list)
    text: Mapped[str] = mapped_column(Text)
    refusal: Mapped[str] = mapped_column(Text)          # what saying no means
    text_hash: Mapped[str] = mapped_column(String(64))  # sha256 of what is shown
    active: Mapped[bool] = mapped_column(default=True)  # in content/ now


class RoutingRule(db.Model):
    """content/routing.yml: which team takes an intake about a situation ("" situation:
    the fallback) in a municipality ("" municipality: the default)."""

    __tablename__ = "routing_rules"

    id: Mapped[int] = mapped_column(primary_key=True)
    municipality: Mapped[str] = mapped_column(String(80), default="")
    situation: Mapped[str] = mapped_column(String(80), default="")
    team: Mapped[str] = mapped_column(String(80))   # the unit is "<municipality>-<team>"
    rank: Mapped[int] = mapped_column(default=0)    # 0 = the weightiest situation


class Intake(db.Model):
    __tablename__ = "intakes"
    __table_args__ = (Index("ix_intakes_team_status", "team_id", "status"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    reference: Mapped[str] = mapped_column(String(20), unique=True)
    code_hash: Mapped[str] = mapped_column(String(64))
    status: Mapped[str] = mapped_column(String(30), default=RECEIVED)
    channel: Mapped[str] = mapped_column(String(10), default="web")
    lang: Mapped[str] = mapped_column(String(5), default="da")
    municipality: Mapped[str] = mapped_column(String(80))
    asker: Mapped[str] = mapped_column(String(20))
    authority: Mapped[str] = mapped_column(String(30), default="none")
    situations: Mapped[list[str]] = mapped_column(JSON, default=list)
    story: Mapped[str] = mapped_column(Text, default="")
    goals: Mapped[str] = mapped_column(Text, default="")
    agencies: Mapped[list[str]] = mapped_column(JSON, default=list)
    agencies_other: Mapped[str] = mapped_column(Text, default="")
    # {"method": "phone"|"email"|"letter", "phone", "email", "address", "times"}
    contact: Mapped[dict] = mapped_column(JSON, default=dict)
    needs: Mapped[list[str]] = mapped_column(JSON, default=list)
    urgency: Mapped[str] = mapped_column(String(20), default="no-hurry")
    # From the chat: the action server's summary; the transcript only with consent.
    summary: Mapped[str] = mapped_column(Text, default="")
    transcript: Mapped[str | None] = mapped_column(Text)
    team_id: Mapped[int | None] = mapped_column(ForeignKey("units.id"))
    caseworker_id: Mapped[int | None] = mapped_column(ForeignKey("staff.id"))
    room_id: Mapped[int | None] = mapped_column(ForeignKey("rooms.id", ondelete="SET NULL"))
    created_at: Mapped[dt.datetime] = mapped_column(UtcDateTime(), default=utcnow)
    # The first contact is due by then (CONTACT_DEADLINE_WORKING_DAYS after arrival).
    contact_due_at: Mapped[dt.datetime | None] = mapped_column(UtcDateTime())
    accepted_at: Mapped[dt.datetime | None] = mapped_column(UtcDateTime())
    first_contact_at: Mapped[dt.datetime | None] = mapped_column(UtcDateTime())
    closed_at: Mapped[dt.datetime | None] = mapped_column(UtcDateTime())
    consents: Mapped[list[Consent]] = relationship(
        back_populates="intake", order_by="Consent.id", cascade="all, delete-orphan")
    events: Mapped[list[IntakeEvent]] = relationship(
        back_populates="intake", order_by="IntakeEvent.id", cascade="all, delete-orphan")


class Consent(db.Model):
    """A consent as given: with the exact text version shown, its hash, the language,
    the time, the channel, who gave it and in what capacity. Never deleted."""

    __tablename__ = "consents"

    id: Mapped[int] = mapped_column(primary_key=True)
    intake_id: Mapped[int] = mapped_column(ForeignKey("intakes.id", ondelete="CASCADE"))
    text_id: Mapped[int] = mapped_column(ForeignKey("consent_texts.id"))
    key: Mapped[str] = mapped_column(String(80))
    version: Mapped[int]
    text_hash: Mapped[str] = mapped_column(String(64))
    lang: Mapped[str] = mapped_column(String(5))
    channel: Mapped[str] = mapped_column(String(10))
    given_by: Mapped[str] = mapped_column(String(20))   # self | relative | professional
    capacity: Mapped[str] = mapped_column(String(30))   # self | power_of_attorney | guardianship
    given_at: Mapped[dt.datetime] = mapped_column(UtcDateTime(), default=utcnow)
    withdrawn_at: Mapped[dt.datetime | None] = mapped_column(UtcDateTime())
    intake: Mapped[Intake] = relationship(back_populates="consents")
    consent_text: Mapped[ConsentText] = relationship()


class IntakeEvent(db.Model):
    """The intake's history: arrival, acceptance, hand-overs (with reasons), contacts,
    added information, withdrawn consents, closing."""

    __tablename__ = "intake_events"

    id: Mapped[int] = mapped_column(primary_key=True)
    intake_id: Mapped[int] = mapped_column(ForeignKey("intakes.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(String(40))
    staff_id: Mapped[int | None] = mapped_column(ForeignKey("staff.id", ondelete="SET NULL"))
    from_team_id: Mapped[int | None] = mapped_column(ForeignKey("units.id"))
    to_team_id: Mapped[int | None] = mapped_column(ForeignKey("units.id"))
    note: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[dt.datetime] = mapped_column(UtcDateTime(), default=utcnow)
    intake: Mapped[Intake] = relationship(back_populates="events")


class IntakeDraft(db.Model):
    """An unfinished intake, kept server-side so nothing typed is lost on a reload or a
    dropped connection. The browser holds only a random key (in the session cookie);
    here is its hash. Deleted after INTAKE_DRAFT_RETENTION_DAYS (`flask retention run`)."""

    __tablename__ = "intake_drafts"

    id: Mapped[int] = mapped_column(primary_key=True)
    key_hash: Mapped[str] = mapped_column(String(64), unique=True)
    step: Mapped[str] = mapped_column(String(40), default="")
    data: Mapped[dict] = mapped_column(JSON, default=dict)
    lang: Mapped[str] = mapped_column(String(5), default="da")
    created_at: Mapped[dt.datetime] = mapped_column(UtcDateTime(), default=utcnow)
    updated_at: Mapped[dt.datetime] = mapped_column(UtcDateTime(), default=utcnow,
                                                    onupdate=utcnow)
